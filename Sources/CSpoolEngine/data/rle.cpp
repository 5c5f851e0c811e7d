// rle.cpp — COCO's uncompressed RLE of a binary mask (rle.h).
#include "data/rle.h"

#include <cstddef>

namespace spool {

std::vector<uint32_t> encode_rle(const uint8_t* mask, int height, int width) {
    std::vector<uint32_t> counts;
    uint8_t current = 0;
    uint32_t run = 0;
    for (int x = 0; x < width; ++x) {
        for (int y = 0; y < height; ++y) {
            const uint8_t value = mask[static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)] != 0;
            if (value != current) {
                counts.push_back(run);
                run = 0;
                current = value;
            }
            ++run;
        }
    }
    counts.push_back(run);
    return counts;
}

}  // namespace spool
