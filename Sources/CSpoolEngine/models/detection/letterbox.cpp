// letterbox.cpp — YOLOv5's evaluation letterbox (see letterbox.h).
#include "models/detection/letterbox.h"

#include <ATen/ATen.h>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace spool::detection {

namespace {

constexpr double kGrey = 114.0 / 255.0;

/// Python's round() of a float: to nearest, ties to even (the default floating-point rounding mode).
int64_t round_half_even(double x) { return static_cast<int64_t>(std::nearbyint(x)); }

/// The 1 x 3 x h x w image resized to nh x nw through its 8-bit pixels and OpenCV's INTER_LINEAR.
at::Tensor resize_8bit(const at::Tensor& image, int64_t nh, int64_t nw) {
    const auto device = image.device();
    auto hwc = image[0].to(at::kCPU, at::kFloat).mul(255).round_().clamp_(0, 255).to(at::kByte).permute({1, 2, 0}).contiguous();
    const cv::Mat source(static_cast<int>(hwc.size(0)), static_cast<int>(hwc.size(1)), CV_8UC3, hwc.data_ptr<uint8_t>());
    auto out = at::empty({nh, nw, 3}, at::TensorOptions().dtype(at::kByte));
    cv::Mat resized(static_cast<int>(nh), static_cast<int>(nw), CV_8UC3, out.data_ptr<uint8_t>());
    cv::resize(source, resized, resized.size(), 0, 0, cv::INTER_LINEAR);  // writes into `out`: the size matches
    return out.permute({2, 0, 1}).unsqueeze(0).to(at::kFloat).div_(255).to(device);
}

}  // namespace

Letterboxed letterbox(const at::Tensor& image, int64_t side, int64_t stride) {
    const int64_t h = image.size(2), w = image.size(3);
    const double r = std::min(static_cast<double>(side) / h, static_cast<double>(side) / w);
    const int64_t nw = std::max<int64_t>(1, round_half_even(w * r)), nh = std::max<int64_t>(1, round_half_even(h * r));
    // The padding to the next multiple of the stride (np.mod of what is left of side), split around the image.
    const double dw = static_cast<double>(((side - nw) % stride + stride) % stride) / 2;
    const double dh = static_cast<double>(((side - nh) % stride + stride) % stride) / 2;
    const int64_t top = round_half_even(dh - 0.1), bottom = round_half_even(dh + 0.1);
    const int64_t left = round_half_even(dw - 0.1), right = round_half_even(dw + 0.1);
    Letterboxed out;
    out.image = (nw != w || nh != h) ? resize_8bit(image, nh, nw) : image;
    if (top || bottom || left || right) out.image = at::constant_pad_nd(out.image, {left, right, top, bottom}, kGrey);
    const double H = static_cast<double>(nh + top + bottom), W = static_cast<double>(nw + left + right);
    out.gain = std::min(H / h, W / w);
    out.pad_x = (W - w * out.gain) / 2;
    out.pad_y = (H - h * out.gain) / 2;
    return out;
}

void unletterbox(at::Tensor& boxes, const Letterboxed& l, int64_t h, int64_t w) {
    boxes.select(1, 0).sub_(l.pad_x).div_(l.gain).clamp_(0, w);
    boxes.select(1, 2).sub_(l.pad_x).div_(l.gain).clamp_(0, w);
    boxes.select(1, 1).sub_(l.pad_y).div_(l.gain).clamp_(0, h);
    boxes.select(1, 3).sub_(l.pad_y).div_(l.gain).clamp_(0, h);
}

}  // namespace spool::detection
