// losses.h — the dense detectors' losses, as torchvision.ops has them: the sigmoid focal loss (RetinaNet's and
// FCOS's classification) and the generalised IoU loss (FCOS's boxes), both summed.
#pragma once

#include <torch/types.h>

namespace spool::detection {

/// torchvision.ops.sigmoid_focal_loss(inputs, targets, alpha 0.25, gamma 2, reduction "sum").
torch::Tensor sigmoid_focal_loss(const torch::Tensor& inputs, const torch::Tensor& targets);

/// torchvision.ops.generalized_box_iou_loss(a, b, reduction "sum", eps 1e-7): 1 - GIoU of each pair of rows.
torch::Tensor generalized_box_iou_loss(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace spool::detection
