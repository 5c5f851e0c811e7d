// yolov5.h — Ultralytics YOLOv5 in its v7.0 layout (Conv with SiLU, C3, SPPF, an anchor-based Detect over
// P3-P5), under the state-dict names of Ultralytics' DetectionModel (`model.0.conv.weight` ...
// `model.24.m.0.weight`, `model.24.anchors`), so that weights converted from Ultralytics' release files load as
// they are. The four sizes come from one layer table and a depth and width multiple each.
//
// Training: named losses as Ultralytics' ComputeLoss (yolo_loss.h), each times the batch size as train.py
// backpropagates them. Evaluation: each image letterboxed as Ultralytics' detect.py does (letterbox.h: its 8-bit
// pixels resized by OpenCV's INTER_LINEAR to fit `image_size`, grey 114 padding to a multiple of 32), decoded,
// filtered by score = objectness x class probability, class-aware NMS, and mapped back to the image's pixels as
// scale_boxes() maps them.
#pragma once

#include "models/model.h"

#include <memory>

namespace spool::detection {

/// The depth and width multiples of a size letter (s, m, l, x).
struct YoloScale {
    double depth = 0.33, width = 0.5;
};
YoloScale yolo_scale(char size);

/// yolov5s/m/l/x for the config's classes. Throws std::invalid_argument for another letter.
std::shared_ptr<Model> make_yolov5(char size, const ModelConfig& config);

/// Ultralytics' default anchors in pixels (P3, P4, P5; three w, h pairs each).
const std::vector<float>& yolo_default_anchors();

}  // namespace spool::detection
