// yolov5.cpp — YOLOv5 v7.0 (see yolov5.h): Conv, Bottleneck, C3, SPPF, Detect and the 25-layer table.
#include "models/layers/sync_batch_norm.h"
#include "models/detection/yolov5.h"

#include "models/detection/letterbox.h"
#include "models/detection/ops.h"
#include "models/detection/yolo_loss.h"

#include <torch/nn/functional/padding.h>
#include <torch/nn/functional/pooling.h>
#include <torch/nn/functional/upsampling.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <cmath>
#include <stdexcept>

namespace spool::detection {

namespace nn = torch::nn;
namespace F = torch::nn::functional;
using torch::indexing::None;
using torch::indexing::Slice;

namespace {

constexpr int64_t kStride = 32;           // the coarsest level: letterboxed sides are multiples of it
constexpr double kLetterboxGrey = 114.0 / 255.0;
constexpr double kClassOffset = 7680;     // Ultralytics' max_wh: boxes of different classes never overlap
constexpr int64_t kMaxNMS = 30000;        // candidates into NMS, by score

/// Conv2d without bias, BatchNorm2d (eps 1e-3, momentum 0.03), SiLU: `conv`, `bn`.
struct ConvBNSiLUImpl : nn::Module {
    nn::Conv2d conv{nullptr};
    SyncBatchNorm2d bn{nullptr};
    ConvBNSiLUImpl(int64_t in, int64_t out, int64_t k = 1, int64_t s = 1, int64_t p = -1) {
        conv = register_module("conv", nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(s).padding(p < 0 ? k / 2 : p).bias(false)));
        bn = register_module("bn", SyncBatchNorm2d(nn::BatchNorm2dOptions(out).eps(1e-3).momentum(0.03)));
    }
    torch::Tensor forward(const torch::Tensor& x) { return torch::silu(bn(conv(x))); }
};
TORCH_MODULE(ConvBNSiLU);

/// 1x1 then 3x3, with a residual when `shortcut` and the widths agree: `cv1`, `cv2`.
struct BottleneckImpl : nn::Module {
    ConvBNSiLU cv1{nullptr}, cv2{nullptr};
    bool add;
    BottleneckImpl(int64_t in, int64_t out, bool shortcut) : add(shortcut && in == out) {
        cv1 = register_module("cv1", ConvBNSiLU(in, out, 1, 1));
        cv2 = register_module("cv2", ConvBNSiLU(out, out, 3, 1));
    }
    torch::Tensor forward(const torch::Tensor& x) { return add ? x + cv2(cv1(x)) : cv2(cv1(x)); }
};
TORCH_MODULE(Bottleneck);

/// CSP bottleneck with three convolutions: cv3(cat(m(cv1(x)), cv2(x))).
struct C3Impl : nn::Module {
    ConvBNSiLU cv1{nullptr}, cv2{nullptr}, cv3{nullptr};
    nn::Sequential m;
    C3Impl(int64_t in, int64_t out, int64_t n, bool shortcut) {
        const int64_t hidden = out / 2;
        cv1 = register_module("cv1", ConvBNSiLU(in, hidden, 1, 1));
        cv2 = register_module("cv2", ConvBNSiLU(in, hidden, 1, 1));
        cv3 = register_module("cv3", ConvBNSiLU(2 * hidden, out, 1, 1));
        for (int64_t i = 0; i < n; ++i) m->push_back(Bottleneck(hidden, hidden, shortcut));
        register_module("m", m);
    }
    torch::Tensor forward(const torch::Tensor& x) { return cv3(torch::cat({m->forward(cv1(x)), cv2(x)}, 1)); }
};
TORCH_MODULE(C3);

/// Spatial pyramid pooling, fast: three chained 5x5 max-pools concatenated.
struct SPPFImpl : nn::Module {
    ConvBNSiLU cv1{nullptr}, cv2{nullptr};
    SPPFImpl(int64_t in, int64_t out) {
        const int64_t hidden = in / 2;
        cv1 = register_module("cv1", ConvBNSiLU(in, hidden, 1, 1));
        cv2 = register_module("cv2", ConvBNSiLU(hidden * 4, out, 1, 1));
    }
    torch::Tensor forward(const torch::Tensor& x) {
        auto pool = [](const torch::Tensor& t) { return F::max_pool2d(t, F::MaxPool2dFuncOptions(5).stride(1).padding(2)); };
        auto a = cv1(x);
        auto b = pool(a), c = pool(b);
        return cv2(torch::cat({a, b, c, pool(c)}, 1));
    }
};
TORCH_MODULE(SPPF);

/// The anchor-based head over P3-P5: a 1x1 convolution per level (`m.N`), the anchors in grid units (`anchors`).
struct DetectImpl : nn::Module {
    int64_t nc, no, na = 3;
    torch::Tensor anchors;  // levels x na x 2
    nn::ModuleList m;
    std::array<double, 3> strides = {8, 16, 32};

