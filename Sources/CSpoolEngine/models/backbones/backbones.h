// backbones.h — the architectures of the classification models, one file each, and the backbones the
// detectors take from them. Every module's names are its reference's (torchvision or timm).
#pragma once

#include "models/classification/classifier.h"

#include <memory>
#include <string>

namespace spool {

std::shared_ptr<Classifier> make_resnet(int depth, const ModelConfig& config);                 // torchvision resnet18..152
std::shared_ptr<Classifier> make_seresnext50_32x4d(const ModelConfig& config);                 // timm seresnext50_32x4d
std::shared_ptr<Classifier> make_mobilenet_v2(const ModelConfig& config);                      // torchvision mobilenet_v2
std::shared_ptr<Classifier> make_resnest(int depth, const ModelConfig& config);                // timm resnest50d / resnest101e
std::shared_ptr<Classifier> make_vit_torchvision(const std::string& variant, const ModelConfig& config); // "b_16", "l_16"
std::shared_ptr<Classifier> make_vit_timm_small(const ModelConfig& config);                    // timm vit_small_patch16_224

/// A detector's backbone body (`backbone.body`): a classifier without its pooling and head, giving the feature
/// maps an FPN takes, finest first.
class BackboneBody {
public:
    virtual ~BackboneBody() = default;
    virtual std::vector<torch::Tensor> features(torch::Tensor x) = 0;
    /// Channels of each feature map.
    virtual std::vector<int64_t> feature_channels() const = 0;
    /// The body's stages, from the stem up, as torchvision's trainable_layers counts them: the name prefixes of each.
    virtual std::vector<std::vector<std::string>> stages() const = 0;
};

/// The ResNet body of a detector (`resnet_fpn_backbone`): C2..C5 (layer1..layer4), with 256..2048 (or 64..512)
/// channels; `frozen_batch_norm` as ModelConfig says.
std::shared_ptr<torch::nn::Module> make_resnet_body(int depth, bool frozen_batch_norm, BackboneBody** features);

/// The MobileNetV3-Large body of a detector (torchvision's `_mobilenet_extractor` with fpn=True): the blocks of
/// `features` named "0".."16", giving the outputs of block 13 (160 channels) and 16 (960), both at stride 32.
std::shared_ptr<torch::nn::Module> make_mobilenet_v3_large_body(bool frozen_batch_norm, BackboneBody** features);

}  // namespace spool
