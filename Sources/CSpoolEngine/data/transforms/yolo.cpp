// yolo.cpp — YOLOv5's training transforms (see yolo.h), on 8-bit RGB as Ultralytics' loader works.
#include "data/transforms/yolo.h"

#include "data/image_io.h"
#include "data/random.h"
#include "data/tiling.h"
#include "data/transforms/detection.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>

namespace spool {
namespace {

using Box = std::array<float, 4>;
const cv::Scalar kGrey(114, 114, 114);

struct Labelled {
    cv::Mat image;  // 8-bit RGB
    std::vector<Box> boxes;
    std::vector<int64_t> labels;
};

/// An image with its side scaled to `side` (Ultralytics' load_image: bilinear while augmenting), its objects in
/// its pixels; a tile view is cut first (objects clipped, those keeping under a quarter of their area dropped).
/// Crowd regions are left out: YOLOv5's loss has no ignore regions.
Labelled load_scaled(const Sample& sample, int side) {
    Labelled l;
    l.image = read_rgb(sample.path);
    const float w = static_cast<float>(l.image.cols), h = static_cast<float>(l.image.rows);
    for (const auto& o : sample.objects) {
        if (o.crowd) continue;
        l.boxes.push_back({o.box[0] * w, o.box[1] * h, o.box[2] * w, o.box[3] * h});
        l.labels.push_back(o.label);
    }
    if (sample.tile.cols > 0) {
        const auto r = tile_rect(l.image.cols, l.image.rows, sample.tile);
        l.image = l.image(cv::Rect(r[0], r[1], r[2] - r[0], r[3] - r[1])).clone();
        const float tw = static_cast<float>(r[2] - r[0]), th = static_cast<float>(r[3] - r[1]);
        Labelled kept{l.image, {}, {}};
        for (size_t i = 0; i < l.boxes.size(); ++i) {
            const auto& b = l.boxes[i];
            const Box c = {std::clamp(b[0] - r[0], 0.0f, tw), std::clamp(b[1] - r[1], 0.0f, th),
                           std::clamp(b[2] - r[0], 0.0f, tw), std::clamp(b[3] - r[1], 0.0f, th)};
            if ((c[2] - c[0]) * (c[3] - c[1]) >= 0.25f * (b[2] - b[0]) * (b[3] - b[1]) && c[2] > c[0] && c[3] > c[1]) {
                kept.boxes.push_back(c);
                kept.labels.push_back(l.labels[i]);
            }
        }
        l = std::move(kept);
    }
    const double r = static_cast<double>(side) / std::max(l.image.cols, l.image.rows);
    if (r != 1.0) {
        const int nw = static_cast<int>(std::ceil(l.image.cols * r)), nh = static_cast<int>(std::ceil(l.image.rows * r));
        const float sx = static_cast<float>(nw) / l.image.cols, sy = static_cast<float>(nh) / l.image.rows;
        cv::resize(l.image, l.image, cv::Size(nw, nh), 0, 0, cv::INTER_LINEAR);
        for (auto& b : l.boxes) b = {b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy};
    }
    return l;
}

/// Four images around a random centre of a 2s x 2s grey canvas (Ultralytics' load_mosaic).
Labelled mosaic(const Sample& first, const Dataset& dataset, int s, std::mt19937_64& rng) {
    const int xc = static_cast<int>(uniform(rng, s / 2.0, 1.5 * s)), yc = static_cast<int>(uniform(rng, s / 2.0, 1.5 * s));
    Labelled out;
    out.image = cv::Mat(2 * s, 2 * s, CV_8UC3, kGrey);
    const int64_t n = static_cast<int64_t>(dataset.samples.size());
    for (int i = 0; i < 4; ++i) {
        const Sample& sample = i == 0 ? first : dataset.samples[static_cast<size_t>(randint(rng, 0, n - 1))];
        auto l = load_scaled(sample, s);
        const int w = l.image.cols, h = l.image.rows;
        int x1a, y1a, x2a, y2a, x1b, y1b, x2b, y2b;
        if (i == 0) {  // top left
            x1a = std::max(xc - w, 0), y1a = std::max(yc - h, 0), x2a = xc, y2a = yc;
            x1b = w - (x2a - x1a), y1b = h - (y2a - y1a), x2b = w, y2b = h;
        } else if (i == 1) {  // top right
            x1a = xc, y1a = std::max(yc - h, 0), x2a = std::min(xc + w, 2 * s), y2a = yc;
            x1b = 0, y1b = h - (y2a - y1a), x2b = std::min(w, x2a - x1a), y2b = h;
        } else if (i == 2) {  // bottom left
            x1a = std::max(xc - w, 0), y1a = yc, x2a = xc, y2a = std::min(2 * s, yc + h);
            x1b = w - (x2a - x1a), y1b = 0, x2b = w, y2b = std::min(y2a - y1a, h);
        } else {  // bottom right
            x1a = xc, y1a = yc, x2a = std::min(xc + w, 2 * s), y2a = std::min(2 * s, yc + h);
            x1b = 0, y1b = 0, x2b = std::min(w, x2a - x1a), y2b = std::min(y2a - y1a, h);
        }
        if (x2a > x1a && y2a > y1a)
            l.image(cv::Rect(x1b, y1b, x2b - x1b, y2b - y1b)).copyTo(out.image(cv::Rect(x1a, y1a, x2a - x1a, y2a - y1a)));
        const float dx = static_cast<float>(x1a - x1b), dy = static_cast<float>(y1a - y1b);
        const float limit = static_cast<float>(2 * s);
        for (size_t k = 0; k < l.boxes.size(); ++k) {
            const auto& b = l.boxes[k];
            out.boxes.push_back({std::clamp(b[0] + dx, 0.0f, limit), std::clamp(b[1] + dy, 0.0f, limit),
                                 std::clamp(b[2] + dx, 0.0f, limit), std::clamp(b[3] + dy, 0.0f, limit)});
            out.labels.push_back(l.labels[k]);
        }
    }
    return out;
}

/// The image centred on an s x s grey canvas (its longer side is s already).
Labelled letterbox(Labelled l, int s) {
    const int left = (s - l.image.cols) / 2, top = (s - l.image.rows) / 2;
    cv::Mat canvas(s, s, CV_8UC3, kGrey);
    l.image.copyTo(canvas(cv::Rect(left, top, l.image.cols, l.image.rows)));
    l.image = canvas;
    for (auto& b : l.boxes) b = {b[0] + left, b[1] + top, b[2] + left, b[3] + top};
    return l;
}

/// Ultralytics' random_perspective without perspective: rotation and scale about the centre, shear, then a
/// translation, into an `out` x `out` image; boxes are the bounds of their moved corners, and those left under
/// 2 px a side, under a tenth of their (scaled) area or thinner than 1:100 are dropped.
void random_affine(Labelled& l, int out, const LoaderConfig& c, std::mt19937_64& rng) {
    cv::Matx33d C = cv::Matx33d::eye(), R = cv::Matx33d::eye(), S = cv::Matx33d::eye(), T = cv::Matx33d::eye();
    C(0, 2) = -l.image.cols / 2.0;
    C(1, 2) = -l.image.rows / 2.0;
    const double angle = uniform(rng, -c.degrees, c.degrees);
    const double scale = uniform(rng, 1 - c.scale, 1 + c.scale);
    const cv::Mat rot = cv::getRotationMatrix2D(cv::Point2f(0, 0), angle, scale);
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 3; ++j) R(i, j) = rot.at<double>(i, j);
    S(0, 1) = std::tan(uniform(rng, -c.shear, c.shear) * M_PI / 180);
    S(1, 0) = std::tan(uniform(rng, -c.shear, c.shear) * M_PI / 180);
    T(0, 2) = uniform(rng, 0.5 - c.translate, 0.5 + c.translate) * out;
    T(1, 2) = uniform(rng, 0.5 - c.translate, 0.5 + c.translate) * out;
    const cv::Matx33d M = T * S * R * C;
    cv::Mat affine = (cv::Mat_<double>(2, 3) << M(0, 0), M(0, 1), M(0, 2), M(1, 0), M(1, 1), M(1, 2));
    cv::Mat warped;
    cv::warpAffine(l.image, warped, affine, cv::Size(out, out), cv::INTER_LINEAR, cv::BORDER_CONSTANT, kGrey);
    l.image = warped;
    Labelled kept{l.image, {}, {}};
    const float limit = static_cast<float>(out);
    for (size_t k = 0; k < l.boxes.size(); ++k) {
        const auto& b = l.boxes[k];
        float x1 = 1e9f, y1 = 1e9f, x2 = -1e9f, y2 = -1e9f;
        for (const auto& [px, py] : {std::pair<float, float>{b[0], b[1]}, {b[2], b[3]}, {b[0], b[3]}, {b[2], b[1]}}) {
            const float x = static_cast<float>(M(0, 0) * px + M(0, 1) * py + M(0, 2));
            const float y = static_cast<float>(M(1, 0) * px + M(1, 1) * py + M(1, 2));
            x1 = std::min(x1, x), y1 = std::min(y1, y), x2 = std::max(x2, x), y2 = std::max(y2, y);
        }
        x1 = std::clamp(x1, 0.0f, limit), x2 = std::clamp(x2, 0.0f, limit);
        y1 = std::clamp(y1, 0.0f, limit), y2 = std::clamp(y2, 0.0f, limit);
        const float w1 = (b[2] - b[0]) * static_cast<float>(scale), h1 = (b[3] - b[1]) * static_cast<float>(scale);
        const float w2 = x2 - x1, h2 = y2 - y1;
        const float ratio = std::max(w2 / (h2 + 1e-16f), h2 / (w2 + 1e-16f));
        if (w2 > 2 && h2 > 2 && w2 * h2 / (w1 * h1 + 1e-16f) > 0.1f && ratio < 100) {
            kept.boxes.push_back({x1, y1, x2, y2});
            kept.labels.push_back(l.labels[k]);
        }
    }
    l = std::move(kept);
}

/// Ultralytics' augment_hsv: hue, saturation and value scaled by random gains through lookup tables.
void augment_hsv(cv::Mat& rgb, const LoaderConfig& c, std::mt19937_64& rng) {
    if (c.hsv_h <= 0 && c.hsv_s <= 0 && c.hsv_v <= 0) return;
    const double gh = uniform(rng, -1, 1) * c.hsv_h + 1, gs = uniform(rng, -1, 1) * c.hsv_s + 1,
                 gv = uniform(rng, -1, 1) * c.hsv_v + 1;
    cv::Mat hsv;
    cv::cvtColor(rgb, hsv, cv::COLOR_RGB2HSV);
    cv::Mat lut(1, 256, CV_8UC3);
    for (int x = 0; x < 256; ++x)
        lut.at<cv::Vec3b>(0, x) = {static_cast<uint8_t>(static_cast<int>(x * gh) % 180),
                                   cv::saturate_cast<uint8_t>(std::clamp(x * gs, 0.0, 255.0)),
                                   cv::saturate_cast<uint8_t>(std::clamp(x * gv, 0.0, 255.0))};
    cv::LUT(hsv, lut, hsv);
    cv::cvtColor(hsv, rgb, cv::COLOR_HSV2RGB);
}

class YoloPipeline : public Pipeline {
public:
    YoloPipeline(const LoaderConfig& config, std::shared_ptr<const Dataset> dataset)
        : config_(config), dataset_(std::move(dataset)), plain_(make_detection_pipeline(config, false)) {}

