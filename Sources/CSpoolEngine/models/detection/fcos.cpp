#include "models/detection/fcos.h"

#include "models/detection/anchor_generator.h"
#include "models/detection/box_ops.h"
#include "models/detection/fcos_head.h"
#include "models/detection/fpn.h"
#include "models/detection/ops.h"
#include "models/detection/rpn.h"
#include "models/detection/transform.h"

#include <limits>

namespace spool::detection {

namespace {

constexpr double kCenterSamplingRadius = 1.5;
constexpr int64_t kTopkCandidates = 1000;

/// One square "anchor" per location, as wide as its level's stride: its centre is FCOS's point.
AnchorGenerator fcos_points() {
    return AnchorGenerator({{8}, {16}, {32}, {64}, {128}}, std::vector<std::vector<double>>(5, {1.0}));
}

}  // namespace

class FCOSImpl : public Model {
public:
    FCOSImpl(int depth, const ModelConfig& config) : task_(config.task), config_(config) {
        const int64_t trainable = config.trainable_backbone_layers < 0 ? 5 : config.trainable_backbone_layers;
        backbone = register_module("backbone", BackboneWithFPN(depth, config.frozen_batch_norm, trainable, 2, ExtraBlock::p6p7));
        // The job's classes without a background: labels 1..C are the head's outputs 0..C-1.
        head = register_module("head", FCOSHead(256, points_.num_anchors_per_location(), config.num_classes));
        transform_.min_size = config.min_size;
        transform_.max_size = config.max_size;
        record_frozen_by_design();
    }

    Task task() const override { return task_; }
    std::vector<std::string> head_prefixes() const override { return {"head.classification_head.cls_logits."}; }
    std::vector<std::vector<std::string>> layer_groups() const override {
        return {{"backbone.body.conv1.", "backbone.body.bn1."}, {"backbone.body.layer1."}, {"backbone.body.layer2."},
                {"backbone.body.layer3."}, {"backbone.body.layer4."}};
    }
    std::string backbone_prefix() const override { return "backbone.body."; }

    /// torchvision's FCOS files, as its RetinaNet's, have an output for label 0 (COCO's background id), never a
    /// target: a head with that one more output loads with it dropped; the other classes' scores do not
    /// depend on it.
    void adapt_reference_state(std::map<std::string, torch::Tensor>& file) const override {
        const int64_t classes = config_.num_classes;
        for (const std::string name : {"head.classification_head.cls_logits.weight", "head.classification_head.cls_logits.bias"}) {
            auto it = file.find(name);
            if (it == file.end() || it->second.dim() == 0 || it->second.size(0) != classes + 1) continue;
            it->second = it->second.slice(0, 1).contiguous();
        }
    }

    ModelOutput run(const ModelInput& input) override {
        auto batch = transform_(input, is_training());
        auto features = backbone->forward(batch.images);
        auto out = head->forward(features);
        auto points = points_({batch.images.size(2), batch.images.size(3)}, features);
        std::vector<int64_t> per_level;
        for (const auto& f : features) per_level.push_back(f.size(2) * f.size(3) * points_.num_anchors_per_location());
        ModelOutput result;
        if (is_training()) {
            result.losses = losses(batch, out, points, per_level);
        } else {
            result.detections = detections(batch, out, points, per_level);
        }
        return result;
    }

    FCOSHead head{nullptr};
    BackboneWithFPN backbone{nullptr};

private:
    /// Each point's object (-1: none): inside it and within 1.5 strides of its centre, its level's range of
    /// sizes holding the object's farthest edge; the smallest such object.
    torch::Tensor match(const torch::Tensor& boxes, const torch::Tensor& points, const std::vector<int64_t>& per_level) const {
        using torch::indexing::Slice;
        auto centres = (boxes.slice(1, 0, 2) + boxes.slice(1, 2, 4)) / 2;                   // M x 2
        auto point_centres = (points.slice(1, 0, 2) + points.slice(1, 2, 4)) / 2;           // P x 2
        auto strides = points.select(1, 2) - points.select(1, 0);                            // P
        auto near = std::get<0>((point_centres.unsqueeze(1) - centres.unsqueeze(0)).abs_().max(2)) <
                    kCenterSamplingRadius * strides.unsqueeze(1);
        auto x = point_centres.select(1, 0).unsqueeze(1), y = point_centres.select(1, 1).unsqueeze(1);  // P x 1
        auto edges = boxes.unsqueeze(0).unbind(2);                                                     // 1 x M each
        auto distances = torch::stack({x - edges[0], y - edges[1], edges[2] - x, edges[3] - y}, 2);     // P x M x 4
        auto matches = near & (std::get<0>(distances.min(2)) > 0);
        auto lower = strides * 4, upper = strides * 8;
        lower.index_put_({Slice(0, per_level.front())}, 0);
        upper.index_put_({Slice(points.size(0) - per_level.back(), torch::indexing::None)}, std::numeric_limits<float>::infinity());
        auto farthest = std::get<0>(distances.max(2));
        matches &= (farthest > lower.unsqueeze(1)) & (farthest < upper.unsqueeze(1));
        auto areas = (boxes.select(1, 2) - boxes.select(1, 0)) * (boxes.select(1, 3) - boxes.select(1, 1));
        auto weighted = matches.to(torch::kFloat32) * (1e8 - areas.unsqueeze(0));
        auto best = weighted.max(1);
        auto index = std::get<1>(best);
        index.masked_fill_(std::get<0>(best) < 1e-5, -1);
        return index;
    }

