// data_parallel.cpp — the trainer over several processes (DistributedDataParallel's semantics): rank 0's weights
// broadcast at the start, batch norm over the whole batch, the gradients' mean over the ranks before each update
// (one all-reduce), and a step's losses and images made the whole batch's.
#include "train/trainer.h"

#include <cmath>
#include <stdexcept>

namespace spool {

void Trainer::set_process_group(std::shared_ptr<ProcessGroup> group) {
    if (iterations_ > 0) throw std::logic_error("the process group must be set before the first step");
    group_ = std::move(group);
    if (!group_) return;
    {
        torch::NoGradGuard no_grad;
        auto share = [&](torch::Tensor t) {
            auto dense = t.detach().contiguous();
            group_->broadcast(dense, 0);
            if (!dense.is_same(t)) t.detach().copy_(dense);
        };
        for (auto& p : model_->parameters()) share(p);
        for (auto& b : model_->buffers()) share(b);
        for (auto& [live, average] : ema_) average.copy_(live.detach());
    }
    set_batch_norm_group(group_);
    if (measuring_) {  // timing both layouts would run collectives the ranks must agree on: not measured
        measuring_ = false;
        memory_note_ = "contiguous (data-parallel: not measured)";
    }
}

void Trainer::average_gradients() {
    std::vector<torch::Tensor> params;
    for (auto& g : optimizer_->param_groups())
        for (auto& p : g.params()) params.push_back(p);
    std::vector<torch::Tensor> parts;
    parts.reserve(params.size() + 1);
    auto flags = torch::zeros({static_cast<int64_t>(params.size())}, torch::TensorOptions().dtype(torch::kFloat32).device(device_));
    for (size_t i = 0; i < params.size(); ++i) {
        const auto& grad = params[i].grad();
        if (grad.defined()) {
            parts.push_back(grad.reshape(-1).to(torch::kFloat32));
            flags[static_cast<int64_t>(i)] = 1;
        } else {
            parts.push_back(torch::zeros({params[i].numel()}, torch::TensorOptions().dtype(torch::kFloat32).device(device_)));
        }
    }
    parts.push_back(flags);
    auto flat = torch::cat(parts);
    group_->all_reduce_sum(flat);
    flat.div_(static_cast<double>(group_->size()));
    const auto any = flat.slice(0, flat.numel() - static_cast<int64_t>(params.size())).gt(0).cpu();
    int64_t offset = 0;
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < params.size(); ++i) {
        auto& p = params[i];
        const int64_t n = p.numel();
        if (any[static_cast<int64_t>(i)].item<bool>()) {
            auto mean = flat.slice(0, offset, offset + n).view(p.sizes()).to(p.scalar_type());
            if (p.grad().defined()) p.mutable_grad().copy_(mean);
            else p.mutable_grad() = mean.clone();
        }
        offset += n;
    }
}

void Trainer::reduce_over_ranks(StepResult& result) {
    std::vector<double> values{result.loss * static_cast<double>(result.images), static_cast<double>(result.images)};
    for (auto& [name, value] : result.losses) values.push_back(value * static_cast<double>(result.images));
    auto sums = torch::tensor(values, torch::kFloat64).to(device_);
    group_->all_reduce_sum(sums);
    const double images = sums[1].item<double>();
    result.loss = sums[0].item<double>() / images;
    for (size_t i = 0; i < result.losses.size(); ++i)
        result.losses[i].second = sums[static_cast<int64_t>(i) + 2].item<double>() / images;
    result.images = static_cast<int64_t>(std::llround(images));
}

}  // namespace spool
