#include "models/detection/ops.h"

#include <ATen/Parallel.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/csrc/autograd/custom_function.h>
#include <torch/version.h>

#include <dlfcn.h>
#include <glob.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace spool {
namespace {

struct Kernels {
    bool loaded = false;
    std::string description;
};

std::atomic<bool> force_fallback{false};

/// Loads torchvision's operators once: SPOOL_TORCHVISION_OPS names the library, else Debian's
/// python3-torchvision is looked for when this is the libtorch it was built against.
const Kernels& kernels() {
    static const Kernels k = [] {
        Kernels out;
        std::vector<std::string> candidates;
        if (const char* given = std::getenv("SPOOL_TORCHVISION_OPS"); given && *given) {
            candidates.emplace_back(given);
        } else if (std::string(TORCH_VERSION).rfind("1.13", 0) == 0) {
            glob_t g;
            if (::glob("/usr/lib/python3/dist-packages/torchvision/_C*.so", 0, nullptr, &g) == 0)
                for (size_t i = 0; i < g.gl_pathc; ++i) candidates.emplace_back(g.gl_pathv[i]);
            globfree(&g);
        }
        std::string why = candidates.empty() ? "no torchvision library for this libtorch" : "";
        for (const auto& path : candidates) {
            if (!dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL)) {
                const char* e = dlerror();
                why = path + " did not load: " + (e ? e : "?");
                continue;
            }
            auto nms_op = c10::Dispatcher::singleton().findSchema({"torchvision::nms", ""});
            auto roi_op = c10::Dispatcher::singleton().findSchema({"torchvision::roi_align", ""});
            if (nms_op && roi_op) {
                out.loaded = true;
                out.description = "torchvision " + path;
                return out;
            }
            why = path + " has no torchvision::nms/roi_align";
        }
        out.description = "ATen fallback (" + why + ")";
        return out;
    }();
    return k;
}

bool use_torchvision() { return !force_fallback.load() && kernels().loaded; }

torch::Tensor nms_fallback(const torch::Tensor& boxes_in, const torch::Tensor& scores_in, double iou) {
    auto boxes = boxes_in.to(torch::kCPU, torch::kFloat).contiguous();
    auto order = std::get<1>(scores_in.to(torch::kCPU, torch::kFloat).sort(/*stable=*/true, 0, /*descending=*/true));
    const int64_t n = boxes.size(0);
    auto o = order.contiguous();
    const auto* ord = o.data_ptr<int64_t>();
    const auto* b = boxes.data_ptr<float>();
    std::vector<char> suppressed(static_cast<size_t>(n), 0);
    std::vector<int64_t> keep;
    for (int64_t a = 0; a < n; ++a) {
        const int64_t i = ord[a];
        if (suppressed[static_cast<size_t>(i)]) continue;
        keep.push_back(i);
        const float ix1 = b[4 * i], iy1 = b[4 * i + 1], ix2 = b[4 * i + 2], iy2 = b[4 * i + 3];
        const float iarea = (ix2 - ix1) * (iy2 - iy1);
        for (int64_t c = a + 1; c < n; ++c) {
            const int64_t j = ord[c];
            if (suppressed[static_cast<size_t>(j)]) continue;
            const float xx1 = std::max(ix1, b[4 * j]), yy1 = std::max(iy1, b[4 * j + 1]);
            const float xx2 = std::min(ix2, b[4 * j + 2]), yy2 = std::min(iy2, b[4 * j + 3]);
            const float w = std::max(0.0f, xx2 - xx1), h = std::max(0.0f, yy2 - yy1);
            const float inter = w * h;
            const float jarea = (b[4 * j + 2] - b[4 * j]) * (b[4 * j + 3] - b[4 * j + 1]);
            if (inter / (iarea + jarea - inter) > iou) suppressed[static_cast<size_t>(j)] = 1;
        }
    }
    return torch::tensor(keep, torch::kLong).to(boxes_in.device());
}

