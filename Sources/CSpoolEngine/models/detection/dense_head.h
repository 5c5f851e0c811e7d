// dense_head.h — what the one-stage detectors' heads (RetinaNet's, FCOS's) share with their meta-architecture,
// OneStageDetector: the head's outputs over every FPN level, one image's anchors matched to its objects, and
// torchvision's flattening of a level's map (N x (A * c) x H x W) into one row per anchor.
#pragma once

#include <torch/types.h>

#include <string>
#include <utility>
#include <vector>

namespace spool::detection {

/// The head's outputs for a batch, the anchors (FCOS: points) of every level concatenated, finest level first.
struct DenseHeadOutputs {
    torch::Tensor cls_logits;       // N x P x C
    torch::Tensor bbox_regression;  // N x P x 4
    torch::Tensor bbox_ctrness;     // N x P x 1 (FCOS); undefined for RetinaNet
};

/// One image's anchors matched to its objects, as the head's losses take them.
struct MatchedImage {
    torch::Tensor matched;  // P int64: each anchor's object (row of `boxes`); < 0: none (-1 background, -2 neither)
    torch::Tensor counted;  // P bool: the anchors the classification loss counts
    torch::Tensor boxes;    // M x 4: the image's objects, crowd regions left out
    torch::Tensor classes;  // M int64: their class slots, from 0 (the job's label - 1)
};

/// Named losses, in torchvision's order.
using NamedLosses = std::vector<std::pair<std::string, torch::Tensor>>;

/// N x (A * c) x H x W to N x (H * W * A) x c: torchvision's row order (location-major, then anchor).
inline torch::Tensor flatten_level(const torch::Tensor& x, int64_t c) {
    const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
    return x.view({n, -1, c, h, w}).permute({0, 3, 4, 1, 2}).reshape({n, -1, c});
}

}  // namespace spool::detection
