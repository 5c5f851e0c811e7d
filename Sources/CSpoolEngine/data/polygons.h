// polygons.h — instance masks from polygons and back, with OpenCV (fillPoly, findContours, approxPolyDP):
// the ground truth of segmentation is rasterised from the JSONL's polygons, and a predicted mask becomes
// Azure's polygons.
#pragma once

#include <cstdint>
#include <vector>

namespace spool {

/// Coordinates are in pixels from the image's top-left edge (as normalised JSONL coordinates times the image's
/// size): pixel (i, j) spans [i, i + 1) x [j, j + 1) and its centre is at (i + 0.5, j + 0.5).

/// Sets to 1 the pixels of `mask` (height x width, row-major) that any of the parts ([x1, y1, x2, y2, ...])
/// covers: the union of the parts, as COCO merges them. OpenCV's fillPoly rounds each vertex to the nearest
/// pixel centre (8 fractional bits, halves up) and fills the pixels on and inside that outline: a pixel whose
/// centre is inside is the object's, and so is one whose centre is within half a pixel outside.
void rasterize_polygons(const std::vector<std::vector<float>>& parts, int height, int width, uint8_t* mask);

/// The outer boundary of each region of a binary mask (non-zero pixels), through the centres of its boundary
/// pixels (so within half a pixel of the region's edge), larger regions first, each simplified (Douglas-Peucker,
/// its tolerance doubled from 0.5 px until it fits) to at most `max_points` points (should that leave fewer than
/// 3, `max_points` of the last outline's points evenly spaced instead); regions whose outline has fewer than 3
/// points (single pixels, lines) are dropped.
std::vector<std::vector<float>> mask_to_polygons(const uint8_t* mask, int height, int width, int max_points);

}  // namespace spool
