// yolo.h — YOLOv5's training transforms (spec section 8), as Ultralytics' loader makes them: each image scaled so
// its longer side is `letterbox_size`; with probability `mosaic_prob` four images (this one and three drawn from
// the dataset) around a random centre of a double-size canvas, else this one letterboxed; then a random affine
// (rotation, scale, shear, translation) into a letterbox_size square, HSV jitter and a horizontal flip. Boxes
// move with the pixels. Validation and scoring images pass as they are: the model letterboxes them.
#pragma once

#include "data/loader.h"
#include "data/pipeline.h"

#include <memory>

namespace spool {

std::unique_ptr<Pipeline> make_yolo_pipeline(const LoaderConfig& config, std::shared_ptr<const Dataset> dataset);

}  // namespace spool
