// one_stage_detector.h — the meta-architecture torchvision's RetinaNet and FCOS share: GeneralizedRCNNTransform,
// a ResNet FPN backbone (`backbone`: returned layers 2-4, P6 and P7 from P5), a dense head (`head`) over every
// level, anchors (FCOS: one point per location); in training, each image's anchors matched to its objects (crowd
// regions apart) and the head's losses; in evaluation, per level the scores above the threshold, their top 1,000,
// decoded and clipped, then class-wise NMS over the levels and the best detections_per_img, in the original
// image's pixels. Each family supplies its head, its matching, its losses, its scores and its box decoding.
#pragma once

#include "models/detection/anchor_generator.h"
#include "models/detection/dense_head.h"
#include "models/detection/fpn.h"
#include "models/detection/transform.h"
#include "models/model.h"

#include <map>
#include <string>
#include <vector>

namespace spool::detection {

class OneStageDetector : public Model {
public:
    Task task() const override { return task_; }
    std::vector<std::string> head_prefixes() const override { return {"head.classification_head.cls_logits."}; }
    std::vector<std::vector<std::string>> layer_groups() const override;
    std::string backbone_prefix() const override { return "backbone.body."; }

    /// torchvision's RetinaNet and FCOS files have one more class output per anchor, label 0 (COCO's
    /// background id), never a target: a file with it loads with that slot dropped; the other classes' sigmoid
    /// scores do not depend on it.
    void adapt_reference_state(std::map<std::string, torch::Tensor>& file) const override;

    ModelOutput run(const ModelInput& input) override;

    BackboneWithFPN backbone{nullptr};

protected:
    /// Registers `backbone` (ResNet-`depth` FPN with P6, P7) and records its frozen parameters; the family's
    /// constructor registers `head` (which trains whole).
    OneStageDetector(int depth, const ModelConfig& config, AnchorGenerator anchors);

    /// The head over the FPN levels.
    virtual DenseHeadOutputs head_outputs(const std::vector<torch::Tensor>& features) = 0;
    /// Each anchor's object among `boxes` (M x 4, M > 0): its row, -1 for background, -2 for neither.
    /// `per_level`: the anchors of each level, in the order of `anchors`.
    virtual torch::Tensor match(const torch::Tensor& boxes, const torch::Tensor& anchors,
                                const std::vector<int64_t>& per_level) const = 0;
    /// The training losses of a batch.
    virtual NamedLosses losses(const DenseHeadOutputs& out, const torch::Tensor& anchors,
                               const std::vector<MatchedImage>& images) = 0;
    /// One image's class scores, P x C (RetinaNet: the sigmoid of the logits).
    virtual torch::Tensor class_scores(const DenseHeadOutputs& out, int64_t image) const;
    /// Boxes from the regression outputs of some anchors and those anchors (K x 4 each).
    virtual torch::Tensor decode(const torch::Tensor& codes, const torch::Tensor& anchors) const = 0;

    const ModelConfig& config() const { return config_; }
    int64_t anchors_per_location() const { return anchors_.num_anchors_per_location(); }

private:
    std::vector<MatchedImage> match_targets(const TransformedBatch& batch, const torch::Tensor& anchors,
                                            const std::vector<int64_t>& per_level) const;
    std::vector<ImageDetections> postprocess(const TransformedBatch& batch, const DenseHeadOutputs& out,
                                             const torch::Tensor& anchors, const std::vector<int64_t>& per_level) const;

    Task task_;
    ModelConfig config_;
    RCNNTransform transform_;
    AnchorGenerator anchors_;
};

}  // namespace spool::detection
