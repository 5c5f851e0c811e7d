// squeeze_excite.h — timm's SEModule: global average, 1x1 conv down to channels/16 (rounded to a multiple of
// 8), ReLU, 1x1 conv back up, sigmoid gate (`fc1`, `fc2`). torchvision's SqueezeExcitation is the same module
// with the squeezed width given and, in MobileNetV3, a hard-sigmoid gate.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include <algorithm>

namespace spool {

/// timm.layers.make_divisible with round_limit=0: nearest multiple of `divisor`, at least `divisor`.
inline int64_t make_divisible(double v, int64_t divisor) {
    return std::max(divisor, static_cast<int64_t>(v + divisor / 2.0) / divisor * divisor);
}

class SqueezeExciteImpl : public torch::nn::Module {
public:
    enum class Gate { sigmoid, hard_sigmoid };

    explicit SqueezeExciteImpl(int64_t channels) : SqueezeExciteImpl(channels, make_divisible(channels / 16.0, 8)) {}

    SqueezeExciteImpl(int64_t channels, int64_t reduced, Gate gate = Gate::sigmoid) : gate_(gate) {
        fc1 = register_module("fc1", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, reduced, 1).bias(true)));
        fc2 = register_module("fc2", torch::nn::Conv2d(torch::nn::Conv2dOptions(reduced, channels, 1).bias(true)));
    }

    torch::Tensor forward(const torch::Tensor& x) {
        auto s = x.mean({2, 3}, /*keepdim=*/true);
        auto scale = fc2(torch::relu(fc1(s)));
        return x * (gate_ == Gate::sigmoid ? torch::sigmoid(scale) : torch::hardsigmoid(scale));
    }

    torch::nn::Conv2d fc1{nullptr}, fc2{nullptr};

private:
    Gate gate_;
};
TORCH_MODULE(SqueezeExcite);

}  // namespace spool
