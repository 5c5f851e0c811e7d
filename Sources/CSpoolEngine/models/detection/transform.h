// transform.h — torchvision's GeneralizedRCNNTransform: normalise each image, resize it so its shorter side
// is min_size (the longer at most max_size, bilinear as torch.nn.functional.interpolate), batch the images
// padded to a multiple of 32, and map boxes to the resized images and back.
#pragma once

#include "models/model.h"

#include <array>
#include <vector>

namespace spool::detection {

struct TransformedBatch {
    torch::Tensor images;                              // N x 3 x H x W, padded to a multiple of 32
    std::vector<std::array<int64_t, 2>> sizes;         // each image's size after resizing
    std::vector<std::array<int64_t, 2>> original_sizes;
    std::vector<ImageTargets> targets;                 // boxes resized with their image
};

struct RCNNTransform {
    int64_t min_size = 800, max_size = 1333;
    std::array<double, 3> mean{0.485, 0.456, 0.406}, std{0.229, 0.224, 0.225};
    int64_t size_divisible = 32;

    /// `training` draws torchvision's min-size choice from the global generator (one number per image), as
    /// torchvision does even with one size, so random streams stay aligned with the reference.
    TransformedBatch operator()(const ModelInput& input, bool training) const;

    /// Boxes of the resized image back to the original's pixels.
    static torch::Tensor resize_boxes(const torch::Tensor& boxes, std::array<int64_t, 2> from, std::array<int64_t, 2> to);
};

}  // namespace spool::detection
