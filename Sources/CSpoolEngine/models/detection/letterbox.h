// letterbox.h — YOLOv5's evaluation letterbox, as Ultralytics' detect.py makes it (utils/augmentations.py
// letterbox() with auto=True, scaleup=True) and maps boxes back (utils/general.py scale_boxes()).
//
// The image is scaled to fit `side` (up or down; sides rounded half to even, as Python's round()), its 8-bit
// pixels resized by OpenCV's INTER_LINEAR, then padded with grey 114 to the next multiple of `stride` on each
// side, centred (the odd pixel after, as round(d - 0.1), round(d + 0.1)). Spool's training transforms work on
// the same 8-bit pixels (data/transforms/yolo.cpp), so training, evaluation and scoring see one image.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace spool::detection {

struct Letterboxed {
    at::Tensor image;                 // 1 x 3 x H x W, float in [0, 1] (8-bit values / 255), H and W multiples of stride
    double gain = 1;                  // scale_boxes' gain: min(H / h, W / w)
    double pad_x = 0, pad_y = 0;      // scale_boxes' padding: (W - w * gain) / 2, (H - h * gain) / 2
};

/// Letterboxes a 1 x 3 x h x w image whose values are 8-bit pixels / 255 (as the loader makes them).
Letterboxed letterbox(const at::Tensor& image, int64_t side, int64_t stride);

/// Boxes (n x 4: x1, y1, x2, y2 in the letterboxed image's pixels) back to the h x w image's pixels, clipped to it.
void unletterbox(at::Tensor& boxes, const Letterboxed& letterboxed, int64_t h, int64_t w);

}  // namespace spool::detection
