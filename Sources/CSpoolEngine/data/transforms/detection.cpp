#include "data/transforms/detection.h"

#include "data/image_io.h"
#include "data/loader.h"
#include "data/random.h"
#include "data/tiling.h"
#include "data/transforms/image_ops.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>

namespace spool {
namespace {

/// An image and its objects in its own pixels, while the training transforms move them.
struct Annotated {
    cv::Mat image;  // float RGB in [0, 1]
    std::vector<std::array<float, 4>> boxes;
    std::vector<int64_t> labels;
    std::vector<uint8_t> crowd;
    std::vector<std::vector<std::vector<float>>> polygons;
};

void keep(Annotated& a, const std::vector<bool>& kept) {
    Annotated out;
    out.image = a.image;
    for (size_t i = 0; i < kept.size(); ++i) {
        if (!kept[i]) continue;
        out.boxes.push_back(a.boxes[i]);
        out.labels.push_back(a.labels[i]);
        out.crowd.push_back(a.crowd[i]);
        if (!a.polygons.empty()) out.polygons.push_back(a.polygons[i]);
    }
    a = std::move(out);
}

/// Shifts boxes and polygons by (dx, dy).
void translate(Annotated& a, float dx, float dy) {
    for (auto& b : a.boxes) {
        b[0] += dx, b[2] += dx;
        b[1] += dy, b[3] += dy;
    }
    for (auto& parts : a.polygons)
        for (auto& part : parts)
            for (size_t k = 0; k + 1 < part.size(); k += 2) part[k] += dx, part[k + 1] += dy;
}

/// Zoom out: the image on a canvas up to `max_ratio` times larger, filled with the mean colour
/// (torchvision's RandomZoomOut, SSD's expand).
void expand(Annotated& a, float max_ratio, std::mt19937_64& rng) {
    const double r = uniform(rng, 1.0, std::max(1.0, static_cast<double>(max_ratio)));
    const int w = a.image.cols, h = a.image.rows;
    const int cw = static_cast<int>(w * r), ch = static_cast<int>(h * r);
    const int left = static_cast<int>(randint(rng, 0, cw - w)), top = static_cast<int>(randint(rng, 0, ch - h));
    const cv::Scalar fill = cv::mean(a.image);
    cv::Mat canvas(ch, cw, CV_32FC3, fill);
    a.image.copyTo(canvas(cv::Rect(left, top, w, h)));
    a.image = canvas;
    translate(a, static_cast<float>(left), static_cast<float>(top));
}

float iou(const std::array<float, 4>& a, const std::array<float, 4>& b) {
    const float iw = std::max(0.0f, std::min(a[2], b[2]) - std::max(a[0], b[0]));
    const float ih = std::max(0.0f, std::min(a[3], b[3]) - std::max(a[1], b[1]));
    const float inter = iw * ih;
    const float area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    return area > 0 ? inter / area : 0.0f;
}

/// SSD's random crop around the boxes (torchvision's RandomIoUCrop): a crop of 30-100% of each side with
/// an aspect ratio in [0.5, 2] that overlaps some box by at least a random minimum IoU; the boxes whose
/// centres fall inside are kept, clipped to it. No crop when no trial succeeds.
void iou_crop(Annotated& a, std::mt19937_64& rng) {
    if (a.boxes.empty()) return;
    static const float kMinIoU[] = {0.0f, 0.1f, 0.3f, 0.5f, 0.7f, 0.9f};
    const float min_iou = kMinIoU[randint(rng, 0, 5)];
    const int w = a.image.cols, h = a.image.rows;
    for (int trial = 0; trial < 40; ++trial) {
        const double sw = uniform(rng, 0.3, 1.0), sh = uniform(rng, 0.3, 1.0);
        const double ratio = sw * w / (sh * h);
        if (ratio < 0.5 || ratio > 2.0) continue;
        const int cw = std::max(1, static_cast<int>(sw * w)), ch = std::max(1, static_cast<int>(sh * h));
        const int left = static_cast<int>(randint(rng, 0, w - cw)), top = static_cast<int>(randint(rng, 0, h - ch));
        const std::array<float, 4> crop = {static_cast<float>(left), static_cast<float>(top),
                                           static_cast<float>(left + cw), static_cast<float>(top + ch)};
        std::vector<bool> inside(a.boxes.size(), false);
        bool any = false, overlaps = false;
        for (size_t i = 0; i < a.boxes.size(); ++i) {
            const auto& b = a.boxes[i];
            const float cx = (b[0] + b[2]) / 2, cy = (b[1] + b[3]) / 2;
            inside[i] = cx > crop[0] && cx < crop[2] && cy > crop[1] && cy < crop[3];
            any = any || inside[i];
            overlaps = overlaps || (inside[i] && iou(b, crop) >= min_iou);
        }
        if (!any || !overlaps) continue;
        a.image = a.image(cv::Rect(left, top, cw, ch)).clone();
        keep(a, inside);
        translate(a, -static_cast<float>(left), -static_cast<float>(top));
        for (auto& b : a.boxes) {
            b[0] = std::clamp(b[0], 0.0f, static_cast<float>(cw));
            b[2] = std::clamp(b[2], 0.0f, static_cast<float>(cw));
            b[1] = std::clamp(b[1], 0.0f, static_cast<float>(ch));
            b[3] = std::clamp(b[3], 0.0f, static_cast<float>(ch));
        }
        return;
    }
}

void hflip(Annotated& a) {
    cv::flip(a.image, a.image, 1);
    const float w = static_cast<float>(a.image.cols);
    for (auto& b : a.boxes) {
        const float x1 = w - b[2], x2 = w - b[0];
        b[0] = x1, b[2] = x2;
    }
    for (auto& parts : a.polygons)
        for (auto& part : parts)
            for (size_t k = 0; k + 1 < part.size(); k += 2) part[k] = w - part[k];
}

/// Cuts a tile out of the image; boxes move with it and are clipped to it, and an object that keeps less than a
/// quarter of its area in the tile is dropped (a sliver teaches nothing); polygons move and are clipped.
void crop_to_tile(Annotated& a, const std::array<int, 4>& r) {
    a.image = a.image(cv::Rect(r[0], r[1], r[2] - r[0], r[3] - r[1])).clone();
    const float x0 = static_cast<float>(r[0]), y0 = static_cast<float>(r[1]);
    const float tw = static_cast<float>(r[2] - r[0]), th = static_cast<float>(r[3] - r[1]);
    std::vector<bool> kept(a.boxes.size());
    for (size_t i = 0; i < a.boxes.size(); ++i) {
        auto& b = a.boxes[i];
        const float area = (b[2] - b[0]) * (b[3] - b[1]);
        b = {std::clamp(b[0] - x0, 0.0f, tw), std::clamp(b[1] - y0, 0.0f, th), std::clamp(b[2] - x0, 0.0f, tw),
             std::clamp(b[3] - y0, 0.0f, th)};
        const float visible = (b[2] - b[0]) * (b[3] - b[1]);
        kept[i] = area > 0 && visible >= 0.25f * area && b[2] - b[0] >= 1.0f && b[3] - b[1] >= 1.0f;
        if (i < a.polygons.size())
            for (auto& part : a.polygons[i])
                for (size_t k = 0; k + 1 < part.size(); k += 2) {
                    part[k] = std::clamp(part[k] - x0, 0.0f, tw);
                    part[k + 1] = std::clamp(part[k + 1] - y0, 0.0f, th);
                }
    }
    keep(a, kept);
}

class DetectionPipeline : public Pipeline {
public:
    DetectionPipeline(const LoaderConfig& config, bool segmentation) : config_(config), segmentation_(segmentation) {}

