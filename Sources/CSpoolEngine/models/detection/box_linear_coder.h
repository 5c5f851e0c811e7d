// box_linear_coder.h — torchvision's BoxLinearCoder (FCOS): a box as the distances from a reference box's
// centre to its four edges (left, top, right, bottom), optionally in units of the reference box's size.
#pragma once

#include <torch/types.h>

namespace spool::detection {

struct BoxLinearCoder {
    bool normalize_by_size = true;

    /// The distances of `boxes`' edges from the centres of `reference` (same leading shape, ... x 4).
    torch::Tensor encode(const torch::Tensor& reference, const torch::Tensor& boxes) const;
    /// Boxes from the distances `codes` and their reference boxes (same leading shape, ... x 4).
    torch::Tensor decode(const torch::Tensor& codes, const torch::Tensor& reference) const;
};

}  // namespace spool::detection
