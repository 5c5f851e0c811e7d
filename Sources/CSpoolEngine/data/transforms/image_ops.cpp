#include "data/transforms/image_ops.h"

#include "data/random.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace spool {

// Anti-aliased when shrinking (like PIL), bilinear when enlarging.
void resize_to(const cv::Mat& src, cv::Mat& dst, int width, int height) {
    const bool shrinking = width < src.cols || height < src.rows;
    cv::resize(src, dst, cv::Size(width, height), 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
}

// torchvision ColorJitter on float RGB in [0, 1]: the four adjustments in a random order.
void color_jitter(cv::Mat& img, const LoaderConfig& c, std::mt19937_64& rng) {
    int order[4] = {0, 1, 2, 3};
    for (int i = 3; i > 0; --i) std::swap(order[i], order[randint(rng, 0, i)]);
    for (int k : order) {
        switch (k) {
            case 0:
                if (c.brightness > 0) {
                    const double f = uniform(rng, std::max(0.0, 1.0 - c.brightness), 1.0 + c.brightness);
                    img *= f;
                    cv::min(img, 1.0, img);
                }
                break;
            case 1:
                if (c.contrast > 0) {
                    const double f = uniform(rng, std::max(0.0, 1.0 - c.contrast), 1.0 + c.contrast);
                    cv::Mat grey;
                    cv::cvtColor(img, grey, cv::COLOR_RGB2GRAY);
                    const double m = cv::mean(grey)[0];
                    img.convertTo(img, -1, f, (1.0 - f) * m);  // f * x + (1 - f) * mean, every channel
                    cv::min(cv::max(img, 0.0), 1.0, img);
                }
                break;
            case 2:
                if (c.saturation > 0) {
                    const double f = uniform(rng, std::max(0.0, 1.0 - c.saturation), 1.0 + c.saturation);
                    cv::Mat grey, grey3;
                    cv::cvtColor(img, grey, cv::COLOR_RGB2GRAY);
                    cv::cvtColor(grey, grey3, cv::COLOR_GRAY2RGB);
                    cv::addWeighted(img, f, grey3, 1.0 - f, 0.0, img);
                    cv::min(cv::max(img, 0.0), 1.0, img);
                }
                break;
            case 3:
                if (c.hue > 0) {
                    const double shift = uniform(rng, -c.hue, c.hue) * 360.0;
                    cv::Mat hsv;
                    cv::cvtColor(img, hsv, cv::COLOR_RGB2HSV);  // float: H in [0, 360)
                    for (int y = 0; y < hsv.rows; ++y) {
                        auto* row = hsv.ptr<cv::Vec3f>(y);
                        for (int x = 0; x < hsv.cols; ++x) {
                            float h = row[x][0] + static_cast<float>(shift);
                            h = std::fmod(h, 360.0f);
                            if (h < 0) h += 360.0f;
                            row[x][0] = h;
                        }
                    }
                    cv::cvtColor(hsv, img, cv::COLOR_HSV2RGB);
                }
                break;
        }
    }
}

// Writes an H x W x 3 float RGB image in [0, 1] as normalised CHW floats.
void write_chw(const cv::Mat& img, const LoaderConfig& c, float* out) {
    const int h = img.rows, w = img.cols;
    const size_t plane = static_cast<size_t>(h) * w;
    for (int y = 0; y < h; ++y) {
        const auto* row = img.ptr<cv::Vec3f>(y);
        for (int x = 0; x < w; ++x) {
            const size_t at = static_cast<size_t>(y) * w + x;
            for (int ch = 0; ch < 3; ++ch) out[ch * plane + at] = (row[x][ch] - c.mean[ch]) / c.std[ch];
        }
    }
}

cv::Mat to_unit_float(const cv::Mat& rgb8) {
    cv::Mat out;
    rgb8.convertTo(out, CV_32FC3);
    for (int y = 0; y < out.rows; ++y) {
        float* row = out.ptr<float>(y);
        for (int x = 0; x < out.cols * out.channels(); ++x) row[x] = row[x] / 255.0f;
    }
    return out;
}

}  // namespace spool