/// torchvision's bilinear_interpolate, vectorised: samples outside [-1, size] are 0, the rest clamped.
torch::Tensor roi_align_fallback(const torch::Tensor& input, const torch::Tensor& rois, double scale, int64_t ph,
                                 int64_t pw, int64_t sr, bool aligned) {
    if (sr <= 0) throw std::invalid_argument("the ATen RoIAlign needs sampling_ratio > 0");
    const int64_t n = input.size(0), c = input.size(1), h = input.size(2), w = input.size(3), k = rois.size(0);
    auto opts = input.options();
    if (k == 0) return torch::zeros({0, c, ph, pw}, opts);
    const double offset = aligned ? 0.5 : 0.0;
    auto r = rois.to(opts.dtype());
    auto x1 = r.select(1, 1) * scale - offset, y1 = r.select(1, 2) * scale - offset;
    auto x2 = r.select(1, 3) * scale - offset, y2 = r.select(1, 4) * scale - offset;
    auto roi_w = x2 - x1, roi_h = y2 - y1;
    if (!aligned) {
        roi_w = roi_w.clamp_min(1.0);
        roi_h = roi_h.clamp_min(1.0);
    }
    auto bin_h = roi_h / static_cast<double>(ph), bin_w = roi_w / static_cast<double>(pw);
    // Sample positions: bin p, sample s: start + p * bin + (s + 0.5) * bin / sr.
    auto steps_y = (torch::arange(ph * sr, opts).floor_divide(sr) + (torch::arange(ph * sr, opts).remainder(sr) + 0.5) / sr);
    auto steps_x = (torch::arange(pw * sr, opts).floor_divide(sr) + (torch::arange(pw * sr, opts).remainder(sr) + 0.5) / sr);
    auto ys = y1.unsqueeze(1) + steps_y.unsqueeze(0) * bin_h.unsqueeze(1);  // K x PH*SR
    auto xs = x1.unsqueeze(1) + steps_x.unsqueeze(0) * bin_w.unsqueeze(1);  // K x PW*SR
    auto Y = ys.unsqueeze(2).expand({k, ph * sr, pw * sr});
    auto X = xs.unsqueeze(1).expand({k, ph * sr, pw * sr});
    auto outside = (Y < -1.0) | (Y > static_cast<double>(h)) | (X < -1.0) | (X > static_cast<double>(w));
    Y = Y.clamp_min(0.0);
    X = X.clamp_min(0.0);
    auto y_low = Y.floor().to(torch::kLong), x_low = X.floor().to(torch::kLong);
    auto y_top = y_low >= h - 1, x_top = x_low >= w - 1;
    y_low = torch::where(y_top, torch::full_like(y_low, h - 1), y_low);
    x_low = torch::where(x_top, torch::full_like(x_low, w - 1), x_low);
    Y = torch::where(y_top, y_low.to(opts.dtype()), Y);
    X = torch::where(x_top, x_low.to(opts.dtype()), X);
    auto y_high = torch::where(y_top, y_low, y_low + 1), x_high = torch::where(x_top, x_low, x_low + 1);
    auto ly = Y - y_low.to(opts.dtype()), lx = X - x_low.to(opts.dtype());
    auto hy = 1.0 - ly, hx = 1.0 - lx;
    auto flat = input.permute({0, 2, 3, 1}).reshape({n * h * w, c});
    auto base = (r.select(1, 0).to(torch::kLong) * (h * w)).view({k, 1, 1});
    auto gather = [&](const torch::Tensor& yy, const torch::Tensor& xx) {
        auto idx = (base + yy * w + xx).reshape({-1});
        return flat.index_select(0, idx).view({k, ph * sr, pw * sr, c});
    };
    auto val = gather(y_low, x_low) * (hy * hx).unsqueeze(3) + gather(y_low, x_high) * (hy * lx).unsqueeze(3) +
               gather(y_high, x_low) * (ly * hx).unsqueeze(3) + gather(y_high, x_high) * (ly * lx).unsqueeze(3);
    val = val.masked_fill(outside.unsqueeze(3), 0.0);
    return val.view({k, ph, sr, pw, sr, c}).mean({2, 4}).permute({0, 3, 1, 2}).contiguous();
}

}  // namespace

torch::Tensor nms(const torch::Tensor& boxes, const torch::Tensor& scores, double iou) {
    if (boxes.size(0) == 0) return torch::empty({0}, torch::TensorOptions().dtype(torch::kLong).device(boxes.device()));
    if (use_torchvision()) {
        static auto op = c10::Dispatcher::singleton()
                             .findSchemaOrThrow("torchvision::nms", "")
                             .typed<at::Tensor(const at::Tensor&, const at::Tensor&, double)>();
        return op.call(boxes, scores, iou);
    }
    return nms_fallback(boxes, scores, iou);
}

torch::Tensor batched_nms(const torch::Tensor& boxes, const torch::Tensor& scores, const torch::Tensor& idxs, double iou) {
    if (boxes.size(0) == 0) return torch::empty({0}, torch::TensorOptions().dtype(torch::kLong).device(boxes.device()));
    auto max_coordinate = boxes.max();
    auto offsets = idxs.to(boxes.dtype()) * (max_coordinate + torch::ones({}, boxes.options()));
    return nms(boxes + offsets.unsqueeze(1), scores, iou);
}

