// roi_heads.h — torchvision's RoIHeads for boxes (`roi_heads.box_head.fc6/fc7`,
// `roi_heads.box_predictor.cls_score/bbox_pred`): MultiScaleRoIAlign over P2..P5, two MLP layers, class
// scores and per-class box deltas; in training, proposals matched and sampled with the objects added, and
// the two losses; in evaluation, per-class NMS and the detections. With masks (Mask R-CNN), the mask branch
// of mask_head.h on the positive proposals (training) or the detections (evaluation).
#pragma once

#include "models/detection/box_ops.h"
#include "models/detection/mask_head.h"
#include "models/model.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>

namespace spool::detection {

/// torchvision's MultiScaleRoIAlign: each box pooled from the level its size maps to (canonical 224 at P4).
torch::Tensor multiscale_roi_align(const std::vector<torch::Tensor>& features, const std::vector<torch::Tensor>& boxes,
                                   const std::vector<std::array<int64_t, 2>>& image_sizes, int64_t output_size,
                                   int64_t sampling_ratio);

class TwoMLPHeadImpl : public torch::nn::Module {
public:
    TwoMLPHeadImpl(int64_t in_channels, int64_t representation);
    torch::Tensor forward(const torch::Tensor& x);
    torch::nn::Linear fc6{nullptr}, fc7{nullptr};
};
TORCH_MODULE(TwoMLPHead);

class FastRCNNPredictorImpl : public torch::nn::Module {
public:
    FastRCNNPredictorImpl(int64_t in_channels, int64_t num_classes);
    std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x);
    torch::nn::Linear cls_score{nullptr}, bbox_pred{nullptr};
};
TORCH_MODULE(FastRCNNPredictor);

struct RoIConfig {
    double fg_iou_thresh = 0.5, bg_iou_thresh = 0.5;
    int64_t batch_size_per_image = 512;
    double positive_fraction = 0.25;
    double score_thresh = 0.05, nms_thresh = 0.5;
    int64_t detections_per_img = 100;
    bool masks = false;  // Mask R-CNN's mask branch
    /// The FPN levels RoIAlign pools from, finest first (torchvision's featmap_names "0".."3" that the backbone
    /// has: a ResNet's P2..P5, a MobileNetV3's two); the max-pooled level after them is the RPN's only.
    int64_t pooled_levels = 4;
};

/// The proposals training uses and what they should become.
struct SampledProposals {
    std::vector<torch::Tensor> proposals, matched_idxs, labels;
    torch::Tensor regression_targets;
};

class RoIHeadsImpl : public torch::nn::Module {
public:
    /// `num_classes` counts the background (a job's classes + 1).
    RoIHeadsImpl(int64_t in_channels, int64_t num_classes, RoIConfig config);

    /// Training: the sampled proposals' losses. Evaluation: detections (in the resized images' pixels).
    std::vector<ImageDetections> forward(const std::vector<torch::Tensor>& features, std::vector<torch::Tensor> proposals,
                                         const std::vector<std::array<int64_t, 2>>& sizes,
                                         const std::vector<ImageTargets>* targets,
                                         std::vector<std::pair<std::string, torch::Tensor>>* losses,
                                         SampledProposals* sampled = nullptr);

    /// Mask logits (K x classes x 28 x 28) of boxes per image, from 14 x 14 RoIAlign over P2..P5.
    torch::Tensor mask_logits(const std::vector<torch::Tensor>& features, const std::vector<torch::Tensor>& boxes,
                              const std::vector<std::array<int64_t, 2>>& sizes);

    SampledProposals select_training_samples(std::vector<torch::Tensor> proposals, const std::vector<ImageTargets>& targets);

    TwoMLPHead box_head{nullptr};
    FastRCNNPredictor box_predictor{nullptr};
    torch::nn::Sequential mask_head{nullptr};
    MaskRCNNPredictor mask_predictor{nullptr};
    RoIConfig config;
    BoxCoder coder{{10.0, 10.0, 5.0, 5.0}};
};
TORCH_MODULE(RoIHeads);

}  // namespace spool::detection
