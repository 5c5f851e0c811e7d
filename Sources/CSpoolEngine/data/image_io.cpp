#include "data/image_io.h"

#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace spool {
namespace {

/// OpenCV's own warnings ("imread_(...): can't open/read file") would reach the user's terminal raw; every
/// failure is reported by Spool instead, naming the file.
const bool kQuietOpenCV = [] {
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
    return true;
}();

std::string jpeg_incomplete(const uint8_t* d, size_t n) {
    // Walk the marker segments to the first start-of-scan, then look for the end-of-image marker after it.
    // In entropy-coded data 0xFF is always followed by 0x00 or a restart marker, so FF D9 is the real EOI.
    size_t p = 2;
    while (p + 4 <= n) {
        if (d[p] != 0xFF) return "its markers are damaged";
        const uint8_t marker = d[p + 1];
        if (marker == 0xFF) { ++p; continue; }  // fill bytes
        if (marker == 0xDA) break;              // start of scan
        if (marker == 0xD9) return "it ends before any image data";
        const size_t length = (static_cast<size_t>(d[p + 2]) << 8) | d[p + 3];
        p += 2 + length;
    }
    if (p + 4 > n) return "it is truncated (it ends before the image data)";
    for (size_t k = p + 2; k + 1 < n; ++k)
        if (d[k] == 0xFF && d[k + 1] == 0xD9) return "";
    return "it is truncated (no end-of-image marker: the file was cut short)";
}

std::string png_incomplete(const uint8_t* d, size_t n) {
    // Chunks: 4-byte length, 4-byte type, data, 4-byte CRC; the last is IEND.
    size_t p = 8;
    while (p + 12 <= n) {
        const size_t length = (static_cast<size_t>(d[p]) << 24) | (static_cast<size_t>(d[p + 1]) << 16) |
                              (static_cast<size_t>(d[p + 2]) << 8) | d[p + 3];
        if (std::memcmp(d + p + 4, "IEND", 4) == 0) return "";
        if (length > n - p - 12) break;
        p += 12 + length;
    }
    return "it is truncated (no IEND chunk: the file was cut short)";
}

/// A PNG without its iCCP (colour profile) chunks. libpng checks the profile and prints its complaints
/// ("iCCP: known incorrect sRGB profile") straight to stderr through a handler OpenCV leaves in place; OpenCV
/// applies no colour profile, so the decoded pixels are the same without it. Other chunks are copied as they are
/// (their CRCs stay valid); a damaged length ends the walk and the rest is copied unchanged.
void strip_png_colour_profile(std::vector<uint8_t>& bytes) {
    static const uint8_t png[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    const size_t n = bytes.size();
    if (n < 8 || std::memcmp(bytes.data(), png, 8) != 0) return;
    std::vector<uint8_t> out(bytes.begin(), bytes.begin() + 8);
    size_t p = 8;
    bool stripped = false;
    while (p + 12 <= n) {
        const uint8_t* d = bytes.data() + p;
        const size_t length = (static_cast<size_t>(d[0]) << 24) | (static_cast<size_t>(d[1]) << 16) |
                              (static_cast<size_t>(d[2]) << 8) | d[3];
        if (length > n - p - 12) break;
        if (std::memcmp(d + 4, "iCCP", 4) == 0) {
            stripped = true;
        } else {
            out.insert(out.end(), d, d + 12 + length);
        }
        p += 12 + length;
    }
    if (!stripped) return;
    out.insert(out.end(), bytes.begin() + static_cast<std::ptrdiff_t>(p), bytes.end());
    bytes.swap(out);
}

}  // namespace

std::string incomplete_image_reason(const uint8_t* data, size_t size) {
    if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return jpeg_incomplete(data, size);
    static const uint8_t png[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    if (size >= 8 && std::memcmp(data, png, 8) == 0) return png_incomplete(data, size);
    return "";
}

cv::Mat read_rgb(const std::string& path) {
    (void)kQuietOpenCV;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw ImageError(path + (errno == ENOENT ? ": no such image file" : ": cannot open the image file (" +
                                                                                 std::string(std::strerror(errno)) + ")"));
    }
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.empty()) throw ImageError(path + ": the image file is empty");
    const std::string incomplete = incomplete_image_reason(bytes.data(), bytes.size());
    if (!incomplete.empty()) throw ImageError(path + ": not a usable image: " + incomplete);
    strip_png_colour_profile(bytes);
    cv::Mat bgr;
    try {
        // IMREAD_COLOR turns grey, palette and RGBA images into 3 channels and applies EXIF orientation.
        bgr = cv::imdecode(bytes, cv::IMREAD_COLOR);
    } catch (const cv::Exception& e) {
        throw ImageError(path + ": cannot decode the image (" + e.msg + ")");
    }
    if (bgr.empty()) throw ImageError(path + ": not a decodable image (supported: JPEG, PNG, BMP, TIFF, WebP)");
    cv::Mat rgb;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    return rgb;
}

RgbImage decode_image(const std::string& path) {
    cv::Mat rgb = read_rgb(path);
    RgbImage image;
    image.width = rgb.cols;
    image.height = rgb.rows;
    image.pixels.assign(rgb.data, rgb.data + rgb.total() * 3);
    return image;
}

void write_image(const std::string& path, const uint8_t* pixels, int width, int height, int channels) {
    if (width < 1 || height < 1) throw std::invalid_argument("image width and height must be positive");
    int type = channels == 1 ? CV_8UC1 : channels == 3 ? CV_8UC3 : channels == 4 ? CV_8UC4 : -1;
    if (type < 0) throw std::invalid_argument("channels must be 1, 3 or 4");
    cv::Mat src(height, width, type, const_cast<uint8_t*>(pixels));
    cv::Mat bgr;
    if (channels == 3) cv::cvtColor(src, bgr, cv::COLOR_RGB2BGR);
    else if (channels == 4) cv::cvtColor(src, bgr, cv::COLOR_RGBA2BGRA);
    else bgr = src;
    bool ok = false;
    try {
        ok = cv::imwrite(path, bgr);
    } catch (const cv::Exception& e) {
        throw ImageError(path + ": cannot encode image (" + e.msg + ")");
    }
    if (!ok) throw ImageError(path + ": cannot write image (unknown extension or unwritable folder)");
}

}  // namespace spool