    DetectImpl(int64_t classes, const std::vector<int64_t>& channels, const std::vector<float>& anchor_pixels)
        : nc(classes), no(classes + 5) {
        auto a = torch::tensor(anchor_pixels).view({3, na, 2});
        for (int64_t i = 0; i < 3; ++i) a[i].div_(strides[static_cast<size_t>(i)]);
        anchors = register_buffer("anchors", a);
        for (auto c : channels) m->push_back(nn::Conv2d(nn::Conv2dOptions(c, no * na, 1)));
        register_module("m", m);
        // Ultralytics' prior: about 8 objects per 640 x 640 image, classes about equally likely.
        torch::NoGradGuard no_grad;
        for (size_t i = 0; i < channels.size(); ++i) {
            auto bias = m[i]->as<nn::Conv2d>()->bias.view({na, no});
            bias.index({Slice(), 4}).add_(std::log(8.0 / std::pow(640.0 / strides[i], 2)));
            bias.index({Slice(), Slice(5, 5 + nc)}).add_(std::log(0.6 / (static_cast<double>(nc) - 0.99999)));
        }
    }

    /// Per level: batch x na x ny x nx x no logits.
    std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& features) {
        std::vector<torch::Tensor> out;
        for (size_t i = 0; i < features.size(); ++i) {
            auto x = m[i]->as<nn::Conv2d>()->forward(features[i]);
            const int64_t bs = x.size(0), ny = x.size(2), nx = x.size(3);
            out.push_back(x.reshape({bs, na, no, ny, nx}).permute({0, 1, 3, 4, 2}).contiguous());
        }
        return out;
    }

    /// Evaluation's decoding: batch x (na * cells) x no with (cx, cy, w, h) in input pixels, then sigmoids.
    torch::Tensor decode(const std::vector<torch::Tensor>& raw) const {
        std::vector<torch::Tensor> z;
        for (size_t i = 0; i < raw.size(); ++i) {
            const auto& x = raw[i];
            const int64_t bs = x.size(0), ny = x.size(2), nx = x.size(3);
            const auto opts = anchors.options();
            auto grids = torch::meshgrid({torch::arange(ny, opts), torch::arange(nx, opts)}, "ij");
            auto grid = torch::stack({grids[1], grids[0]}, 2).expand({1, na, ny, nx, 2}) - 0.5;
            auto anchor_grid = (anchors[static_cast<int64_t>(i)] * strides[i]).view({1, na, 1, 1, 2}).expand({1, na, ny, nx, 2});
            auto parts = x.sigmoid().split_with_sizes({2, 2, nc + 1}, 4);
            auto xy = (parts[0] * 2 + grid) * strides[i];
            auto wh = (parts[1] * 2).pow(2) * anchor_grid;
            z.push_back(torch::cat({xy, wh, parts[2]}, 4).view({bs, na * nx * ny, no}));
        }
        return torch::cat(z, 1);
    }
};
TORCH_MODULE(Detect);

/// A layer without parameters (Upsample, Concat): its index is kept so that the names match Ultralytics'.
struct PlaceholderImpl : nn::Module {};
TORCH_MODULE(Placeholder);

