// faster_rcnn.h — the meta-architectures: torchvision's GeneralizedRCNN (Faster R-CNN: backbone with FPN,
// RPN, RoI heads; Mask R-CNN: the same with the RoI heads' mask branch, built for the segmentation task) and RetinaNet (backbone with FPN, classification and regression heads, focal loss), with
// torchvision's module names (`backbone.body`, `backbone.fpn`, `rpn.head`, `roi_heads`, `head`).
#pragma once

#include "models/detection/fpn.h"
#include "models/detection/roi_heads.h"
#include "models/detection/rpn.h"
#include "models/detection/transform.h"
#include "models/model.h"

#include <functional>

namespace spool::detection {

/// What an R-CNN is built around: its backbone body, and what torchvision's builder of that backbone sets.
struct RCNNBackbone {
    /// Builds `backbone.body` (FrozenBatchNorm2d or trainable BatchNorm2d, as ModelConfig says).
    std::function<std::shared_ptr<torch::nn::Module>(bool frozen_batch_norm, BackboneBody** features)> make_body;
    /// Anchors per FPN level, the max-pooled level included (so the RPN head's anchors per location).
    std::function<AnchorGenerator()> anchors = AnchorGenerator::faster_rcnn;
    /// torchvision's rpn_score_thresh: proposals below it are dropped in evaluation.
    double rpn_score_thresh = 0.0;
    /// Where an ImageNet classifier's file keeps the body's tensors ("features." for MobileNet; "" for ResNet,
    /// whose body keeps the classifier's names).
    std::string classifier_prefix;

    /// torchvision's resnet_fpn_backbone: ResNet-`depth`, C2..C5, torchvision's default anchors.
    static RCNNBackbone resnet(int depth);
    /// torchvision's fasterrcnn_mobilenet_v3_large_fpn: MobileNetV3-Large's last two stages, five anchor sizes
    /// by three ratios at each of the three levels, rpn_score_thresh 0.05.
    static RCNNBackbone mobilenet_v3_large();
};

class FasterRCNN : public Model {
public:
    FasterRCNN(int depth, const ModelConfig& config);
    FasterRCNN(const RCNNBackbone& spec, const ModelConfig& config);
    Task task() const override { return task_; }
    ModelOutput run(const ModelInput& input) override;
    std::vector<std::string> head_prefixes() const override {
        return {"roi_heads.box_predictor.", "roi_heads.mask_predictor.mask_fcn_logits."};
    }
    /// The body's stages as torchvision's trainable_backbone_layers counts them.
    std::vector<std::vector<std::string>> layer_groups() const override;
    std::string backbone_prefix() const override { return "backbone.body."; }
    std::string classifier_backbone_prefix() const override { return classifier_prefix_; }

    BackboneWithFPN backbone{nullptr};
    RegionProposalNetwork rpn{nullptr};
    RoIHeads roi_heads{nullptr};

protected:
    Task task_;
    RCNNTransform transform_;
    std::string classifier_prefix_;
};

class RetinaNetImpl;

/// RetinaNet ResNet-50 FPN: classification head with focal loss, regression head with L1 loss.
std::shared_ptr<Model> make_retinanet(int depth, const ModelConfig& config);

}  // namespace spool::detection
