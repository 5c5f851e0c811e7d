// optimizer_groups.h — the optimiser over a model's trainable parameters and its groups' options over a run: one
// group under the plain schedule; under Ultralytics' schedule, its three groups (biases, decayed weights, BatchNorm
// weights) and their warm-up.
#pragma once

#include "models/model.h"
#include "train/trainer_config.h"

#include <torch/optim/optimizer.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace spool {

/// The optimiser over the model's trainable parameters, one group. Throws std::invalid_argument when every
/// parameter is frozen.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(Model& model, const TrainerConfig& config);

/// Ultralytics' smart_optimizer groups: biases, weights that decay, BatchNorm weights (no decay); empty groups
/// left out. `group_is_bias` receives, per group, 1 for the biases' group and 0 for the others.
std::unique_ptr<torch::optim::Optimizer> make_ultralytics_optimizer(Model& model, const TrainerConfig& config,
                                                                    std::vector<int>& group_is_bias);

/// Ultralytics' warm-up before batch `iteration` (counted from 0), as TrainerConfig::schedule says: sets each
/// group's learning rate (towards `base_lr`) and momentum or beta1 while `iteration` <= warmup_iterations, and
/// returns the batches per update.
int64_t ultralytics_warm_up(torch::optim::Optimizer& optimizer, const std::vector<int>& group_is_bias, int64_t iteration,
                            double base_lr, const TrainerConfig& config);

}  // namespace spool
