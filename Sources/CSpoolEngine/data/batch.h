// batch.h — what the loader's workers make (an Example per image) and hand the trainer (a Batch), without
// libtorch: the trainer wraps the buffers in tensors.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace spool {

/// One image after its transform.
struct Example {
    int height = 0, width = 0;
    std::vector<float> chw;           // 3 x height x width
    std::vector<float> class_target;  // classification: one id, or a multi-hot row
    std::vector<float> boxes;         // detection: n x 4, in this image's pixels
    std::vector<int64_t> labels;      // detection: n, from 0
    std::vector<uint8_t> crowd;       // detection: n
    std::vector<std::vector<std::vector<float>>> polygons;  // segmentation: per object, parts in pixels
    int offset_x = 0, offset_y = 0;     // a tile: its top-left corner in the whole image
    int full_width = 0, full_height = 0;  // the whole image's size (a tile's image; else this one's)
};

/// Images of one batch, padded to a common size (the top-left corner holds each image), with their sizes.
struct Batch {
    int64_t size = 0;
    int height = 0, width = 0;
    std::vector<float> images;  // size x 3 x height x width
    std::vector<int> heights, widths;
    std::vector<int> offsets_x, offsets_y, full_widths, full_heights;  // per image (see Example)
    std::vector<float> class_targets;  // size x target_width
    int target_width = 0;
    std::vector<Example> examples;     // detection: each image's targets (their pixels emptied)
    std::vector<int64_t> indices;      // the dataset index of each image
    std::string error;                 // set when an image of the batch failed
};

}  // namespace spool
