// classifier.h — what every classification model in the engine provides.
//
// Models are torch::nn::Module subclasses whose registered names equal the reference implementation's
// (torchvision or timm), so that `named_parameters()`/`named_buffers()` are the reference's state-dict keys
// and reference weight files load as they are.
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

namespace spool {

struct ClassifierConfig {
    int64_t num_classes = 1000;
    int64_t image_size = 224;  // ViT builds its position embedding for this side
};

class Classifier : public torch::nn::Module {
public:
    /// Logits, N x num_classes, for a normalised N x 3 x H x W batch.
    virtual torch::Tensor forward(torch::Tensor x) = 0;

    /// Prefix of the classifier head's parameter names ("fc.", "classifier.1.", "heads.head.", "head.").
    /// Replacing the head for a job's classes skips the tensors under this prefix when loading weights.
    virtual std::string head_prefix() const = 0;

    /// Layer groups for `layers_to_freeze`, in order: each entry lists the name prefixes of one group.
    virtual std::vector<std::vector<std::string>> layer_groups() const = 0;
};

}  // namespace spool
