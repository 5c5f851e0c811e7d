// frozen_batch_norm.h — torchvision's FrozenBatchNorm2d: batch norm with fixed statistics and affine
// parameters, all buffers (weight, bias, running_mean, running_var), as detection backbones use it when they
// start from ImageNet weights (small detection batches make batch statistics noisy).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace spool {

class FrozenBatchNorm2dImpl : public torch::nn::Module {
public:
    explicit FrozenBatchNorm2dImpl(int64_t channels, double eps = 1e-5) : eps_(eps) {
        weight = register_buffer("weight", torch::ones({channels}));
        bias = register_buffer("bias", torch::zeros({channels}));
        running_mean = register_buffer("running_mean", torch::zeros({channels}));
        running_var = register_buffer("running_var", torch::ones({channels}));
    }

    torch::Tensor forward(const torch::Tensor& x) {
        auto scale = weight * (running_var + eps_).rsqrt();
        auto shift = bias - running_mean * scale;
        return x * scale.reshape({1, -1, 1, 1}) + shift.reshape({1, -1, 1, 1});
    }

    torch::Tensor weight, bias, running_mean, running_var;

private:
    double eps_;
};
TORCH_MODULE(FrozenBatchNorm2d);

}  // namespace spool
