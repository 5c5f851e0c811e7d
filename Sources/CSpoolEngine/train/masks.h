// masks.h — a segmentation prediction's masks: each detection's M x M probabilities kept as the model gave them,
// pasted into the image, thresholded, and turned into polygons (data/polygons.h) and COCO's RLE (data/rle.h).
#pragma once

#include "models/model.h"
#include "train/prediction.h"

#include <cstdint>
#include <vector>

namespace spool {

/// Fills `out`'s mask fields (mask_size, masks, pixel_boxes, polygons, rle) from one image's detections: `masks`
/// n x 1 x M x M probabilities within `boxes` (n x 4, pixels of the out.width x out.height image), both on the CPU
/// in float32. The pasted masks are binarised at settings.pixel_score_thresh.
void add_mask_outputs(Prediction::Detections& out, const torch::Tensor& masks, const torch::Tensor& boxes,
                      const MaskSettings& settings);

/// A segmentation detection's mask pasted into its image: height x width probabilities, row-major.
std::vector<float> pasted_mask(const Prediction::Detections& d, int64_t detection);

}  // namespace spool
