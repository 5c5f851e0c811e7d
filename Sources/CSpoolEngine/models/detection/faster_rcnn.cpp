#include "models/detection/faster_rcnn.h"

namespace spool::detection {

RCNNBackbone RCNNBackbone::resnet(int depth) {
    RCNNBackbone b;
    b.make_body = [depth](bool frozen, BackboneBody** features) { return make_resnet_body(depth, frozen, features); };
    return b;
}

RCNNBackbone RCNNBackbone::mobilenet_v3_large() {
    RCNNBackbone b;
    b.make_body = [](bool frozen, BackboneBody** features) { return make_mobilenet_v3_large_body(frozen, features); };
    b.anchors = [] {
        return AnchorGenerator(std::vector<std::vector<double>>(3, {32, 64, 128, 256, 512}),
                               std::vector<std::vector<double>>(3, {0.5, 1.0, 2.0}));
    };
    b.rpn_score_thresh = 0.05;
    b.classifier_prefix = "features.";
    return b;
}

FasterRCNN::FasterRCNN(int depth, const ModelConfig& config) : FasterRCNN(RCNNBackbone::resnet(depth), config) {}

FasterRCNN::FasterRCNN(const RCNNBackbone& spec, const ModelConfig& config)
    : task_(config.task), classifier_prefix_(spec.classifier_prefix) {
    BackboneBody* features = nullptr;
    auto body = spec.make_body(config.frozen_batch_norm, &features);
    backbone = register_module("backbone", BackboneWithFPN(std::move(body), features, config.trainable_backbone_layers, 1,
                                                           ExtraBlock::max_pool));
    RPNConfig proposals;
    proposals.score_thresh = spec.rpn_score_thresh;
    rpn = register_module("rpn", RegionProposalNetwork(256, proposals, spec.anchors()));
    RoIConfig roi;
    roi.pooled_levels = backbone->pyramid_levels();
    roi.score_thresh = config.box_score_thresh;
    roi.nms_thresh = config.box_nms_thresh;
    roi.detections_per_img = config.box_detections_per_img;
    roi.masks = config.task == Task::segmentation;
    mask_settings = {config.mask_pixel_score_thresh, config.max_polygon_points};
    roi_heads = register_module("roi_heads", RoIHeads(256, config.num_classes + 1, roi));
    transform_.min_size = config.min_size;
    transform_.max_size = config.max_size;
    record_frozen_by_design();
}

std::vector<std::vector<std::string>> FasterRCNN::layer_groups() const {
    std::vector<std::vector<std::string>> groups;
    for (const auto& stage : backbone->body_stages()) {
        groups.emplace_back();
        for (const auto& prefix : stage) groups.back().push_back("backbone.body." + prefix);
    }
    return groups;
}

ModelOutput FasterRCNN::run(const ModelInput& input) {
    const bool training = is_training();
    auto batch = transform_(input, training);
    if (training) {
        for (const auto& t : batch.targets) {
            if (t.boxes.numel() > 0 && ((t.boxes.slice(1, 2, 4) <= t.boxes.slice(1, 0, 2)).any().item<bool>()))
                throw std::invalid_argument("a target box has no width or height (check the boxes of the batch)");
        }
    }
    auto features = backbone->forward(batch.images);
    ModelOutput out;
    std::vector<std::pair<std::string, torch::Tensor>> rpn_losses, roi_losses;
    const std::array<int64_t, 2> batch_size{batch.images.size(2), batch.images.size(3)};
    auto proposals = rpn->forward(batch_size, batch.sizes, features, training ? &batch.targets : nullptr, &rpn_losses);
    auto detections = roi_heads->forward(features, proposals, batch.sizes, training ? &batch.targets : nullptr, &roi_losses);
    if (training) {
        // torchvision's order: the detector's losses, then the proposals'.
        out.losses = roi_losses;
        out.losses.insert(out.losses.end(), rpn_losses.begin(), rpn_losses.end());
        return out;
    }
    for (size_t i = 0; i < detections.size(); ++i) {
        auto& d = detections[i];
        d.boxes = RCNNTransform::resize_boxes(d.boxes, batch.sizes[i], batch.original_sizes[i]);
    }
    out.detections = std::move(detections);
    return out;
}

}  // namespace spool::detection
