// faster_rcnn.h — the meta-architectures: torchvision's GeneralizedRCNN (Faster R-CNN: backbone with FPN,
// RPN, RoI heads; Mask R-CNN: the same with the RoI heads' mask branch, built for the segmentation task) and RetinaNet (backbone with FPN, classification and regression heads, focal loss), with
// torchvision's module names (`backbone.body`, `backbone.fpn`, `rpn.head`, `roi_heads`, `head`).
#pragma once

#include "models/detection/fpn.h"
#include "models/detection/roi_heads.h"
#include "models/detection/rpn.h"
#include "models/detection/transform.h"
#include "models/model.h"

namespace spool::detection {

class FasterRCNN : public Model {
public:
    FasterRCNN(int depth, const ModelConfig& config);
    Task task() const override { return task_; }
    ModelOutput run(const ModelInput& input) override;
    std::vector<std::string> head_prefixes() const override {
        return {"roi_heads.box_predictor.", "roi_heads.mask_predictor.mask_fcn_logits."};
    }
    std::vector<std::vector<std::string>> layer_groups() const override {
        return {{"backbone.body.conv1.", "backbone.body.bn1."}, {"backbone.body.layer1."}, {"backbone.body.layer2."},
                {"backbone.body.layer3."}, {"backbone.body.layer4."}};
    }
    std::string backbone_prefix() const override { return "backbone.body."; }

    BackboneWithFPN backbone{nullptr};
    RegionProposalNetwork rpn{nullptr};
    RoIHeads roi_heads{nullptr};

protected:
    Task task_;
    RCNNTransform transform_;
};

class RetinaNetImpl;

/// RetinaNet ResNet-50 FPN: classification head with focal loss, regression head with L1 loss.
std::shared_ptr<Model> make_retinanet(int depth, const ModelConfig& config);

}  // namespace spool::detection