int64_t width_of(int64_t channels, double multiple) {
    return static_cast<int64_t>(std::ceil(static_cast<double>(channels) * multiple / 8.0)) * 8;
}
int64_t depth_of(int64_t n, double multiple) {
    return n > 1 ? std::max<int64_t>(static_cast<int64_t>(std::round(static_cast<double>(n) * multiple)), 1) : n;
}

torch::Tensor xywh_to_xyxy(const torch::Tensor& x) {
    auto y = x.clone();
    y.select(1, 0) = x.select(1, 0) - x.select(1, 2) / 2;
    y.select(1, 1) = x.select(1, 1) - x.select(1, 3) / 2;
    y.select(1, 2) = x.select(1, 0) + x.select(1, 2) / 2;
    y.select(1, 3) = x.select(1, 1) + x.select(1, 3) / 2;
    return y;
}

class YOLOv5Impl : public Model {
public:
    YOLOv5Impl(const YoloScale& scale, const ModelConfig& config) : task_(config.task), config_(config) {
        auto w = [&](int64_t c) { return width_of(c, scale.width); };
        auto d = [&](int64_t n) { return depth_of(n, scale.depth); };
        const auto& anchors = config.anchors.empty() ? yolo_default_anchors() : config.anchors;
        if (anchors.size() != 18) throw std::invalid_argument("yolov5 takes 9 anchors (18 numbers: w, h in pixels)");
        c0 = ConvBNSiLU(3, w(64), 6, 2, 2);
        c1 = ConvBNSiLU(w(64), w(128), 3, 2);
        c2 = C3(w(128), w(128), d(3), true);
        c3 = ConvBNSiLU(w(128), w(256), 3, 2);
        c4 = C3(w(256), w(256), d(6), true);
        c5 = ConvBNSiLU(w(256), w(512), 3, 2);
        c6 = C3(w(512), w(512), d(9), true);
        c7 = ConvBNSiLU(w(512), w(1024), 3, 2);
        c8 = C3(w(1024), w(1024), d(3), true);
        c9 = SPPF(w(1024), w(1024));
        c10 = ConvBNSiLU(w(1024), w(512), 1, 1);
        c13 = C3(w(512) * 2, w(512), d(3), false);
        c14 = ConvBNSiLU(w(512), w(256), 1, 1);
        c17 = C3(w(256) * 2, w(256), d(3), false);
        c18 = ConvBNSiLU(w(256), w(256), 3, 2);
        c20 = C3(w(256) * 2, w(512), d(3), false);
        c21 = ConvBNSiLU(w(512), w(512), 3, 2);
        c23 = C3(w(512) * 2, w(1024), d(3), false);
        detect = Detect(config.num_classes, std::vector<int64_t>{w(256), w(512), w(1024)}, anchors);
        nn::ModuleList layers;
        layers->push_back(c0), layers->push_back(c1), layers->push_back(c2), layers->push_back(c3);
        layers->push_back(c4), layers->push_back(c5), layers->push_back(c6), layers->push_back(c7);
        layers->push_back(c8), layers->push_back(c9), layers->push_back(c10), layers->push_back(Placeholder());
        layers->push_back(Placeholder()), layers->push_back(c13), layers->push_back(c14), layers->push_back(Placeholder());
        layers->push_back(Placeholder()), layers->push_back(c17), layers->push_back(c18), layers->push_back(Placeholder());
        layers->push_back(c20), layers->push_back(c21), layers->push_back(Placeholder()), layers->push_back(c23);
        layers->push_back(detect);
        register_module("model", layers);
        gains_ = YoloLossGains::scaled(config.num_classes, config.image_size);
        record_frozen_by_design();
    }

    Task task() const override { return task_; }
    bool supports_channels_last() const override { return true; }
    std::vector<std::string> head_prefixes() const override { return {"model.24.m."}; }
    std::vector<std::vector<std::string>> layer_groups() const override {
        std::vector<std::vector<std::string>> groups;
        for (int i = 0; i < 10; ++i) groups.push_back({"model." + std::to_string(i) + "."});
        return groups;
    }

    torch::Tensor forward_raw(const torch::Tensor& images) override {
        return detect->decode(detect->forward(features(images)));
    }

