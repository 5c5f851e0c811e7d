// yolo_loss.h — YOLOv5's training loss (Ultralytics' ComputeLoss): targets matched to anchors whose width and
// height ratio to the box is under `anchor_t`, each target also assigned to the two neighbouring cells its
// centre is closest to; CIoU box loss, objectness BCE against the (detached) IoU, class BCE, the objectness of
// the three levels weighted 4.0 / 1.0 / 0.4.
#pragma once

#include <torch/types.h>

#include <string>
#include <utility>
#include <vector>

namespace spool::detection {

struct YoloLossGains {
    double box = 0.05, obj = 1.0, cls = 0.5;  // scaled by the number of classes and image size (see scaled)
    double anchor_t = 4.0;
    /// Ultralytics' train.py: box x 3/nl, cls x nc/80 x 3/nl, obj x (image_size/640)^2 x 3/nl.
    static YoloLossGains scaled(int64_t num_classes, int64_t image_size, int64_t levels = 3);
};

/// `raw`: per level, batch x anchors x ny x nx x (5 + classes) logits. `anchors`: levels x anchors x 2 in grid
/// units. `targets`: n x 6 (image, class from 0, cx, cy, w, h) normalised to the input's width and height.
/// Returns loss_box, loss_obj, loss_cls, each times the batch size.
std::vector<std::pair<std::string, torch::Tensor>> yolo_loss(const std::vector<torch::Tensor>& raw,
                                                             const torch::Tensor& anchors, const torch::Tensor& targets,
                                                             int64_t num_classes, const YoloLossGains& gains);

/// Complete IoU of boxes given as (cx, cy, w, h), row by row (n x 4 against n x 4): n values.
torch::Tensor complete_iou(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace spool::detection