    std::vector<std::pair<std::string, torch::Tensor>> losses(const TransformedBatch& batch, const FCOSHeadOutputs& out,
                                                              const torch::Tensor& points, const std::vector<int64_t>& per_level) {
        std::vector<torch::Tensor> matched, boxes, classes, counted;
        for (const auto& targets : batch.targets) {
            auto t = split_crowd(targets);
            auto m = t.boxes.numel() == 0
                         ? torch::full({points.size(0)}, -1, torch::TensorOptions().dtype(torch::kLong).device(points.device()))
                         : match(t.boxes, points, per_level);
            auto count = torch::ones({points.size(0)}, torch::TensorOptions().dtype(torch::kBool).device(points.device()));
            if (t.crowd_boxes.numel() > 0) {
                // A point whose square lies half inside a crowd region, matching nothing, is neither object nor
                // background: the classification loss leaves it out.
                auto ioa = std::get<0>(box_ioa(t.crowd_boxes, points).max(0));
                count = ~((ioa >= 0.5) & (m < 0));
            }
            matched.push_back(m);
            boxes.push_back(t.boxes);
            classes.push_back(t.labels - 1);
            counted.push_back(count);
        }
        return head->compute_loss(out, points, matched, boxes, classes, counted);
    }

    std::vector<ImageDetections> detections(const TransformedBatch& batch, const FCOSHeadOutputs& out,
                                            const torch::Tensor& points, const std::vector<int64_t>& per_level) const {
        std::vector<ImageDetections> all;
        auto point_levels = points.split_with_sizes(per_level, 0);
        for (int64_t img = 0; img < batch.images.size(0); ++img) {
            const auto size = batch.sizes[static_cast<size_t>(img)];
            auto cls_levels = out.cls_logits[img].split_with_sizes(per_level, 0);
            auto reg_levels = out.bbox_regression[img].split_with_sizes(per_level, 0);
            auto ctr_levels = out.bbox_ctrness[img].split_with_sizes(per_level, 0);
            std::vector<torch::Tensor> boxes_all, scores_all, labels_all;
            for (size_t l = 0; l < per_level.size(); ++l) {
                const int64_t num_classes = cls_levels[l].size(-1);
                auto scores = torch::sqrt(torch::sigmoid(cls_levels[l]) * torch::sigmoid(ctr_levels[l])).flatten();
                auto keep = scores > config_.box_score_thresh;
                scores = scores.index({keep});
                auto idxs = torch::where(keep)[0];
                auto top = scores.topk(std::min<int64_t>(kTopkCandidates, idxs.size(0)));
                scores = std::get<0>(top);
                idxs = idxs.index({std::get<1>(top)});
                auto point_idxs = torch::div(idxs, num_classes, "floor");
                auto boxes = coder_.decode(reg_levels[l].index({point_idxs}), point_levels[l].index({point_idxs}));
                boxes_all.push_back(clip_boxes_to_image(boxes, size));
                scores_all.push_back(scores);
                labels_all.push_back(idxs % num_classes);
            }
            auto boxes = torch::cat(boxes_all), scores = torch::cat(scores_all), labels = torch::cat(labels_all);
            auto keep = batched_nms(boxes, scores, labels, config_.box_nms_thresh).slice(0, 0, config_.box_detections_per_img);
            auto kept = RCNNTransform::resize_boxes(boxes.index({keep}), size, batch.original_sizes[static_cast<size_t>(img)]);
            // Labels from 1, as every detector's outputs.
            all.push_back(ImageDetections{kept, scores.index({keep}), labels.index({keep}) + 1, torch::Tensor()});
        }
        return all;
    }

    Task task_;
    ModelConfig config_;
    RCNNTransform transform_;
    AnchorGenerator points_ = fcos_points();
    BoxLinearCoder coder_;
};

std::shared_ptr<Model> make_fcos(int depth, const ModelConfig& config) {
    return std::make_shared<FCOSImpl>(depth, config);
}

}  // namespace spool::detection