    ModelOutput run(const ModelInput& input) override {
        return is_training() ? train_step(input) : evaluate(input);
    }

private:
    std::vector<torch::Tensor> features(const torch::Tensor& input) {
        const auto x0 = channels_last() ? input.contiguous(torch::MemoryFormat::ChannelsLast) : input;
        auto x = c2(c1(c0(x0)));
        auto p3 = c4(c3(x));
        auto p4 = c6(c5(p3));
        auto h10 = c10(c9(c8(c7(p4))));
        auto up = [](const torch::Tensor& t) {
            return F::interpolate(t, F::InterpolateFuncOptions().scale_factor(std::vector<double>{2, 2}).mode(torch::kNearest));
        };
        auto h14 = c14(c13(torch::cat({up(h10), p4}, 1)));
        auto out3 = c17(torch::cat({up(h14), p3}, 1));
        auto out4 = c20(torch::cat({c18(out3), h14}, 1));
        auto out5 = c23(torch::cat({c21(out4), h10}, 1));
        return {out3, out4, out5};
    }

    ModelOutput train_step(const ModelInput& input) {
        auto images = input.images;
        int64_t h = images.size(2), w = images.size(3);
        // The batch padded to a multiple of the coarsest stride (grey, as the letterbox pads).
        const int64_t ph = (kStride - h % kStride) % kStride, pw = (kStride - w % kStride) % kStride;
        if (ph || pw) {
            images = F::pad(images, F::PadFuncOptions({0, pw, 0, ph}).value(kLetterboxGrey));
            h += ph, w += pw;
        }
        // Ultralytics' multi_scale: the batch resized to a random multiple of 32 within 50-150% of image_size.
        if (config_.multi_scale) {
            const int64_t base = config_.image_size;
            const int64_t low = base / 2, high = base * 3 / 2 + kStride;
            auto draw = torch::randint(low, high, {1}, GeneratorScope::current(), torch::TensorOptions().dtype(torch::kLong));
            const int64_t size = draw.item<int64_t>() / kStride * kStride;
            const double factor = static_cast<double>(size) / static_cast<double>(std::max(h, w));
            if (factor != 1.0) {
                const int64_t nh = static_cast<int64_t>(std::ceil(h * factor / kStride)) * kStride;
                const int64_t nw = static_cast<int64_t>(std::ceil(w * factor / kStride)) * kStride;
                images = F::interpolate(images, F::InterpolateFuncOptions()
                                                    .size(std::vector<int64_t>{nh, nw})
                                                    .mode(torch::kBilinear)
                                                    .align_corners(false));
                // Targets are normalised to the padded batch, so they follow the resize unchanged.
            }
        }
        std::vector<torch::Tensor> rows;
        for (size_t k = 0; k < input.targets.size(); ++k) {
            const auto& t = input.targets[k];
            if (!t.boxes.defined() || t.boxes.size(0) == 0) continue;
            auto b = t.boxes.to(torch::kFloat);
            if (t.crowd.defined() && t.crowd.numel() > 0) {
                auto keep = t.crowd.logical_not();
                b = b.index({keep});
                if (b.size(0) == 0) continue;
                auto labels = t.labels.index({keep});
                rows.push_back(target_rows(b, labels, static_cast<int64_t>(k), h, w));
            } else {
                rows.push_back(target_rows(b, t.labels, static_cast<int64_t>(k), h, w));
            }
        }
        auto targets = rows.empty() ? torch::zeros({0, 6}, images.options()) : torch::cat(rows).to(images.device());
        auto raw = detect->forward(features(images));
        ModelOutput out;
        out.losses = yolo_loss(raw, detect->anchors, targets, config_.num_classes, gains_);
        return out;
    }

    /// n x 6 (image, class from 0, cx, cy, w, h) normalised to the (padded) batch's width and height.
    static torch::Tensor target_rows(const torch::Tensor& b, const torch::Tensor& labels, int64_t image, int64_t h, int64_t w) {
        const float fw = static_cast<float>(w), fh = static_cast<float>(h);
        auto x1 = b.select(1, 0), y1 = b.select(1, 1), x2 = b.select(1, 2), y2 = b.select(1, 3);
        return torch::stack({torch::full_like(x1, static_cast<float>(image)), (labels.to(torch::kFloat) - 1).to(b.device()),
                             (x1 + x2) / 2 / fw, (y1 + y2) / 2 / fh, (x2 - x1) / fw, (y2 - y1) / fh}, 1);
    }

