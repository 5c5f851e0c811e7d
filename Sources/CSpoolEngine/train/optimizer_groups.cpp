// optimizer_groups.cpp — the optimiser's parameter groups (one, or Ultralytics' three) and Ultralytics' warm-up of
// their options.
#include "train/optimizer_groups.h"

#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace spool {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(Model& model, const TrainerConfig& config) {
    std::vector<torch::Tensor> params;
    for (auto& p : model.parameters())
        if (p.requires_grad()) params.push_back(p);
    if (params.empty()) throw std::invalid_argument("every parameter is frozen: nothing to train (lower layers_to_freeze)");
    switch (config.optimizer) {
        case OptimizerKind::sgd:
            return std::make_unique<torch::optim::SGD>(
                params, torch::optim::SGDOptions(config.learning_rate)
                            .momentum(config.momentum)
                            .weight_decay(config.weight_decay)
                            .nesterov(config.nesterov && config.momentum > 0));  // nesterov needs momentum
        case OptimizerKind::adam:
            return std::make_unique<torch::optim::Adam>(
                params, torch::optim::AdamOptions(config.learning_rate)
                            .betas({config.beta1, config.beta2})
                            .weight_decay(config.weight_decay)
                            .amsgrad(config.amsgrad));
        case OptimizerKind::adamw:
            return std::make_unique<torch::optim::AdamW>(
                params, torch::optim::AdamWOptions(config.learning_rate)
                            .betas({config.beta1, config.beta2})
                            .weight_decay(config.weight_decay)
                            .amsgrad(config.amsgrad));
    }
    throw std::invalid_argument("unknown optimizer");
}

std::unique_ptr<torch::optim::Optimizer> make_ultralytics_optimizer(Model& model, const TrainerConfig& config,
                                                             std::vector<int>& group_is_bias) {
    std::vector<torch::Tensor> biases, decayed, norms;
    for (auto& p : model.named_parameters(true)) {
        if (!p.value().requires_grad()) continue;
        const auto& name = p.key();
        const bool bias = name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0;
        const bool norm = name.find(".bn.") != std::string::npos;
        (bias ? biases : norm ? norms : decayed).push_back(p.value());
    }
    if (biases.empty() && decayed.empty() && norms.empty())
        throw std::invalid_argument("every parameter is frozen: nothing to train (lower layers_to_freeze)");
    const double wd = config.weight_decay;
    std::vector<torch::optim::OptimizerParamGroup> groups;
    group_is_bias.clear();
    auto add = [&](std::vector<torch::Tensor>& params, double decay, bool bias) {
        if (params.empty()) return;
        std::unique_ptr<torch::optim::OptimizerOptions> options;
        if (config.optimizer == OptimizerKind::sgd)
            options = std::make_unique<torch::optim::SGDOptions>(torch::optim::SGDOptions(config.learning_rate)
                                                                     .momentum(config.momentum)
                                                                     .weight_decay(decay)
                                                                     .nesterov(config.nesterov && config.momentum > 0));
        else if (config.optimizer == OptimizerKind::adam)
            options = std::make_unique<torch::optim::AdamOptions>(
                torch::optim::AdamOptions(config.learning_rate).betas({config.beta1, config.beta2}).weight_decay(decay).amsgrad(config.amsgrad));
        else
            options = std::make_unique<torch::optim::AdamWOptions>(
                torch::optim::AdamWOptions(config.learning_rate).betas({config.beta1, config.beta2}).weight_decay(decay).amsgrad(config.amsgrad));
        groups.emplace_back(params, std::move(options));
        group_is_bias.push_back(bias ? 1 : 0);
    };
    add(biases, 0.0, true);
    add(decayed, wd, false);
    add(norms, 0.0, false);
    switch (config.optimizer) {
        case OptimizerKind::sgd:
            return std::make_unique<torch::optim::SGD>(groups, torch::optim::SGDOptions(config.learning_rate));
        case OptimizerKind::adam:
            return std::make_unique<torch::optim::Adam>(groups, torch::optim::AdamOptions(config.learning_rate));
        case OptimizerKind::adamw:
            return std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(config.learning_rate));
    }
    throw std::invalid_argument("unknown optimizer");
}

namespace {

double interpolate(double x, double x1, double y0, double y1) { return x1 <= 0 ? y1 : y0 + (y1 - y0) * std::min(1.0, x / x1); }

}  // namespace

int64_t ultralytics_warm_up(torch::optim::Optimizer& optimizer, const std::vector<int>& group_is_bias, int64_t iteration,
                            double base_lr, const TrainerConfig& config) {
    const double ni = static_cast<double>(iteration), nw = static_cast<double>(config.warmup_iterations);
    const double full = std::max(1.0, std::round(static_cast<double>(config.nominal_batch_size) / static_cast<double>(config.batch_size)));
    if (ni > nw) return static_cast<int64_t>(full);
    auto& groups = optimizer.param_groups();
    for (size_t j = 0; j < groups.size(); ++j) {
        auto& options = groups[j].options();
        options.set_lr(interpolate(ni, nw, group_is_bias[j] ? 0.1 : 0.0, base_lr));
        if (auto* sgd = dynamic_cast<torch::optim::SGDOptions*>(&options)) {
            sgd->momentum(interpolate(ni, nw, 0.8, config.momentum));
        } else if (auto* adam = dynamic_cast<torch::optim::AdamOptions*>(&options)) {
            adam->betas({interpolate(ni, nw, 0.8, config.beta1), config.beta2});
        } else if (auto* adamw = dynamic_cast<torch::optim::AdamWOptions*>(&options)) {
            adamw->betas({interpolate(ni, nw, 0.8, config.beta1), config.beta2});
        }
    }
    return std::max<int64_t>(1, std::llround(interpolate(ni, nw, 1.0, full)));
}

}  // namespace spool
