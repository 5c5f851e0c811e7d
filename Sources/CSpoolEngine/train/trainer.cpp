#include "train/trainer.h"

#include <torch/nn/functional/loss.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>
#include <torch/utils.h>

#include <stdexcept>

namespace spool {

namespace F = torch::nn::functional;

torch::Tensor classification_loss(const torch::Tensor& logits, const torch::Tensor& targets, TaskKind task,
                                  const torch::Tensor& class_weights) {
    if (task == TaskKind::multiclass) {
        auto options = F::CrossEntropyFuncOptions();
        if (class_weights.defined()) options = options.weight(class_weights);
        return F::cross_entropy(logits, targets.reshape({-1}).to(torch::kLong), options);
    }
    auto options = F::BinaryCrossEntropyWithLogitsFuncOptions();
    if (class_weights.defined()) options = options.weight(class_weights.unsqueeze(0));
    return F::binary_cross_entropy_with_logits(logits, targets, options);
}

Trainer::Trainer(std::shared_ptr<Classifier> model, torch::Device device, TrainerConfig config)
    : model_(std::move(model)), device_(device), config_(std::move(config)) {
    if (config_.grad_accumulation_step < 1) throw std::invalid_argument("grad_accumulation_step must be >= 1");
    std::vector<torch::Tensor> params;
    for (auto& p : model_->parameters())
        if (p.requires_grad()) params.push_back(p);
    if (params.empty()) throw std::invalid_argument("every parameter is frozen: nothing to train (lower layers_to_freeze)");
    if (!config_.class_weights.empty()) {
        class_weights_ = torch::tensor(config_.class_weights).to(device_);
    }
    switch (config_.optimizer) {
        case OptimizerKind::sgd: {
            auto o = torch::optim::SGDOptions(config_.learning_rate)
                         .momentum(config_.momentum)
                         .weight_decay(config_.weight_decay)
                         .nesterov(config_.nesterov && config_.momentum > 0);  // nesterov needs momentum
            optimizer_ = std::make_unique<torch::optim::SGD>(params, o);
            break;
        }
        case OptimizerKind::adam: {
            auto o = torch::optim::AdamOptions(config_.learning_rate)
                         .betas({config_.beta1, config_.beta2})
                         .weight_decay(config_.weight_decay)
                         .amsgrad(config_.amsgrad);
            optimizer_ = std::make_unique<torch::optim::Adam>(params, o);
            break;
        }
        case OptimizerKind::adamw: {
            auto o = torch::optim::AdamWOptions(config_.learning_rate)
                         .betas({config_.beta1, config_.beta2})
                         .weight_decay(config_.weight_decay)
                         .amsgrad(config_.amsgrad);
            optimizer_ = std::make_unique<torch::optim::AdamW>(params, o);
            break;
        }
    }
    optimizer_->zero_grad();
}

void Trainer::set_learning_rate(double lr) {
    for (auto& group : optimizer_->param_groups()) group.options().set_lr(lr);
}

StepResult Trainer::step(Loader& loader) {
    StepResult result;
    const Batch* batch = loader.next();
    if (batch == nullptr || batch->size == 0) return result;
    const int64_t n = batch->size;
    const int64_t side = loader.config().crop_size;
    model_->train();
    auto images = torch::from_blob(const_cast<float*>(batch->images.data()), {n, 3, side, side}).to(device_);
    auto targets = torch::from_blob(const_cast<float*>(batch->targets.data()), {n, loader.target_width()}).to(device_);
    auto logits = model_->forward(images);
    auto loss = classification_loss(logits, targets, config_.task, class_weights_);
    (loss / config_.grad_accumulation_step).backward();
    result.loss = loss.item<double>();
    result.images = n;
    if (++pending_ >= config_.grad_accumulation_step) {
        optimizer_->step();
        optimizer_->zero_grad();
        pending_ = 0;
        result.updated = true;
    }
    return result;
}

void Trainer::flush() {
    if (pending_ == 0) return;
    optimizer_->step();
    optimizer_->zero_grad();
    pending_ = 0;
}

EvalResult evaluate(Classifier& model, torch::Device device, Loader& loader, TaskKind task, float* out_probs,
                    int64_t capacity) {
    torch::NoGradGuard no_grad;
    const bool was_training = model.is_training();
    model.eval();
    EvalResult result;
    double loss_sum = 0;
    const int64_t side = loader.config().crop_size;
    while (const Batch* batch = loader.next()) {
        const int64_t n = batch->size;
        auto images = torch::from_blob(const_cast<float*>(batch->images.data()), {n, 3, side, side}).to(device);
        auto targets =
            torch::from_blob(const_cast<float*>(batch->targets.data()), {n, loader.target_width()}).to(device);
        auto logits = model.forward(images);
        loss_sum += classification_loss(logits, targets, task, torch::Tensor()).item<double>() * n;
        auto probs = (task == TaskKind::multiclass ? torch::softmax(logits, 1) : torch::sigmoid(logits))
                         .to(torch::kCPU, torch::kFloat32)
                         .contiguous();
        const int64_t values = probs.numel();
        if ((result.count * probs.size(1)) + values > capacity) {
            model.train(was_training);
            throw std::invalid_argument("output buffer too small for the loader's probabilities");
        }
        std::memcpy(out_probs + result.count * probs.size(1), probs.data_ptr<float>(), values * sizeof(float));
        result.count += n;
    }
    model.train(was_training);
    result.mean_loss = result.count > 0 ? loss_sum / result.count : 0;
    return result;
}

}  // namespace spool
