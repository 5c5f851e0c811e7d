// rle.h — a binary mask as COCO's uncompressed run-length encoding (a predicted instance mask's `counts`), without
// libtorch or OpenCV.
#pragma once

#include <cstdint>
#include <vector>

namespace spool {

/// COCO's uncompressed RLE of a binary mask (height x width, row-major): run lengths in column-major order,
/// the first a run of zeros (possibly empty).
std::vector<uint32_t> encode_rle(const uint8_t* mask, int height, int width);

}  // namespace spool
