#include "models/classification/classifier.h"

#include <torch/nn/functional/loss.h>

#include <stdexcept>

namespace spool {

namespace F = torch::nn::functional;

torch::Tensor classification_loss(const torch::Tensor& logits, const torch::Tensor& targets, Task task,
                                  const torch::Tensor& class_weights) {
    if (task == Task::multiclass) {
        auto options = F::CrossEntropyFuncOptions();
        if (class_weights.defined()) options = options.weight(class_weights);
        return F::cross_entropy(logits, targets.reshape({-1}).to(torch::kLong), options);
    }
    auto options = F::BinaryCrossEntropyWithLogitsFuncOptions();
    if (class_weights.defined()) options = options.weight(class_weights.unsqueeze(0));
    return F::binary_cross_entropy_with_logits(logits, targets.to(logits.dtype()), options);
}

ModelOutput Classifier::run(const ModelInput& input) {
    auto images = input.images;
    if (channels_last()) images = images.contiguous(torch::MemoryFormat::ChannelsLast);
    auto logits = forward(images);
    ModelOutput out;
    const bool has_targets = input.class_targets.defined() && input.class_targets.numel() > 0;
    if (is_training()) {
        out.losses.emplace_back("classification", classification_loss(logits, input.class_targets, task_, class_weights_));
        return out;
    }
    if (has_targets)
        out.losses.emplace_back("classification", classification_loss(logits, input.class_targets, task_, torch::Tensor()));
    out.scores = task_ == Task::multiclass ? torch::softmax(logits, 1) : torch::sigmoid(logits);
    return out;
}

torch::Tensor Model::forward_raw(const torch::Tensor&) {
    throw std::invalid_argument("this model has no raw forward (classifiers and yolov5 have); use spool_predict");
}

void Model::set_channels_last(bool channels_last) {
    torch::NoGradGuard no_grad;
    const auto format = channels_last ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
    for (auto& p : parameters(true))
        if (p.dim() == 4) p.set_data(p.data().contiguous(format));
    for (auto& b : buffers(true))
        if (b.dim() == 4) b.set_data(b.data().contiguous(format));
    channels_last_ = channels_last;
}

std::vector<std::pair<std::string, torch::Tensor>> named_tensors(torch::nn::Module& module) {
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (const auto& p : module.named_parameters(true)) out.emplace_back(p.key(), p.value());
    for (const auto& b : module.named_buffers(true)) out.emplace_back(b.key(), b.value());
    return out;
}

}  // namespace spool
