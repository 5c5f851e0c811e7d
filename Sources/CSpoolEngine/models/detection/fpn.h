// fpn.h — torchvision's FeaturePyramidNetwork (`backbone.fpn`) and the BackboneWithFPN around a ResNet body
// (`backbone.body`), as resnet_fpn_backbone builds them: C2..C5 (or C3..C5 for RetinaNet) to 256-channel
// P-levels, plus a max-pooled P6 (Faster R-CNN) or convolved P6 and P7 (RetinaNet).
#pragma once

#include "models/backbones/backbones.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

namespace spool::detection {

enum class ExtraBlock { max_pool, p6p7 };

class FeaturePyramidNetworkImpl : public torch::nn::Module {
public:
    FeaturePyramidNetworkImpl(const std::vector<int64_t>& in_channels, int64_t out_channels, ExtraBlock extra);
    /// P-levels, finest first, from the C-levels (finest first); `c5` feeds RetinaNet's P6.
    std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& c);

    torch::nn::ModuleList inner_blocks{nullptr}, layer_blocks{nullptr};
    std::shared_ptr<torch::nn::Module> extra_blocks;

private:
    ExtraBlock extra_;
    torch::nn::Conv2d p6_{nullptr}, p7_{nullptr};
};
TORCH_MODULE(FeaturePyramidNetwork);

class BackboneWithFPNImpl : public torch::nn::Module {
public:
    /// A ResNet body of `depth`, C-levels from `first_level` (1 = layer1) up; trainable_layers as torchvision.
    BackboneWithFPNImpl(int depth, bool frozen_batch_norm, int64_t trainable_layers, int first_level, ExtraBlock extra);
    std::vector<torch::Tensor> forward(const torch::Tensor& x);
    int64_t out_channels() const { return 256; }

    std::shared_ptr<torch::nn::Module> body;
    FeaturePyramidNetwork fpn{nullptr};

private:
    ResNetFeatures* features_ = nullptr;
    int first_level_;
};
TORCH_MODULE(BackboneWithFPN);

}  // namespace spool::detection
