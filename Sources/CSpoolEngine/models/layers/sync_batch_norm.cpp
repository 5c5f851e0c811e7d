#include "models/layers/sync_batch_norm.h"

#include "train/process_group.h"

#include <torch/autograd.h>
#include <torch/nn/functional/batchnorm.h>

namespace spool {

namespace {

/// y = the sum of x over the processes; the gradient of x is the sum of y's gradients over the processes (each
/// process's loss depends on every process's x through y).
struct AllReduceSum : torch::autograd::Function<AllReduceSum> {
    static torch::Tensor forward(torch::autograd::AutogradContext*, torch::Tensor x) {
        auto y = x.detach().clone();
        batch_norm_group()->all_reduce_sum(y);
        return y;
    }
    static torch::autograd::variable_list backward(torch::autograd::AutogradContext*, torch::autograd::variable_list grads) {
        auto g = grads[0].contiguous().clone();
        batch_norm_group()->all_reduce_sum(g);
        return {g};
    }
};

}  // namespace

void SyncBatchNorm2dImpl::reset() {
    const int64_t n = options.num_features();
    if (options.affine()) {
        weight = register_parameter("weight", torch::ones({n}));
        bias = register_parameter("bias", torch::zeros({n}));
    } else {
        weight = register_parameter("weight", torch::Tensor(), /*requires_grad=*/false);
        bias = register_parameter("bias", torch::Tensor(), /*requires_grad=*/false);
    }
    if (options.track_running_stats()) {
        running_mean = register_buffer("running_mean", torch::zeros({n}));
        running_var = register_buffer("running_var", torch::ones({n}));
        num_batches_tracked = register_buffer("num_batches_tracked", torch::tensor(0, torch::dtype(torch::kLong)));
    }
}

void SyncBatchNorm2dImpl::pretty_print(std::ostream& stream) const {
    stream << "spool::SyncBatchNorm2d(" << options.num_features() << ", eps=" << options.eps()
           << ", momentum=" << options.momentum().value_or(-1) << ")";
}

torch::Tensor SyncBatchNorm2dImpl::forward(const torch::Tensor& input) {
    TORCH_CHECK(input.dim() == 4, "BatchNorm2d expects N x C x H x W input, got ", input.dim(), " dimensions");
    const auto group = batch_norm_group();
    if (is_training() && group && group->size() > 1) return synchronised_forward(input);
    // torch::nn::BatchNorm2d's forward.
    double factor = 0.0;
    if (is_training() && options.track_running_stats()) {
        num_batches_tracked.add_(1);
        factor = options.momentum().has_value() ? *options.momentum() : 1.0 / num_batches_tracked.item<double>();
    }
    return torch::batch_norm(input, weight, bias, running_mean, running_var,
                             is_training() || !options.track_running_stats(), factor, options.eps(),
                             at::globalContext().userEnabledCuDNN());
}

torch::Tensor SyncBatchNorm2dImpl::synchronised_forward(const torch::Tensor& input) {
    const auto group = batch_norm_group();
    const int64_t c = input.size(1);
    // Per channel: the sum, the sum of squares and the count, over this process's images, then over all (in
    // double: the variance is their difference).
    const auto x64 = input.to(torch::kFloat64);
    const auto count = torch::full({1}, static_cast<double>(input.numel() / c), x64.options());
    const auto local = torch::cat({x64.sum({0, 2, 3}), x64.square().sum({0, 2, 3}), count});
    const auto total = AllReduceSum::apply(local);
    const auto n = total.slice(0, 2 * c, 2 * c + 1);
    const auto mean = total.slice(0, 0, c) / n;
    const auto var = (total.slice(0, c, 2 * c) / n - mean.square()).clamp_min(0);
    auto scale = torch::rsqrt(var + options.eps());
    auto shift = -mean * scale;
    if (options.affine()) {
        scale = scale * weight.to(torch::kFloat64);
        shift = shift * weight.to(torch::kFloat64) + bias.to(torch::kFloat64);
    }
    const auto y = input * scale.to(input.scalar_type()).view({1, c, 1, 1}) + shift.to(input.scalar_type()).view({1, c, 1, 1});
    if (options.track_running_stats()) {
        torch::NoGradGuard no_grad;
        num_batches_tracked.add_(1);
        const double total_count = n.item<double>();
        const double momentum = options.momentum().has_value() ? *options.momentum()
                                                               : 1.0 / num_batches_tracked.item<double>();
        const auto unbiased = var.detach() * (total_count / std::max(1.0, total_count - 1));
        running_mean.mul_(1 - momentum).add_(mean.detach().to(running_mean.scalar_type()), momentum);
        running_var.mul_(1 - momentum).add_(unbiased.to(running_var.scalar_type()), momentum);
    }
    return y;
}

}  // namespace spool
