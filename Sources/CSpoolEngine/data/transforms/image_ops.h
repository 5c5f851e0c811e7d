// image_ops.h — pixel operations the transforms share (OpenCV): resizing as PIL does, torchvision's
// colour jitter, and writing normalised CHW floats.
#pragma once

#include "data/loader.h"

#include <opencv2/core.hpp>

#include <random>

namespace spool {

/// Anti-aliased when shrinking (like PIL), bilinear when enlarging.
void resize_to(const cv::Mat& src, cv::Mat& dst, int width, int height);

/// torchvision ColorJitter on float RGB in [0, 1]: brightness, contrast, saturation, hue in a random order,
/// each when its strength in `config` is positive.
void color_jitter(cv::Mat& img, const LoaderConfig& config, std::mt19937_64& rng);

/// 8-bit RGB to float RGB in [0, 1], each value v / 255 rounded once (as torch's `x.float() / 255`;
/// OpenCV's scaled convertTo multiplies by a rounded 1/255 and differs in the last bit for half the values).
/// Detection uses it so that its input is torchvision's to the bit; classification keeps convertTo, with which
/// its seeded end-to-end results were recorded.
cv::Mat to_unit_float(const cv::Mat& rgb8);

/// Writes an H x W x 3 float RGB image in [0, 1] as CHW floats, normalised by the config's mean and std.
void write_chw(const cv::Mat& img, const LoaderConfig& config, float* out);

}  // namespace spool