    ModelOutput evaluate(const ModelInput& input) {
        ModelOutput out;
        const int64_t side = config_.image_size;
        for (int64_t k = 0; k < input.images.size(0); ++k) {
            const int64_t h = input.sizes[static_cast<size_t>(k)][0], w = input.sizes[static_cast<size_t>(k)][1];
            auto image = input.images.index({Slice(k, k + 1), Slice(), Slice(0, h), Slice(0, w)});
            const auto boxed = letterbox(image, side, kStride);
            auto d = postprocess(forward_raw(boxed.image)[0]);
            unletterbox(d.boxes, boxed, h, w);
            out.detections.push_back(std::move(d));
        }
        return out;
    }

    /// Ultralytics' non_max_suppression with one label per box: labels from 1 (the engine's convention).
    ImageDetections postprocess(const torch::Tensor& prediction) const {
        const double conf = config_.box_score_thresh;
        auto x = prediction.index({prediction.select(1, 4) > conf});
        ImageDetections d;
        if (x.size(0) > 0) {
            auto cls = x.index({Slice(), Slice(5, None)}) * x.index({Slice(), Slice(4, 5)});
            auto box = xywh_to_xyxy(x.index({Slice(), Slice(0, 4)}));
            auto best = cls.max(1, /*keepdim=*/true);
            auto score = std::get<0>(best), label = std::get<1>(best).to(torch::kFloat);
            auto rows = torch::cat({box, score, label}, 1).index({score.view(-1) > conf});
            if (rows.size(0) > 0) {
                rows = rows.index({rows.select(1, 4).argsort(0, /*descending=*/true).slice(0, 0, kMaxNMS)});
                auto offset = rows.index({Slice(), Slice(5, 6)}) * kClassOffset;
                auto keep = nms(rows.index({Slice(), Slice(0, 4)}) + offset, rows.select(1, 4), config_.box_nms_thresh)
                                .slice(0, 0, config_.box_detections_per_img);
                rows = rows.index({keep});
                d.boxes = rows.index({Slice(), Slice(0, 4)}).contiguous();
                d.scores = rows.select(1, 4).contiguous();
                d.labels = rows.select(1, 5).to(torch::kLong) + 1;
                return d;
            }
        }
        d.boxes = torch::zeros({0, 4}, prediction.options());
        d.scores = torch::zeros({0}, prediction.options());
        d.labels = torch::zeros({0}, prediction.options().dtype(torch::kLong));
        return d;
    }

    Task task_;
    ModelConfig config_;
    YoloLossGains gains_;
    ConvBNSiLU c0{nullptr}, c1{nullptr}, c3{nullptr}, c5{nullptr}, c7{nullptr}, c10{nullptr}, c14{nullptr}, c18{nullptr},
        c21{nullptr};
    C3 c2{nullptr}, c4{nullptr}, c6{nullptr}, c8{nullptr}, c13{nullptr}, c17{nullptr}, c20{nullptr}, c23{nullptr};
    SPPF c9{nullptr};
    Detect detect{nullptr};
};

}  // namespace

YoloScale yolo_scale(char size) {
    switch (size) {
        case 's': return {0.33, 0.50};
        case 'm': return {0.67, 0.75};
        case 'l': return {1.0, 1.0};
        case 'x': return {1.33, 1.25};
        default: throw std::invalid_argument(std::string("unknown yolov5 size '") + size + "'; allowed: s, m, l, x");
    }
}

const std::vector<float>& yolo_default_anchors() {
    static const std::vector<float> anchors = {10, 13, 16, 30, 33, 23, 30, 61, 62, 45, 59, 119, 116, 90, 156, 198, 373, 326};
    return anchors;
}

std::shared_ptr<Model> make_yolov5(char size, const ModelConfig& config) {
    return std::make_shared<YOLOv5Impl>(yolo_scale(size), config);
}

}  // namespace spool::detection