    Example make(const Sample& sample, bool train, std::mt19937_64& rng) const override {
        Annotated a;
        a.image = to_unit_float(read_rgb(sample.path));
        const int full_w = a.image.cols, full_h = a.image.rows;
        const float w = static_cast<float>(a.image.cols), h = static_cast<float>(a.image.rows);
        for (const auto& o : sample.objects) {
            a.boxes.push_back({o.box[0] * w, o.box[1] * h, o.box[2] * w, o.box[3] * h});
            a.labels.push_back(o.label);
            a.crowd.push_back(o.crowd ? 1 : 0);
            if (segmentation_) {
                std::vector<std::vector<float>> parts;
                for (const auto& part : o.polygons) {
                    std::vector<float> pixels(part.size());
                    for (size_t k = 0; k + 1 < part.size(); k += 2) pixels[k] = part[k] * w, pixels[k + 1] = part[k + 1] * h;
                    parts.push_back(std::move(pixels));
                }
                a.polygons.push_back(std::move(parts));
            }
        }
        const auto rect = tile_rect(full_w, full_h, sample.tile);
        if (sample.tile.cols > 0) crop_to_tile(a, rect);
        if (train) {
            if (config_.photometric_prob > 0 && uniform(rng, 0, 1) < config_.photometric_prob) color_jitter(a.image, config_, rng);
            if (config_.expand_prob > 0 && uniform(rng, 0, 1) < config_.expand_prob) expand(a, config_.expand_max, rng);
            if (config_.crop_prob > 0 && uniform(rng, 0, 1) < config_.crop_prob) iou_crop(a, rng);
            if (config_.hflip_prob > 0 && uniform(rng, 0, 1) < config_.hflip_prob) hflip(a);
            // Boxes squeezed below a pixel by the crop carry no signal (and make torchvision's box losses NaN).
            std::vector<bool> kept(a.boxes.size());
            for (size_t i = 0; i < kept.size(); ++i)
                kept[i] = a.boxes[i][2] - a.boxes[i][0] >= 1.0f && a.boxes[i][3] - a.boxes[i][1] >= 1.0f;
            keep(a, kept);
        }
        Example e;
        e.height = a.image.rows;
        e.width = a.image.cols;
        e.offset_x = rect[0];
        e.offset_y = rect[1];
        e.full_width = full_w;
        e.full_height = full_h;
        e.chw.resize(static_cast<size_t>(3) * e.height * e.width);
        const size_t plane = static_cast<size_t>(e.height) * e.width;
        for (int y = 0; y < e.height; ++y) {
            const auto* row = a.image.ptr<cv::Vec3f>(y);
            for (int x = 0; x < e.width; ++x)
                for (int c = 0; c < 3; ++c) e.chw[c * plane + static_cast<size_t>(y) * e.width + x] = row[x][c];
        }
        for (const auto& b : a.boxes) e.boxes.insert(e.boxes.end(), b.begin(), b.end());
        e.labels = std::move(a.labels);
        e.crowd = std::move(a.crowd);
        e.polygons = std::move(a.polygons);
        return e;
    }