    Example make(const Sample& sample, bool train, std::mt19937_64& rng) const override {
        if (!train) return plain_->make(sample, false, rng);  // the model letterboxes in evaluation
        const int s = config_.letterbox_size;
        Labelled l;
        if (config_.mosaic_prob > 0 && uniform(rng, 0, 1) < config_.mosaic_prob) {
            l = mosaic(sample, *dataset_, s, rng);
        } else {
            l = letterbox(load_scaled(sample, s), s);
        }
        random_affine(l, s, config_, rng);
        augment_hsv(l.image, config_, rng);
        if (config_.hflip_prob > 0 && uniform(rng, 0, 1) < config_.hflip_prob) {
            cv::flip(l.image, l.image, 1);
            for (auto& b : l.boxes) b = {s - b[2], b[1], s - b[0], b[3]};
        }
        Example e;
        e.height = e.width = s;
        e.full_width = e.full_height = s;
        const size_t plane = static_cast<size_t>(s) * s;
        e.chw.resize(3 * plane);
        for (int y = 0; y < s; ++y) {
            const auto* row = l.image.ptr<cv::Vec3b>(y);
            for (int x = 0; x < s; ++x)
                for (int ch = 0; ch < 3; ++ch) e.chw[ch * plane + static_cast<size_t>(y) * s + x] = row[x][ch] / 255.0f;
        }
        for (const auto& b : l.boxes) e.boxes.insert(e.boxes.end(), b.begin(), b.end());
        e.labels = std::move(l.labels);
        e.crowd.assign(e.labels.size(), 0);
        return e;
    }

    void collate(std::vector<Example>& examples, Batch& out) const override { plain_->collate(examples, out); }

private:
    LoaderConfig config_;
    std::shared_ptr<const Dataset> dataset_;
    std::unique_ptr<Pipeline> plain_;
};

}  // namespace

std::unique_ptr<Pipeline> make_yolo_pipeline(const LoaderConfig& config, std::shared_ptr<const Dataset> dataset) {
    return std::make_unique<YoloPipeline>(config, std::move(dataset));
}

}  // namespace spool
