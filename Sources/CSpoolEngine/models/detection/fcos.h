// fcos.h — torchvision's FCOS (fcos_resnet50_fpn): anchor-free, one point per location of P3..P7 (the ResNet
// FPN of RetinaNet: returned layers 2-4, P6 and P7 from P5), the FCOSHead, torchvision's matching (points
// inside an object and near its centre, each level for a range of object sizes, the smallest object when
// several match) and its post-processing (score sqrt(class x centerness), top 1,000 per level, class-wise NMS).
#pragma once

#include "models/model.h"

#include <memory>

namespace spool::detection {

/// FCOS with a ResNet-`depth` FPN backbone.
std::shared_ptr<Model> make_fcos(int depth, const ModelConfig& config);

}  // namespace spool::detection
