// conv_norm_activation.h — torchvision's Conv2dNormActivation without a norm layer: a Sequential of a biased
// convolution (`.0`) and optionally a ReLU (`.1`, no parameters), with a plain forward so that it can sit
// inside another Sequential (the detection heads' `conv.N.0.weight`).
#pragma once

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

namespace spool {

class ConvActivationImpl : public torch::nn::SequentialImpl {
public:
    ConvActivationImpl(int64_t in, int64_t out, int64_t kernel, bool relu) {
        push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).padding(kernel / 2).bias(true)));
        if (relu) push_back(torch::nn::ReLU());
    }
    torch::Tensor forward(torch::Tensor x) { return torch::nn::SequentialImpl::forward(x); }
};
TORCH_MODULE(ConvActivation);

}  // namespace spool
