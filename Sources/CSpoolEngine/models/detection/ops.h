// ops.h — the two kernels the detectors need beyond ATen: non-maximum suppression and RoIAlign.
//
// torchvision's own C++ kernels are used when its library can be loaded into this process (Debian's
// python3-torchvision ships `_C*.so`, which needs only libc10, libtorch_cpu and libstdc++): after dlopen, its
// operators are in libtorch's dispatcher and give Python's results exactly, autograd included. Otherwise a
// plain ATen implementation of the same algorithms runs, so that any libtorch works. `doctor` says which.
#pragma once

#include <torch/types.h>

#include <string>

namespace spool {

/// Indices of the boxes kept (x1, y1, x2, y2), by decreasing score, at IoU threshold `iou`.
torch::Tensor nms(const torch::Tensor& boxes, const torch::Tensor& scores, double iou);

/// NMS within each class (`idxs`): torchvision's batched_nms (the coordinate-offset trick).
torch::Tensor batched_nms(const torch::Tensor& boxes, const torch::Tensor& scores, const torch::Tensor& idxs, double iou);

/// RoIAlign of `rois` (K x 5: batch index, x1, y1, x2, y2 in input pixels) over `input` (N x C x H x W).
torch::Tensor roi_align(const torch::Tensor& input, const torch::Tensor& rois, double spatial_scale, int64_t pooled_height,
                        int64_t pooled_width, int64_t sampling_ratio, bool aligned);

/// "torchvision <path>" or "ATen fallback (<why>)".
std::string detection_kernels_description();

/// Forces the ATen fallback (tests compare the two).
void set_detection_kernels_fallback(bool fallback);

}  // namespace spool
