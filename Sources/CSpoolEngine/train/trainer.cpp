// trainer.cpp — the trainer's construction and its step: a batch through the model in training mode, its losses
// summed and back-propagated, and the optimiser's update every accumulate batches. The rest of the class lives by
// concern beside it (trainer.h lists the files).
#include "train/trainer.h"

#include "models/classification/classifier.h"
#include "train/optimizer_groups.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace spool {

Trainer::Trainer(std::shared_ptr<Model> model, torch::Device device, TrainerConfig config)
    : model_(std::move(model)),
      device_(device),
      config_(std::move(config)),
      generator_(at::make_generator<at::CPUGeneratorImpl>(config_.seed)) {
    if (config_.grad_accumulation_step < 1) throw std::invalid_argument("grad_accumulation_step must be >= 1");
    // family: class weights are a classifier's.
    if (auto* classifier = dynamic_cast<Classifier*>(model_.get())) {
        if (!config_.class_weights.empty()) classifier->set_class_weights(torch::tensor(config_.class_weights).to(device_));
    }
    base_lr_ = config_.learning_rate;
    if (ultralytics()) {  // Ultralytics' optimiser groups and weight decay
        if (config_.batch_size < 1 || config_.nominal_batch_size < 1) throw std::invalid_argument("batch sizes must be >= 1");
        // Ultralytics scales the weight decay by the share of the nominal batch one update sees.
        const int64_t accumulate = std::max<int64_t>(
            1, std::llround(static_cast<double>(config_.nominal_batch_size) / static_cast<double>(config_.batch_size)));
        config_.weight_decay *= static_cast<double>(config_.batch_size * accumulate) / static_cast<double>(config_.nominal_batch_size);
        optimizer_ = make_ultralytics_optimizer(*model_, config_, group_is_bias_);
    } else {
        optimizer_ = make_optimizer(*model_, config_);
    }
    optimizer_->zero_grad();
    start_average();
    start_memory_format();
}

Trainer::~Trainer() {
    if (group_ && batch_norm_group() == group_) set_batch_norm_group(nullptr);
}

void Trainer::apply_update() {
    if (group_) average_gradients();
    optimizer_->step();
    optimizer_->zero_grad();
    pending_ = 0;
    update_average();
}

void Trainer::set_learning_rate(double lr) {
    base_lr_ = lr;
    for (auto& group : optimizer_->param_groups()) group.options().set_lr(lr);
}

StepResult Trainer::step(Loader& loader) {
    StepResult result;
    const Batch* batch = loader.next();
    if (batch == nullptr || batch->size == 0) return result;
    if (averaged_) throw std::logic_error("the weight average is in the model: put the training weights back first");
    ModeGuard mode(*model_, /*train=*/true);
    // Ultralytics' schedule: warm-up and accumulation towards the nominal batch
    if (ultralytics()) accumulate_ = ultralytics_warm_up(*optimizer_, group_is_bias_, iterations_, base_lr_, config_);
    else accumulate_ = config_.grad_accumulation_step;
    ++iterations_;
    auto input = to_model_input(*batch, loader.dataset(), device_);
    if (measuring_) choose_memory_format(input, batch->size);
    GeneratorScope scope(generator_);
    auto output = model_->run(input);
    torch::Tensor total;
    for (auto& [name, value] : output.losses) {
        result.losses.emplace_back(name, value.item<double>());
        total = total.defined() ? total + value : value;
    }
    if (!total.defined()) throw std::logic_error("the model returned no loss in training mode");
    // Ultralytics' schedule: the losses are sums over the batch, accumulated as they are (not divided); in
    // a data-parallel run each process's sum is scaled by the processes, so the averaged gradient is the whole
    // batch's sum, as Ultralytics' `loss *= WORLD_SIZE`.
    if (ultralytics()) (group_ ? total * static_cast<double>(group_->size()) : total).backward();
    else (total / config_.grad_accumulation_step).backward();
    result.loss = total.item<double>();
    result.images = batch->size;
    if (group_) reduce_over_ranks(result);
    if (++pending_ >= accumulate_) {
        apply_update();
        result.updated = true;
    }
    return result;
}

void Trainer::flush() {
    // Ultralytics' accumulation runs across epochs.
    if (pending_ == 0 || ultralytics()) return;
    apply_update();
}

}  // namespace spool
