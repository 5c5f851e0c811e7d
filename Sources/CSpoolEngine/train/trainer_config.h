// trainer_config.h — what a trainer is made with: the optimiser and its options, accumulation, class weights, the
// memory format, the seed, the optimiser schedule (Ultralytics': groups, warm-up, nominal batch) and the weight
// average.
// No libtorch: the optimiser groups (train/optimizer_groups.h) and the trainer (train/trainer.h) both take it.
#pragma once

#include <cstdint>
#include <vector>

namespace spool {

enum class OptimizerKind { sgd = 0, adam = 1, adamw = 2 };
enum class MemoryFormatChoice { automatic = 0, contiguous = 1, channels_last = 2 };
/// Which optimiser schedule training follows (spool_optimizer_schedule).
enum class OptimizerSchedule { plain = 0, ultralytics = 1 };

struct TrainerConfig {
    OptimizerKind optimizer = OptimizerKind::sgd;
    double learning_rate = 0.01;
    double momentum = 0.9;
    double weight_decay = 1e-4;
    bool nesterov = true;
    double beta1 = 0.9, beta2 = 0.999;
    bool amsgrad = false;
    int grad_accumulation_step = 1;
    std::vector<float> class_weights;  // classification loss weights per class; empty: unweighted
    MemoryFormatChoice memory_format = MemoryFormatChoice::automatic;
    /// Seeds the trainer's own generator, which the model's random draws use during a step (detection's
    /// samplers): a run is reproducible under it whatever else the process draws.
    uint64_t seed = 0;
    /// plain: one group, an update every grad_accumulation_step batches. ultralytics (Ultralytics' train.py): no
    /// weight decay on biases and BatchNorm weights; during the first `warmup_iterations` batches the biases'
    /// learning rate falls from 0.1 and the others' rises from 0 to the scheduled one, momentum rises from 0.8,
    /// and the accumulation grows from 1 batch to the nominal batch; afterwards an update every
    /// round(nominal_batch_size / batch_size) batches, across epochs; losses summed over the batch.
    OptimizerSchedule schedule = OptimizerSchedule::plain;
    int64_t warmup_iterations = 0;
    int64_t nominal_batch_size = 64;
    int64_t batch_size = 16;
    /// > 0: an exponential moving average of the weights, decay ema_decay x (1 - exp(-updates / 2000)).
    double ema_decay = 0;
};

}  // namespace spool
