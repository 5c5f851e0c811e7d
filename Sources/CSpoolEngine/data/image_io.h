// image_io.h — reading and writing image files (OpenCV), the same for training, validation and scoring.
//
// A file is read whole, checked for completeness, then decoded from memory. libjpeg decodes a truncated
// JPEG with a warning (grey rows at the bottom) and Pillow refuses it: Spool refuses it everywhere, so that
// validation, training and score.py agree about what is an image.
#pragma once

#include <opencv2/core.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace spool {

/// An image that cannot be read or decoded; the message names the file.
struct ImageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Why the bytes of an image file are incomplete ("" when they look whole): a JPEG without its end-of-image
/// marker after the scan, a PNG without its IEND chunk.
std::string incomplete_image_reason(const uint8_t* data, size_t size);

/// Decodes a file to 8-bit RGB (3 channels; grey, palette and RGBA converted; EXIF orientation applied).
/// Throws ImageError naming the file: missing, unreadable, truncated or not an image.
cv::Mat read_rgb(const std::string& path);

/// Decodes an image file to 8-bit RGB rows (H x W x 3); throws ImageError.
struct RgbImage {
    int width = 0, height = 0;
    std::vector<uint8_t> pixels;
};
RgbImage decode_image(const std::string& path);

/// Encodes grey, RGB or RGBA rows to a file; the extension picks the format. Throws ImageError.
void write_image(const std::string& path, const uint8_t* pixels, int width, int height, int channels);

}  // namespace spool
