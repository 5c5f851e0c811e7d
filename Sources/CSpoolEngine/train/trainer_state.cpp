// trainer_state.cpp — a trainer's whole state in one file, so that an interrupted run resumes bit for bit.
//
// Layout (safetensors): "model/<name>" every parameter and buffer; "average/<i>" the weight average in the
// model's order; "grad/<name>" gradients accumulated but not applied (YOLOv5 accumulates across epochs) and
// "grad_defined" which parameters have a gradient;
// "optimizer/<group>/<param>/<field>" the optimiser's state per parameter (SGD's momentum buffer, Adam's step and
// moments) and "optimizer/<group>/options" its learning rate and momentum (or betas), by position rather than
// libtorch's in-memory keys, so that the same state makes the same file; "generator/trainer"
// and "generator/default" the CPU generators' states; "counters" the step counters. Metadata says the format,
// the optimiser and the memory format.
#include "train/trainer.h"

#include "io/safetensors.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>

#include <tuple>

#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>

namespace spool {
namespace {

constexpr const char* kFormat = "spool-trainer-state";
constexpr const char* kVersion = "1";

/// libtorch's key of a parameter's state in Optimizer::state().
std::string state_key(const torch::Tensor& param) { return c10::guts::to_string(param.unsafeGetTensorImpl()); }

/// The options that change during a run (the schedule, YOLOv5's warm-up): lr, momentum or beta1, beta2.
torch::Tensor options_tensor(torch::optim::OptimizerOptions& options) {
    double momentum = 0, beta2 = 0;
    if (auto* sgd = dynamic_cast<torch::optim::SGDOptions*>(&options)) momentum = sgd->momentum();
    if (auto* adam = dynamic_cast<torch::optim::AdamOptions*>(&options)) std::tie(momentum, beta2) = adam->betas();
    if (auto* adamw = dynamic_cast<torch::optim::AdamWOptions*>(&options)) std::tie(momentum, beta2) = adamw->betas();
    return torch::tensor({options.get_lr(), momentum, beta2}, torch::kFloat64);
}

void set_options(torch::optim::OptimizerOptions& options, const torch::Tensor& values) {
    const double lr = values[0].item<double>(), momentum = values[1].item<double>(), beta2 = values[2].item<double>();
    options.set_lr(lr);
    if (auto* sgd = dynamic_cast<torch::optim::SGDOptions*>(&options)) sgd->momentum(momentum);
    if (auto* adam = dynamic_cast<torch::optim::AdamOptions*>(&options)) adam->betas({momentum, beta2});
    if (auto* adamw = dynamic_cast<torch::optim::AdamWOptions*>(&options)) adamw->betas({momentum, beta2});
}

/// One parameter's optimiser state as named tensors (none before its first update).
void save_param_state(const torch::optim::OptimizerParamState* state, const std::string& prefix,
                      std::vector<std::pair<std::string, torch::Tensor>>& out) {
    auto add = [&](const char* field, const torch::Tensor& t) {
        if (t.defined()) out.emplace_back(prefix + field, t);
    };
    if (auto* sgd = dynamic_cast<const torch::optim::SGDParamState*>(state)) {
        add("momentum_buffer", sgd->momentum_buffer());
    } else if (auto* adam = dynamic_cast<const torch::optim::AdamParamState*>(state)) {
        out.emplace_back(prefix + "step", torch::tensor({adam->step()}, torch::kInt64));
        add("exp_avg", adam->exp_avg());
        add("exp_avg_sq", adam->exp_avg_sq());
        add("max_exp_avg_sq", adam->max_exp_avg_sq());
    } else if (auto* adamw = dynamic_cast<const torch::optim::AdamWParamState*>(state)) {
        out.emplace_back(prefix + "step", torch::tensor({adamw->step()}, torch::kInt64));
        add("exp_avg", adamw->exp_avg());
        add("exp_avg_sq", adamw->exp_avg_sq());
        add("max_exp_avg_sq", adamw->max_exp_avg_sq());
    } else {
        throw std::logic_error("an optimiser state of an unknown kind");
    }
}

torch::Tensor generator_state(at::Generator generator) {
    std::lock_guard<std::mutex> lock(generator.mutex());
    return generator.get_state();
}

void set_generator_state(at::Generator generator, const torch::Tensor& state) {
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(state);
}

const char* optimizer_name(OptimizerKind kind) {
    switch (kind) {
        case OptimizerKind::sgd: return "sgd";
        case OptimizerKind::adam: return "adam";
        case OptimizerKind::adamw: return "adamw";
    }
    return "?";
}

}  // namespace

void Trainer::save_state(const std::string& path) const {
    if (averaged_) throw std::logic_error("the weight average is in the model: put the training weights back before saving the state");
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (auto& [name, tensor] : named_tensors(*model_)) out.emplace_back("model/" + name, tensor);
    for (size_t i = 0; i < ema_.size(); ++i) out.emplace_back("average/" + std::to_string(i), ema_[i].second);
    // Gradients: whole while some are pending (accumulated, not applied); otherwise only which parameters have
    // one (zeros), since an optimiser steps a parameter with a zero gradient but skips one without.
    std::vector<int64_t> has_grad;
    for (auto& p : model_->named_parameters(true)) {
        const bool defined = p.value().grad().defined();
        has_grad.push_back(defined ? 1 : 0);
        if (defined && pending_ > 0) out.emplace_back("grad/" + p.key(), p.value().grad());
    }
    out.emplace_back("grad_defined", torch::tensor(has_grad, torch::kInt64).to(torch::kUInt8));
    auto& groups = optimizer_->param_groups();
    auto& states = optimizer_->state();
    for (size_t g = 0; g < groups.size(); ++g) {
        const std::string group = "optimizer/" + std::to_string(g) + "/";
        out.emplace_back(group + "options", options_tensor(groups[g].options()));
        const auto& params = groups[g].params();
        for (size_t k = 0; k < params.size(); ++k) {
            auto it = states.find(state_key(params[k]));
            if (it != states.end()) save_param_state(it->second.get(), group + std::to_string(k) + "/", out);
        }
    }
    out.emplace_back("generator/trainer", generator_state(generator_));
    out.emplace_back("generator/default", generator_state(at::detail::getDefaultCPUGenerator()));
    out.emplace_back("counters", torch::tensor({iterations_, updates_, accumulate_, static_cast<int64_t>(pending_),
                                                static_cast<int64_t>(measuring_ ? 1 : 0),
                                                static_cast<int64_t>(model_->channels_last() ? 1 : 0)},
                                               torch::kInt64));
    write_safetensors(path, out, {{"format", kFormat}, {"version", kVersion},
                                  {"optimizer", optimizer_name(config_.optimizer)},
                                  {"memory_format", memory_note_}});
}

void Trainer::load_state(const std::string& path) {
    if (averaged_) throw std::logic_error("the weight average is in the model: put the training weights back before loading a state");
    const auto file = read_safetensors(path);
    auto meta = [&](const std::string& key) {
        auto it = file.metadata.find(key);
        return it == file.metadata.end() ? std::string() : it->second;
    };
    if (meta("format") != kFormat)
        throw std::invalid_argument(path + ": not a trainer state (its metadata has no format " + kFormat + ")");
    if (meta("version") != kVersion)
        throw std::invalid_argument(path + ": trainer state version " + meta("version") + "; this engine reads version " + kVersion);
    if (meta("optimizer") != optimizer_name(config_.optimizer))
        throw std::invalid_argument(path + ": saved with optimizer " + meta("optimizer") + ", this run uses " +
                                    optimizer_name(config_.optimizer));
    std::map<std::string, torch::Tensor> saved;
    for (const auto& [name, tensor] : file.tensors) saved.emplace(name, tensor);
    auto take = [&](const std::string& name) -> torch::Tensor {
        auto it = saved.find(name);
        if (it == saved.end()) throw std::invalid_argument(path + ": the trainer state lacks " + name);
        return it->second;
    };
    const auto counters = take("counters");
    if (counters.numel() != 6) throw std::invalid_argument(path + ": counters has " + std::to_string(counters.numel()) + " values, not 6");
    // The layout first: copying keeps each tensor's memory format.
    const bool measuring = counters[4].item<int64_t>() != 0, channels_last = counters[5].item<int64_t>() != 0;
    if (!measuring) model_->set_channels_last(channels_last);
    measuring_ = measuring && measuring_;
    memory_note_ = meta("memory_format");
    {
        torch::NoGradGuard no_grad;
        for (auto& [name, tensor] : named_tensors(*model_)) {
            const auto value = take("model/" + name);
            if (value.sizes() != tensor.sizes())
                throw std::invalid_argument(path + ": " + name + " has shape " + c10::str(value.sizes()) + ", the model's is " +
                                            c10::str(tensor.sizes()) + " (a state of another model or other classes)");
            tensor.copy_(value);
        }
        for (size_t i = 0; i < ema_.size(); ++i) ema_[i].second.copy_(take("average/" + std::to_string(i)));
        const auto flags = saved.find("grad_defined");
        const torch::Tensor has_grad = flags == saved.end() ? torch::Tensor() : flags->second;
        int64_t index = 0;
        for (auto& p : model_->named_parameters(true)) {
            auto it = saved.find("grad/" + p.key());
            const bool defined = has_grad.defined() && index < has_grad.numel() && has_grad[index].item<uint8_t>() != 0;
            ++index;
            if (it != saved.end()) {
                p.value().mutable_grad() = it->second.to(p.value().options()).contiguous(p.value().suggest_memory_format());
            } else if (defined) {
                p.value().mutable_grad() = torch::zeros_like(p.value());
            } else {
                p.value().mutable_grad() = torch::Tensor();
            }
        }
    }
    auto& groups = optimizer_->param_groups();
    auto& states = optimizer_->state();
    states.clear();
    for (size_t g = 0; g < groups.size(); ++g) {
        const std::string group = "optimizer/" + std::to_string(g) + "/";
        set_options(groups[g].options(), take(group + "options"));
        const auto& params = groups[g].params();
        for (size_t k = 0; k < params.size(); ++k) {
            const std::string prefix = group + std::to_string(k) + "/";
            auto field = [&](const char* name) {
                auto it = saved.find(prefix + name);
                return it == saved.end() ? torch::Tensor()
                                         : it->second.to(params[k].options()).contiguous(params[k].suggest_memory_format());
            };
            if (config_.optimizer == OptimizerKind::sgd) {
                auto buffer = field("momentum_buffer");
                if (!buffer.defined()) continue;
                auto state = std::make_unique<torch::optim::SGDParamState>();
                state->momentum_buffer(buffer);
                states[state_key(params[k])] = std::move(state);
                continue;
            }
            auto step = saved.find(prefix + "step");
            if (step == saved.end()) continue;
            const int64_t steps = step->second.item<int64_t>();
            auto fill = [&](auto state) {
                state->step(steps);
                state->exp_avg(field("exp_avg"));
                state->exp_avg_sq(field("exp_avg_sq"));
                if (auto m = field("max_exp_avg_sq"); m.defined()) state->max_exp_avg_sq(m);
                states[state_key(params[k])] = std::move(state);
            };
            if (config_.optimizer == OptimizerKind::adam) fill(std::make_unique<torch::optim::AdamParamState>());
            else fill(std::make_unique<torch::optim::AdamWParamState>());
        }
    }
    set_generator_state(generator_, take("generator/trainer"));
    set_generator_state(at::detail::getDefaultCPUGenerator(), take("generator/default"));
    iterations_ = counters[0].item<int64_t>();
    updates_ = counters[1].item<int64_t>();
    accumulate_ = counters[2].item<int64_t>();
    pending_ = static_cast<int>(counters[3].item<int64_t>());
}

}  // namespace spool
