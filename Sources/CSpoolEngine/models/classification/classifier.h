// classifier.h — the classification models: a backbone, a pooling and a linear head, as one module whose
// names are the reference's (torchvision or timm).
#pragma once

#include "models/model.h"

namespace spool {

class Classifier : public Model {
public:
    /// Logits, N x num_classes, for a normalised N x 3 x H x W batch.
    virtual torch::Tensor forward(torch::Tensor x) = 0;

    /// Prefix of the classifier head's names ("fc.", "classifier.1.", "heads.head.", "head.").
    virtual std::string head_prefix() const = 0;

    std::vector<std::string> head_prefixes() const override { return {head_prefix()}; }
    Task task() const override { return task_; }
    void set_task(Task task) { task_ = task; }

    /// Loss weights per class (`weighted_loss`); undefined for none.
    void set_class_weights(torch::Tensor weights) { class_weights_ = std::move(weights); }

    /// Training: {"classification": loss}. Evaluation: probabilities (softmax or sigmoid), and the loss
    /// when the batch has targets.
    ModelOutput run(const ModelInput& input) override;
    torch::Tensor forward_raw(const torch::Tensor& images) override { return forward(images); }

private:
    Task task_ = Task::multiclass;
    torch::Tensor class_weights_;
};

/// Mean loss of logits against class ids (multiclass) or multi-hot rows (multilabel).
torch::Tensor classification_loss(const torch::Tensor& logits, const torch::Tensor& targets, Task task,
                                  const torch::Tensor& class_weights);

}  // namespace spool
