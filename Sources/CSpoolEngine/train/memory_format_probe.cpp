// memory_format_probe.cpp — the trainer's memory format: set by the configuration, or measured on the first batch
// (forward and backward in both layouts, the run's batch statistics and random stream left as they were) and the
// faster kept for the whole run, as cudnn.benchmark chooses kernels.
#include "train/trainer.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <mutex>

namespace spool {

void Trainer::start_memory_format() {
    // Convolutional networks may gain from channels-last; detection's RoI kernels want NCHW.
    const bool can_measure = model_->supports_channels_last();
    switch (config_.memory_format) {
        case MemoryFormatChoice::automatic:
            measuring_ = can_measure;
            if (!can_measure) memory_note_ = "contiguous (this model's kernels need NCHW)";
            break;
        case MemoryFormatChoice::channels_last:
            model_->set_channels_last(true);
            memory_note_ = "channels_last (set)";
            break;
        case MemoryFormatChoice::contiguous:
            memory_note_ = "contiguous (set)";
            break;
    }
}

void Trainer::choose_memory_format(const ModelInput& input, int64_t images) {
    // Save what a forward pass in training mode changes (batch-norm statistics) and restore it afterwards:
    // the measurement must not touch the run, whose numbers stay reproducible under its seed.
    std::vector<std::pair<torch::Tensor, torch::Tensor>> saved;
    for (auto& b : model_->buffers(true)) saved.emplace_back(b, b.clone());
    auto time_format = [&](bool channels_last) {
        model_->set_channels_last(channels_last);
        double best = std::numeric_limits<double>::infinity();
        for (int k = 0; k < 3; ++k) {  // the first warms allocators and kernels up
            const auto started = std::chrono::steady_clock::now();
            auto output = model_->run(input);
            torch::Tensor total;
            for (auto& [name, value] : output.losses) total = total.defined() ? total + value : value;
            total.backward();
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            if (k > 0) best = std::min(best, seconds / static_cast<double>(images));
            optimizer_->zero_grad();
        }
        return best;
    };
    // The measurement's randomness (dropout) must not shift the run's random stream either.
    auto generator = at::detail::getDefaultCPUGenerator();
    at::Tensor rng_state;
    {
        std::lock_guard<std::mutex> lock(generator.mutex());
        rng_state = generator.get_state();
    }
    const double nchw = time_format(false), nhwc = time_format(true);
    {
        std::lock_guard<std::mutex> lock(generator.mutex());
        generator.set_state(rng_state);
    }
    {
        torch::NoGradGuard no_grad;
        for (auto& [buffer, copy] : saved) buffer.copy_(copy);
    }
    const bool last = nhwc < nchw;
    model_->set_channels_last(last);
    char text[160];
    std::snprintf(text, sizeof text, "%s: %.1f ms/image against %.1f ms/image %s", last ? "channels_last" : "contiguous",
                  1000 * std::min(nchw, nhwc), 1000 * std::max(nchw, nhwc), last ? "contiguous" : "channels_last");
    memory_note_ = text;
    measuring_ = false;
}

}  // namespace spool