    void collate(std::vector<Example>& examples, Batch& out) const override {
        out.size = static_cast<int64_t>(examples.size());
        out.height = out.width = 0;
        for (const auto& e : examples) {
            out.height = std::max(out.height, e.height);
            out.width = std::max(out.width, e.width);
        }
        const size_t plane = static_cast<size_t>(out.height) * out.width;
        out.images.assign(3 * plane * examples.size(), 0.0f);
        for (size_t k = 0; k < examples.size(); ++k) {
            auto& e = examples[k];
            for (int c = 0; c < 3; ++c)
                for (int y = 0; y < e.height; ++y)
                    std::copy_n(e.chw.begin() + (static_cast<size_t>(c) * e.height + y) * e.width, e.width,
                                out.images.begin() + (k * 3 + c) * plane + static_cast<size_t>(y) * out.width);
            out.heights.push_back(e.height);
            out.widths.push_back(e.width);
            out.offsets_x.push_back(e.offset_x);
            out.offsets_y.push_back(e.offset_y);
            out.full_widths.push_back(e.full_width);
            out.full_heights.push_back(e.full_height);
            e.chw.clear();
            e.chw.shrink_to_fit();
            out.examples.push_back(std::move(e));
        }
    }

private:
    LoaderConfig config_;
    bool segmentation_;
};

}  // namespace

std::unique_ptr<Pipeline> make_detection_pipeline(const LoaderConfig& config, bool segmentation) {
    return std::make_unique<DetectionPipeline>(config, segmentation);
}

}  // namespace spool
