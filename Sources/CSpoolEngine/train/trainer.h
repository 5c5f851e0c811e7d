// trainer.h — optimisers, losses, one training step, and evaluation over a loader.
#pragma once

#include "data/loader.h"
#include "models/classifier.h"

#include <torch/optim/optimizer.h>

#include <memory>

namespace spool {

enum class TaskKind { multiclass = 0, multilabel = 1 };
enum class OptimizerKind { sgd = 0, adam = 1, adamw = 2 };

struct TrainerConfig {
    TaskKind task = TaskKind::multiclass;
    OptimizerKind optimizer = OptimizerKind::sgd;
    double learning_rate = 0.01;
    double momentum = 0.9;
    double weight_decay = 1e-4;
    bool nesterov = true;
    double beta1 = 0.9, beta2 = 0.999;
    bool amsgrad = false;
    int grad_accumulation_step = 1;
    std::vector<float> class_weights;  // empty: unweighted
};

struct StepResult {
    double loss = 0;
    int64_t images = 0;
    bool updated = false;
};

/// Mean loss of logits against a batch's targets (class indices or multi-hot rows).
torch::Tensor classification_loss(const torch::Tensor& logits, const torch::Tensor& targets, TaskKind task,
                                  const torch::Tensor& class_weights);

class Trainer {
public:
    Trainer(std::shared_ptr<Classifier> model, torch::Device device, TrainerConfig config);
    void set_learning_rate(double lr);
    StepResult step(Loader& loader);
    void flush();

private:
    std::shared_ptr<Classifier> model_;
    torch::Device device_;
    TrainerConfig config_;
    torch::Tensor class_weights_;
    std::unique_ptr<torch::optim::Optimizer> optimizer_;
    int pending_ = 0;
};

struct EvalResult {
    int64_t count = 0;
    double mean_loss = 0;
};

/// Runs the model in evaluation mode over one loader epoch in order, writing probabilities per image.
EvalResult evaluate(Classifier& model, torch::Device device, Loader& loader, TaskKind task, float* out_probs,
                    int64_t capacity);

}  // namespace spool
