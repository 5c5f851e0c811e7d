// fpn.h — torchvision's FeaturePyramidNetwork (`backbone.fpn`) and the BackboneWithFPN around a body
// (`backbone.body`), as resnet_fpn_backbone and _mobilenet_extractor build them: a ResNet's C2..C5 (or C3..C5
// for RetinaNet), or a MobileNetV3's last two stages, to 256-channel P-levels, plus a max-pooled level (Faster
// R-CNN) or convolved P6 and P7 (RetinaNet).
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
    /// Any body, its feature maps from `first_level` (1 = the first) up; only its top `trainable_layers` stages
    /// train (negative: all).
    BackboneWithFPNImpl(std::shared_ptr<torch::nn::Module> body, BackboneBody* features, int64_t trainable_layers,
                        int first_level, ExtraBlock extra);
    std::vector<torch::Tensor> forward(const torch::Tensor& x);
    int64_t out_channels() const { return 256; }
    /// The FPN's levels before the extra ones (those RoI heads pool from).
    int64_t pyramid_levels() const;
    /// The body's stages as torchvision's trainable_layers counts them (name prefixes within the body).
    std::vector<std::vector<std::string>> body_stages() const { return features_->stages(); }

    std::shared_ptr<torch::nn::Module> body;
    FeaturePyramidNetwork fpn{nullptr};

private:
    void build(std::shared_ptr<torch::nn::Module> body, BackboneBody* features, int64_t trainable_layers, ExtraBlock extra);

    BackboneBody* features_ = nullptr;
    int first_level_;
};
TORCH_MODULE(BackboneWithFPN);

}  // namespace spool::detection
