// trainer.h — the optimiser and one training step for any model: the model returns its losses by name, the
// trainer sums them, steps the optimiser every grad_accumulation_step batches, and chooses the memory format
// that makes this model's step fastest on this machine (as cudnn.benchmark chooses kernels).
//
// The class is implemented by concern: the step (train/trainer.cpp), the optimiser's groups and Ultralytics' warm-up
// (train/optimizer_groups.cpp), data-parallel training (train/data_parallel.cpp), the weight average
// (train/weight_average.cpp), the memory-format probe (train/memory_format_probe.cpp) and the resumable state
// (train/trainer_state.cpp).
#pragma once

#include "data/loader.h"
#include "models/model.h"
#include "train/process_group.h"
#include "train/trainer_config.h"

// What the C ABI (capi/) reaches through this header besides the trainer: a batch as the model's input, and
// prediction over a loader with its segmentation masks.
#include "train/batch_inputs.h"
#include "train/masks.h"
#include "train/prediction.h"

#include <torch/optim/optimizer.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace spool {

struct StepResult {
    double loss = 0;  // the sum of the named losses
    int64_t images = 0;
    bool updated = false;
    std::vector<std::pair<std::string, double>> losses;
};

class Trainer {
public:
    Trainer(std::shared_ptr<Model> model, torch::Device device, TrainerConfig config);
    ~Trainer();
    /// Data-parallel over `group` (DistributedDataParallel's semantics): rank 0's parameters and buffers are
    /// broadcast now, gradients are averaged over the ranks before each update, batch norm uses the whole
    /// batch's statistics, and a step's loss and image count are the whole batch's. Before the first step.
    void set_process_group(std::shared_ptr<ProcessGroup> group);
    void set_learning_rate(double lr);
    /// With an EMA: puts its weights into the model (true; the training weights are kept aside) or the training
    /// weights back (false). Evaluation and saving use the average.
    void use_average(bool average);
    bool has_average() const { return !ema_.empty(); }
    StepResult step(Loader& loader);
    void flush();
    /// The memory format in use and why ("channels_last: 41 ms/image against 57 contiguous"); "" until chosen.
    const std::string& memory_format_note() const { return memory_note_; }

    /// Everything a run needs to go on as if it had never stopped (train/trainer_state.cpp): the model's
    /// parameters and buffers, the optimiser's state (momentum, Adam's moments, its groups' options), the
    /// weight average, gradients accumulated but not yet applied, the step, update and accumulation counters,
    /// the trainer's and libtorch's default CPU generators, and the memory format chosen. One safetensors
    /// file, written whole or not at all. The training weights must be in the model (not the average).
    void save_state(const std::string& path) const;
    /// Restores what save_state wrote, into a trainer made with the same configuration over the same model
    /// (and after set_process_group in a data-parallel run: every rank loads the same file). Throws
    /// std::invalid_argument naming what does not match.
    void load_state(const std::string& path);

private:
    // The step (train/trainer.cpp): the optimiser's update, after the gradients' mean over the ranks.
    void apply_update();
    /// Whether training follows Ultralytics' optimiser schedule (groups, warm-up, accumulation across epochs).
    bool ultralytics() const { return config_.schedule == OptimizerSchedule::ultralytics; }

    // Data-parallel training (train/data_parallel.cpp).
    /// The mean of every trainable parameter's gradient over the ranks (one all-reduce of them all, flattened);
    /// a gradient no rank has stays undefined, as the optimisers then skip its parameter.
    void average_gradients();
    /// A step's loss, named losses and images made the whole batch's: each process's losses weighted by its
    /// images, summed over the ranks.
    void reduce_over_ranks(StepResult& result);

    // The weight average (train/weight_average.cpp).
    /// With ema_decay > 0: the average starts as a copy of the model's floating-point parameters and buffers.
    void start_average();
    void update_average();

    // The memory format (train/memory_format_probe.cpp).
    /// Applies config.memory_format: a layout set now, or (automatic) a measurement on the first batch where the
    /// model's kernels allow both layouts.
    void start_memory_format();
    /// Times forward and backward passes of this batch in both layouts, without changing the model (batch
    /// statistics restored, gradients cleared), and keeps the faster layout for the whole run.
    void choose_memory_format(const ModelInput& input, int64_t images);

    std::shared_ptr<Model> model_;
    torch::Device device_;
    TrainerConfig config_;

    std::shared_ptr<ProcessGroup> group_;

    std::unique_ptr<torch::optim::Optimizer> optimizer_;
    int pending_ = 0;
    double base_lr_ = 0;
    int64_t iterations_ = 0, updates_ = 0, accumulate_ = 1;
    std::vector<int> group_is_bias_;
    std::vector<std::pair<torch::Tensor, torch::Tensor>> ema_;  // (model tensor, its average)
    std::vector<torch::Tensor> aside_;                          // the training weights while the average is in
    bool averaged_ = false;
    bool measuring_ = false;
    std::string memory_note_;
    at::Generator generator_;
};

}  // namespace spool
