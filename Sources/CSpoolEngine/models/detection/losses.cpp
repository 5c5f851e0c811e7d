#include "models/detection/losses.h"

#include <torch/nn/functional/loss.h>

namespace spool::detection {

namespace F = torch::nn::functional;

torch::Tensor sigmoid_focal_loss(const torch::Tensor& inputs, const torch::Tensor& targets) {
    auto p = torch::sigmoid(inputs);
    auto ce = F::binary_cross_entropy_with_logits(inputs, targets, F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone));
    auto p_t = p * targets + (1 - p) * (1 - targets);
    auto loss = ce * (1 - p_t).pow(2);
    auto alpha_t = 0.25 * targets + (1 - 0.25) * (1 - targets);
    return (alpha_t * loss).sum();
}

torch::Tensor generalized_box_iou_loss(const torch::Tensor& a, const torch::Tensor& b) {
    constexpr double eps = 1e-7;
    auto pa = a.unbind(-1), pb = b.unbind(-1);
    const auto &x1 = pa[0], &y1 = pa[1], &x2 = pa[2], &y2 = pa[3];
    const auto &x1g = pb[0], &y1g = pb[1], &x2g = pb[2], &y2g = pb[3];
    // The intersection where the boxes overlap (gradients only there), else 0.
    auto ix1 = torch::max(x1, x1g), iy1 = torch::max(y1, y1g), ix2 = torch::min(x2, x2g), iy2 = torch::min(y2, y2g);
    auto overlap = (iy2 > iy1) & (ix2 > ix1);
    auto intersection = torch::where(overlap, (ix2 - ix1) * (iy2 - iy1), torch::zeros_like(x1));
    auto uni = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - intersection;
    auto iou = intersection / (uni + eps);
    // The smallest box enclosing both.
    auto enclosing = (torch::max(x2, x2g) - torch::min(x1, x1g)) * (torch::max(y2, y2g) - torch::min(y1, y1g));
    auto giou = iou - (enclosing - uni) / (enclosing + eps);
    return (1 - giou).sum();
}

}  // namespace spool::detection
