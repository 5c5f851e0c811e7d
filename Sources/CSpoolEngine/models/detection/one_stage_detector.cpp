#include "models/detection/one_stage_detector.h"

#include "models/detection/box_ops.h"
#include "models/detection/ops.h"
#include "models/detection/rpn.h"

#include <algorithm>
#include <utility>

namespace spool::detection {

namespace {

/// torchvision's per-level candidates: 1,000 at the most above the score threshold.
constexpr int64_t kTopkCandidates = 1000;

}  // namespace

OneStageDetector::OneStageDetector(int depth, const ModelConfig& config, AnchorGenerator anchors)
    : task_(config.task), config_(config), anchors_(std::move(anchors)) {
    const int64_t trainable = config.trainable_backbone_layers < 0 ? 5 : config.trainable_backbone_layers;
    backbone = register_module("backbone", BackboneWithFPN(depth, config.frozen_batch_norm, trainable, 2, ExtraBlock::p6p7));
    transform_.min_size = config.min_size;
    transform_.max_size = config.max_size;
    record_frozen_by_design();
}

std::vector<std::vector<std::string>> OneStageDetector::layer_groups() const {
    return {{"backbone.body.conv1.", "backbone.body.bn1."}, {"backbone.body.layer1."}, {"backbone.body.layer2."},
            {"backbone.body.layer3."}, {"backbone.body.layer4."}};
}

void OneStageDetector::adapt_reference_state(std::map<std::string, torch::Tensor>& file) const {
    const int64_t anchors = anchors_.num_anchors_per_location(), classes = config_.num_classes;
    for (const std::string name : {"head.classification_head.cls_logits.weight", "head.classification_head.cls_logits.bias"}) {
        auto it = file.find(name);
        if (it == file.end() || it->second.dim() == 0 || it->second.size(0) != anchors * (classes + 1)) continue;
        auto t = it->second;
        auto per_anchor = t.reshape({anchors, classes + 1, -1}).slice(1, 1);
        auto sizes = t.sizes().vec();
        sizes[0] = anchors * classes;
        it->second = per_anchor.reshape(sizes).contiguous();
    }
}

ModelOutput OneStageDetector::run(const ModelInput& input) {
    const bool training = is_training();
    auto batch = transform_(input, training);
    auto features = backbone->forward(batch.images);
    auto out = head_outputs(features);
    auto anchors = anchors_({batch.images.size(2), batch.images.size(3)}, features);
    std::vector<int64_t> per_level;
    for (const auto& f : features) per_level.push_back(f.size(2) * f.size(3) * anchors_.num_anchors_per_location());
    ModelOutput result;
    if (training) {
        result.losses = losses(out, anchors, match_targets(batch, anchors, per_level));
    } else {
        result.detections = postprocess(batch, out, anchors, per_level);
    }
    return result;
}

torch::Tensor OneStageDetector::class_scores(const DenseHeadOutputs& out, int64_t image) const {
    return torch::sigmoid(out.cls_logits[image]);
}

std::vector<MatchedImage> OneStageDetector::match_targets(const TransformedBatch& batch, const torch::Tensor& anchors,
                                                          const std::vector<int64_t>& per_level) const {
    std::vector<MatchedImage> images;
    for (const auto& targets : batch.targets) {
        auto t = split_crowd(targets);
        MatchedImage m;
        m.matched = t.boxes.numel() == 0
                        ? torch::full({anchors.size(0)}, -1, torch::TensorOptions().dtype(torch::kLong).device(anchors.device()))
                        : match(t.boxes, anchors, per_level);
        m.counted = m.matched != Matcher::kBetween;
        if (t.crowd_boxes.numel() > 0) {
            // An anchor half inside a crowd region, matching nothing, is neither object nor background: the
            // classification loss leaves it out.
            auto ioa = std::get<0>(box_ioa(t.crowd_boxes, anchors).max(0));
            m.counted &= ~((ioa >= 0.5) & (m.matched < 0));
        }
        m.boxes = t.boxes;
        m.classes = t.labels - 1;
        images.push_back(std::move(m));
    }
    return images;
}

std::vector<ImageDetections> OneStageDetector::postprocess(const TransformedBatch& batch, const DenseHeadOutputs& out,
                                                           const torch::Tensor& anchors,
                                                           const std::vector<int64_t>& per_level) const {
    std::vector<ImageDetections> all;
    auto anchor_levels = anchors.split_with_sizes(per_level, 0);
    for (int64_t img = 0; img < batch.images.size(0); ++img) {
        const auto size = batch.sizes[static_cast<size_t>(img)];
        auto score_levels = class_scores(out, img).split_with_sizes(per_level, 0);
        auto reg_levels = out.bbox_regression[img].split_with_sizes(per_level, 0);
        std::vector<torch::Tensor> boxes_all, scores_all, labels_all;
        for (size_t l = 0; l < per_level.size(); ++l) {
            const int64_t num_classes = score_levels[l].size(-1);
            auto scores = score_levels[l].flatten();
            auto keep = scores > config_.box_score_thresh;
            scores = scores.index({keep});
            auto idxs = torch::where(keep)[0];
            auto top = scores.topk(std::min<int64_t>(kTopkCandidates, idxs.size(0)));
            scores = std::get<0>(top);
            idxs = idxs.index({std::get<1>(top)});
            auto anchor_idxs = torch::div(idxs, num_classes, "floor");
            auto boxes = decode(reg_levels[l].index({anchor_idxs}), anchor_levels[l].index({anchor_idxs}));
            boxes_all.push_back(clip_boxes_to_image(boxes, size));
            scores_all.push_back(scores);
            labels_all.push_back(idxs % num_classes);
        }
        auto boxes = torch::cat(boxes_all), scores = torch::cat(scores_all), labels = torch::cat(labels_all);
        auto keep = batched_nms(boxes, scores, labels, config_.box_nms_thresh).slice(0, 0, config_.box_detections_per_img);
        auto kept = RCNNTransform::resize_boxes(boxes.index({keep}), size, batch.original_sizes[static_cast<size_t>(img)]);
        // Labels from 1, as every detector's outputs (the R-CNN family's 0 is the background).
        all.push_back(ImageDetections{kept, scores.index({keep}), labels.index({keep}) + 1, torch::Tensor()});
    }
    return all;
}

}  // namespace spool::detection
