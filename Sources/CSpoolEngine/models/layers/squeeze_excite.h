// squeeze_excite.h — timm's SEModule: global average, 1x1 conv down to channels/16 (rounded to a multiple of
// 8), ReLU, 1x1 conv back up, sigmoid gate (`fc1`, `fc2`).
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
    explicit SqueezeExciteImpl(int64_t channels) {
        const int64_t reduced = make_divisible(channels / 16.0, 8);
        fc1 = register_module("fc1", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, reduced, 1).bias(true)));
        fc2 = register_module("fc2", torch::nn::Conv2d(torch::nn::Conv2dOptions(reduced, channels, 1).bias(true)));
    }

    torch::Tensor forward(const torch::Tensor& x) {
        auto s = x.mean({2, 3}, /*keepdim=*/true);
        return x * torch::sigmoid(fc2(torch::relu(fc1(s))));
    }

    torch::nn::Conv2d fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(SqueezeExcite);

}  // namespace spool
