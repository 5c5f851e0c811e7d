// box_ops.h — the box arithmetic of torchvision's detectors (ops/boxes.py, models/detection/_utils.py): IoU,
// clipping, the box coder, the matcher and the balanced sampler, with torchvision's semantics so that the
// same weights give the same detections.
#pragma once

#include <torch/types.h>

#include <array>
#include <cmath>
#include <utility>
#include <vector>

namespace spool::detection {

/// IoU of every box of `a` (N x 4) with every box of `b` (M x 4): N x M.
torch::Tensor box_iou(const torch::Tensor& a, const torch::Tensor& b);

/// Intersection over the area of `b`'s boxes (an anchor's overlap with a crowd region): N x M.
torch::Tensor box_ioa(const torch::Tensor& crowd, const torch::Tensor& b);

torch::Tensor clip_boxes_to_image(const torch::Tensor& boxes, std::array<int64_t, 2> size);

/// Indices of the boxes whose sides are both >= min_size.
torch::Tensor remove_small_boxes(const torch::Tensor& boxes, double min_size);

/// torchvision's BoxCoder: (dx, dy, dw, dh) relative to reference boxes, with weights.
struct BoxCoder {
    std::array<double, 4> weights{1, 1, 1, 1};
    double clip = std::log(1000.0 / 16);

    torch::Tensor encode(const torch::Tensor& reference_boxes, const torch::Tensor& proposals) const;
    /// Decodes N x (4k) codes against N boxes: N x 4k.
    torch::Tensor decode(const torch::Tensor& codes, const torch::Tensor& boxes) const;
};

/// torchvision's Matcher: for each prediction (column), the index of its best ground truth (row), -1 below the
/// low threshold, -2 between the thresholds; optionally keeping each ground truth's best predictions.
struct Matcher {
    double high, low;
    bool allow_low_quality;
    static constexpr int64_t kBelow = -1, kBetween = -2;
    torch::Tensor operator()(const torch::Tensor& quality) const;
};

/// torchvision's BalancedPositiveNegativeSampler: per image, masks of the sampled positives (label >= 1)
/// and negatives (label == 0), drawn with torch.randperm (the global generator), positives first.
std::pair<std::vector<torch::Tensor>, std::vector<torch::Tensor>> sample_balanced(
    const std::vector<torch::Tensor>& labels, int64_t batch_size_per_image, double positive_fraction);

/// Smooth L1 summed over every element, with torchvision's beta. (libtorch's functional wrapper ignores
/// SmoothL1LossFuncOptions::beta before 2.0, so the ATen op is called directly.)
inline torch::Tensor smooth_l1_sum(const torch::Tensor& input, const torch::Tensor& target, double beta) {
    return torch::smooth_l1_loss(input, target, at::Reduction::Sum, beta);
}

}  // namespace spool::detection
