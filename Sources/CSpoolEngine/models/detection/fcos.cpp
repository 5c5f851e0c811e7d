#include "models/detection/fcos.h"

#include "models/detection/box_linear_coder.h"
#include "models/detection/fcos_head.h"
#include "models/detection/one_stage_detector.h"

#include <limits>

namespace spool::detection {

namespace {

constexpr double kCenterSamplingRadius = 1.5;

/// One square "anchor" per location, as wide as its level's stride: its centre is FCOS's point.
AnchorGenerator fcos_points() {
    return AnchorGenerator({{8}, {16}, {32}, {64}, {128}}, std::vector<std::vector<double>>(5, {1.0}));
}

}  // namespace

class FCOSImpl : public OneStageDetector {
public:
    FCOSImpl(int depth, const ModelConfig& config) : OneStageDetector(depth, config, fcos_points()) {
        // The job's classes without a background: labels 1..C are the head's outputs 0..C-1.
        head = register_module("head", FCOSHead(256, anchors_per_location(), config.num_classes));
    }

    FCOSHead head{nullptr};

private:
    DenseHeadOutputs head_outputs(const std::vector<torch::Tensor>& features) override { return head->forward(features); }

    /// Each point's object (-1: none): inside it and within 1.5 strides of its centre, its level's range of
    /// sizes holding the object's farthest edge; the smallest such object.
    torch::Tensor match(const torch::Tensor& boxes, const torch::Tensor& points, const std::vector<int64_t>& per_level) const override {
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

    NamedLosses losses(const DenseHeadOutputs& out, const torch::Tensor& points, const std::vector<MatchedImage>& images) override {
        return head->compute_loss(out, points, images);
    }

    /// sqrt(class x centerness), as torchvision's postprocess_detections.
    torch::Tensor class_scores(const DenseHeadOutputs& out, int64_t image) const override {
        return torch::sqrt(torch::sigmoid(out.cls_logits[image]) * torch::sigmoid(out.bbox_ctrness[image]));
    }

    torch::Tensor decode(const torch::Tensor& codes, const torch::Tensor& points) const override {
        return coder_.decode(codes, points);
    }

    BoxLinearCoder coder_;
};

std::shared_ptr<Model> make_fcos(int depth, const ModelConfig& config) {
    return std::make_shared<FCOSImpl>(depth, config);
}

}  // namespace spool::detection
