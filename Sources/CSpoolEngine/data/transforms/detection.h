// detection.h — the detection and segmentation transforms (section 8 of the specification): for training,
// photometric distortion, zoom out (expand), a random crop around the boxes (SSD's IoU crop) and a horizontal
// flip, with boxes and polygons moved with the pixels; for validation and scoring, the image as it is. The
// model normalises and resizes (torchvision's GeneralizedRCNNTransform), so images stay RGB in [0, 1] at their
// own size; the batch pads them to a common size and keeps each one's size.
#pragma once

#include "data/loader.h"
#include "data/pipeline.h"

namespace spool {

std::unique_ptr<Pipeline> make_detection_pipeline(const LoaderConfig& config, bool segmentation);

}  // namespace spool
