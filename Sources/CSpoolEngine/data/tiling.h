// tiling.h — tiled detection for small objects (spec section 5): each image is scored whole and in tiles of a
// cols x rows grid that overlap, and the views' detections are merged by NMS. Training uses the same views as
// samples. The tile arithmetic is score.py's (spool_scoring/detection.py), so both cut the same pixels.
#pragma once

#include "data/sample.h"

#include <array>
#include <memory>

namespace spool {

/// The pixels (x1, y1, x2, y2) of a tile view in a width x height image; the whole image for a whole view.
std::array<int, 4> tile_rect(int width, int height, const TileView& tile);

/// A dataset of views: each image whole, then its tiles row by row; each view's `source` is its image.
std::shared_ptr<Dataset> tile_dataset(const Dataset& dataset, int cols, int rows, float overlap, float nms_thresh,
                                      int64_t max_detections);

}  // namespace spool
