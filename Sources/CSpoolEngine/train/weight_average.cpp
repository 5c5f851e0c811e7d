// weight_average.cpp — the trainer's exponential moving average of the weights (YOLOv5's ModelEMA: decay
// ema_decay x (1 - exp(-updates / 2000)) after each update), and swapping it into the model for evaluation and
// saving.
#include "train/trainer.h"

#include <cmath>

namespace spool {

void Trainer::start_average() {
    if (config_.ema_decay > 0) {
        torch::NoGradGuard no_grad;
        for (auto& [name, tensor] : named_tensors(*model_))
            if (tensor.is_floating_point()) ema_.emplace_back(tensor, tensor.detach().clone());
    }
}

void Trainer::update_average() {
    if (ema_.empty()) return;
    ++updates_;
    const double d = config_.ema_decay * (1 - std::exp(-static_cast<double>(updates_) / 2000.0));
    torch::NoGradGuard no_grad;
    for (auto& [live, average] : ema_) {
        average.mul_(d);
        average.add_(live.detach(), 1 - d);
    }
}

void Trainer::use_average(bool average) {
    if (ema_.empty() || average == averaged_) return;
    torch::NoGradGuard no_grad;
    if (average) {
        aside_.clear();
        for (auto& [live, avg] : ema_) {
            aside_.push_back(live.detach().clone());
            live.copy_(avg);
        }
    } else {
        for (size_t i = 0; i < ema_.size(); ++i) ema_[i].first.copy_(aside_[i]);
        aside_.clear();
    }
    averaged_ = average;
}

}  // namespace spool
