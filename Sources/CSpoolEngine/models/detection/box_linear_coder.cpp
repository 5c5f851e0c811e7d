#include "models/detection/box_linear_coder.h"

namespace spool::detection {

namespace {
using torch::indexing::Ellipsis;

torch::Tensor side(const torch::Tensor& boxes, int64_t k) { return boxes.index({Ellipsis, k}); }

/// Each reference box's (w, h, w, h).
torch::Tensor sizes(const torch::Tensor& boxes) {
    auto w = side(boxes, 2) - side(boxes, 0), h = side(boxes, 3) - side(boxes, 1);
    return torch::stack({w, h, w, h}, -1);
}
}  // namespace

torch::Tensor BoxLinearCoder::encode(const torch::Tensor& reference, const torch::Tensor& boxes) const {
    auto cx = 0.5 * (side(reference, 0) + side(reference, 2));
    auto cy = 0.5 * (side(reference, 1) + side(reference, 3));
    auto codes = torch::stack({cx - side(boxes, 0), cy - side(boxes, 1), side(boxes, 2) - cx, side(boxes, 3) - cy}, -1);
    return normalize_by_size ? codes / sizes(reference) : codes;
}

torch::Tensor BoxLinearCoder::decode(const torch::Tensor& codes, const torch::Tensor& reference) const {
    auto ref = reference.to(codes.dtype());
    auto cx = 0.5 * (side(ref, 0) + side(ref, 2));
    auto cy = 0.5 * (side(ref, 1) + side(ref, 3));
    auto d = normalize_by_size ? codes * sizes(ref) : codes;
    return torch::stack({cx - side(d, 0), cy - side(d, 1), cx + side(d, 2), cy + side(d, 3)}, -1);
}

}  // namespace spool::detection
