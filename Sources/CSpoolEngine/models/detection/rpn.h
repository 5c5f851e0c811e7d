// rpn.h — torchvision's RegionProposalNetwork (`rpn.head.*`): objectness and box deltas per anchor, proposals
// by top-N per level, NMS and clipping; in training, anchors matched to the objects and the RPN's two losses.
#pragma once

#include "models/detection/anchor_generator.h"
#include "models/detection/box_ops.h"
#include "models/model.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

namespace spool::detection {

class RPNHeadImpl : public torch::nn::Module {
public:
    RPNHeadImpl(int64_t in_channels, int64_t num_anchors);
    std::pair<std::vector<torch::Tensor>, std::vector<torch::Tensor>> forward(const std::vector<torch::Tensor>& features);

    torch::nn::Sequential conv{nullptr};
    torch::nn::Conv2d cls_logits{nullptr}, bbox_pred{nullptr};
};
TORCH_MODULE(RPNHead);

struct RPNConfig {
    int64_t pre_nms_top_n_train = 2000, pre_nms_top_n_test = 1000;
    int64_t post_nms_top_n_train = 2000, post_nms_top_n_test = 1000;
    double nms_thresh = 0.7, fg_iou_thresh = 0.7, bg_iou_thresh = 0.3;
    int64_t batch_size_per_image = 256;
    double positive_fraction = 0.5, score_thresh = 0.0;
};

/// Flattens per-level N x (A*C) x H x W outputs to (N * sum HWA) x C, torchvision's order.
std::pair<torch::Tensor, torch::Tensor> concat_box_prediction_layers(const std::vector<torch::Tensor>& cls,
                                                                     const std::vector<torch::Tensor>& reg);

class RegionProposalNetworkImpl : public torch::nn::Module {
public:
    /// `anchors`: one entry of sizes per feature level the RPN sees (torchvision's rpn_anchor_generator).
    RegionProposalNetworkImpl(int64_t in_channels, RPNConfig config, AnchorGenerator anchors = AnchorGenerator::faster_rcnn());
    /// Proposals per image (in the resized images' pixels); the losses in training.
    std::vector<torch::Tensor> forward(std::array<int64_t, 2> batch_size, const std::vector<std::array<int64_t, 2>>& sizes,
                                       const std::vector<torch::Tensor>& features, const std::vector<ImageTargets>* targets,
                                       std::vector<std::pair<std::string, torch::Tensor>>* losses);

    RPNHead head{nullptr};

private:
    RPNConfig config_;
    AnchorGenerator anchors_;
    BoxCoder coder_;
};
TORCH_MODULE(RegionProposalNetwork);

/// Which objects a matching uses: the non-crowd ones (boxes, labels and, with segmentation, masks), and the
/// crowd regions apart.
struct MatchTargets {
    torch::Tensor boxes, labels, crowd_boxes, masks;
};
MatchTargets split_crowd(const ImageTargets& t);

/// Predictions overlapping a crowd region by half their area that would be negatives are ignored instead.
void ignore_crowd_overlaps(torch::Tensor& labels, const torch::Tensor& predictions, const torch::Tensor& crowd_boxes,
                           double ignore_value);

}  // namespace spool::detection