namespace {

using RoIAlignOp = at::Tensor(const at::Tensor&, const at::Tensor&, double, int64_t, int64_t, int64_t, bool);
using RoIAlignBackwardOp = at::Tensor(const at::Tensor&, const at::Tensor&, double, int64_t, int64_t, int64_t, int64_t,
                                      int64_t, int64_t, int64_t, bool);

c10::TypedOperatorHandle<RoIAlignOp> roi_align_op() {
    static auto op = c10::Dispatcher::singleton().findSchemaOrThrow("torchvision::roi_align", "").typed<RoIAlignOp>();
    return op;
}

/// Runs f(0) ... f(n - 1) at once, f(0) on the calling thread. (at::parallel_for is an inline template whose
/// OpenMP pragma needs -fopenmp in the including unit, which Swift's clang build does not pass: it would run
/// serially here.) Worker threads start with default thread-locals, so each f sets what it needs.
void run_parallel(int64_t n, const std::function<void(int64_t)>& f) {
    std::vector<std::thread> workers;
    std::vector<std::exception_ptr> errors(static_cast<size_t>(n));
    for (int64_t i = 1; i < n; ++i)
        workers.emplace_back([&, i] {
            try {
                f(i);
            } catch (...) {
                errors[static_cast<size_t>(i)] = std::current_exception();
            }
        });
    try {
        f(0);
    } catch (...) {
        errors[0] = std::current_exception();
    }
    for (auto& w : workers) w.join();
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
}

/// The row ranges of `n` RoIs cut into `parts` nearly equal chunks.
std::vector<std::pair<int64_t, int64_t>> chunks(int64_t n, int64_t parts) {
    std::vector<std::pair<int64_t, int64_t>> out;
    for (int64_t i = 0; i < parts; ++i) out.emplace_back(n * i / parts, n * (i + 1) / parts);
    return out;
}

/// How many threads share a RoIAlign on the CPU: torchvision's CPU kernels loop over the RoIs on one thread
/// (forward and backward), which made them ~40% of a Faster R-CNN step on 2 cores. Each RoI is independent, so
/// chunks of RoIs run on libtorch's intra-op threads: the forward is the same to the bit; the backward sums one
/// partial gradient per chunk (float sums in another order).
int64_t roi_align_parts(const torch::Tensor& input, int64_t rois) {
    if (!input.device().is_cpu()) return 1;
    return std::max<int64_t>(1, std::min<int64_t>({static_cast<int64_t>(at::get_num_threads()), rois / 32, 16}));
}

/// torchvision::roi_align over chunks of RoIs in parallel, with a backward that runs
/// torchvision::_roi_align_backward over the same chunks in parallel.
struct ParallelRoIAlign : public torch::autograd::Function<ParallelRoIAlign> {
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& input, const torch::Tensor& rois,
                                 double scale, int64_t ph, int64_t pw, int64_t sr, bool aligned) {
        ctx->save_for_backward({rois});
        ctx->saved_data["scale"] = scale;
        ctx->saved_data["ph"] = ph;
        ctx->saved_data["pw"] = pw;
        ctx->saved_data["sr"] = sr;
        ctx->saved_data["aligned"] = aligned;
        ctx->saved_data["shape"] = input.sizes().vec();
        const auto parts = chunks(rois.size(0), roi_align_parts(input, rois.size(0)));
        std::vector<torch::Tensor> out(parts.size());
        const auto features = input.contiguous();
        run_parallel(static_cast<int64_t>(parts.size()), [&](int64_t i) {
            at::NoGradGuard no_grad;  // worker threads do not inherit the caller's thread-local grad mode
            out[i] = roi_align_op().call(features, rois.slice(0, parts[i].first, parts[i].second), scale, ph, pw, sr, aligned);
        });
        return torch::cat(out, 0);
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
        static auto op = c10::Dispatcher::singleton()
                             .findSchemaOrThrow("torchvision::_roi_align_backward", "")
                             .typed<RoIAlignBackwardOp>();
        const auto rois = ctx->get_saved_variables()[0];
        const auto shape = ctx->saved_data["shape"].toIntVector();
        const double scale = ctx->saved_data["scale"].toDouble();
        const int64_t ph = ctx->saved_data["ph"].toInt(), pw = ctx->saved_data["pw"].toInt(), sr = ctx->saved_data["sr"].toInt();
        const bool aligned = ctx->saved_data["aligned"].toBool();
        const auto grad = grads[0].contiguous();
        const auto parts = chunks(rois.size(0), roi_align_parts(grad, rois.size(0)));
        std::vector<torch::Tensor> partial(parts.size());
        run_parallel(static_cast<int64_t>(parts.size()), [&](int64_t i) {
            at::NoGradGuard no_grad;
            const auto [a, b] = parts[i];
            partial[i] = op.call(grad.slice(0, a, b), rois.slice(0, a, b), scale, ph, pw, shape[0], shape[1], shape[2], shape[3],
                                 sr, aligned);
        });
        auto grad_input = partial[0];
        for (size_t i = 1; i < partial.size(); ++i) grad_input = grad_input + partial[i];
        return {grad_input, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
    }
};

}  // namespace

torch::Tensor roi_align(const torch::Tensor& input, const torch::Tensor& rois, double spatial_scale, int64_t pooled_height,
                        int64_t pooled_width, int64_t sampling_ratio, bool aligned) {
    if (use_torchvision()) {
        const auto boxes = rois.to(input.dtype());
        if (roi_align_parts(input, boxes.size(0)) > 1)
            return ParallelRoIAlign::apply(input, boxes, spatial_scale, pooled_height, pooled_width, sampling_ratio, aligned);
        return roi_align_op().call(input, boxes, spatial_scale, pooled_height, pooled_width, sampling_ratio, aligned);
    }
    return roi_align_fallback(input, rois, spatial_scale, pooled_height, pooled_width, sampling_ratio, aligned);
}

std::string detection_kernels_description() {
    if (force_fallback.load()) return "ATen fallback (forced)";
    return kernels().description;
}

void set_detection_kernels_fallback(bool fallback) { force_fallback.store(fallback); }

}  // namespace spool
