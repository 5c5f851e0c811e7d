#include "models/detection/yolo_loss.h"

#include <torch/nn/functional/loss.h>

#include <cmath>

namespace spool::detection {

namespace F = torch::nn::functional;
using torch::indexing::Slice;

YoloLossGains YoloLossGains::scaled(int64_t num_classes, int64_t image_size, int64_t levels) {
    YoloLossGains g;
    const double per_level = 3.0 / static_cast<double>(levels);
    const double size = static_cast<double>(image_size) / 640.0;
    g.box *= per_level;
    g.cls *= static_cast<double>(num_classes) / 80.0 * per_level;
    g.obj *= size * size * per_level;
    return g;
}

torch::Tensor complete_iou(const torch::Tensor& a, const torch::Tensor& b) {
    constexpr double eps = 1e-7;
    auto ac = a.chunk(4, -1), bc = b.chunk(4, -1);
    const auto &x1 = ac[0], &y1 = ac[1], &w1 = ac[2], &h1 = ac[3];
    const auto &x2 = bc[0], &y2 = bc[1], &w2 = bc[2], &h2 = bc[3];
    auto hw1 = w1 / 2, hh1 = h1 / 2, hw2 = w2 / 2, hh2 = h2 / 2;
    auto a_x1 = x1 - hw1, a_x2 = x1 + hw1, a_y1 = y1 - hh1, a_y2 = y1 + hh1;
    auto b_x1 = x2 - hw2, b_x2 = x2 + hw2, b_y1 = y2 - hh2, b_y2 = y2 + hh2;
    auto inter = (a_x2.minimum(b_x2) - a_x1.maximum(b_x1)).clamp_min(0) *
                 (a_y2.minimum(b_y2) - a_y1.maximum(b_y1)).clamp_min(0);
    auto uni = w1 * h1 + w2 * h2 - inter + eps;
    auto iou = inter / uni;
    auto cw = a_x2.maximum(b_x2) - a_x1.minimum(b_x1);
    auto ch = a_y2.maximum(b_y2) - a_y1.minimum(b_y1);
    auto c2 = cw.pow(2) + ch.pow(2) + eps;
    auto rho2 = ((b_x1 + b_x2 - a_x1 - a_x2).pow(2) + (b_y1 + b_y2 - a_y1 - a_y2).pow(2)) / 4;
    auto v = (4 / (M_PI * M_PI)) * (torch::atan(w2 / h2) - torch::atan(w1 / h1)).pow(2);
    torch::Tensor alpha;
    {
        torch::NoGradGuard no_grad;
        alpha = v / (v - iou + (1 + eps));
    }
    return (iou - (rho2 / c2 + v * alpha)).squeeze(-1);
}

namespace {

/// The targets of one level: which predictions (image, anchor, cell row, cell column) answer which box.
struct LevelTargets {
    torch::Tensor image, anchor, gj, gi;  // int64, one per assignment
    torch::Tensor cls;                    // int64
    torch::Tensor box;                    // offset in the cell (x, y) and size (w, h), grid units
    torch::Tensor anchor_wh;              // the assigned anchor's size, grid units
};

/// Ultralytics' build_targets for one level: `all` is anchors x n x 7 (image, class, cx, cy, w, h, anchor).
LevelTargets level_targets(const torch::Tensor& all, const torch::Tensor& anchors, int64_t ny, int64_t nx, double anchor_t) {
    constexpr double g = 0.5;  // a centre within half a cell of a neighbour also trains that neighbour
    const auto opts = all.options();
    auto gain = torch::tensor({1.0f, 1.0f, static_cast<float>(nx), static_cast<float>(ny), static_cast<float>(nx),
                               static_cast<float>(ny), 1.0f}, opts);
    auto t = all * gain;
    torch::Tensor offsets;
    if (all.size(1) > 0) {
        auto r = t.index({Slice(), Slice(), Slice(4, 6)}) / anchors.unsqueeze(1);
        auto matched = std::get<0>(torch::max(r, 1 / r).max(2)) < anchor_t;
        t = t.index({matched});
        auto gxy = t.index({Slice(), Slice(2, 4)});
        auto gxi = gain.index({Slice(2, 4)}) - gxy;
        auto near_low = (torch::remainder(gxy, 1) < g) & (gxy > 1);
        auto near_high = (torch::remainder(gxi, 1) < g) & (gxi > 1);
        auto pick = torch::stack({torch::ones_like(near_low.select(1, 0)), near_low.select(1, 0), near_low.select(1, 1),
                                  near_high.select(1, 0), near_high.select(1, 1)});
        auto off = torch::tensor({0.0f, 0.0f, 1.0f, 0.0f, 0.0f, 1.0f, -1.0f, 0.0f, 0.0f, -1.0f}, opts).view({5, 2}) * g;
        t = t.repeat({5, 1, 1}).index({pick});
        offsets = (torch::zeros_like(gxy).unsqueeze(0) + off.unsqueeze(1)).index({pick});
    } else {
        t = all.select(0, 0);
        offsets = torch::zeros({0, 2}, opts);
    }
    LevelTargets out;
    auto gxy = t.index({Slice(), Slice(2, 4)});
    auto gwh = t.index({Slice(), Slice(4, 6)});
    out.image = t.select(1, 0).to(torch::kLong);
    out.cls = t.select(1, 1).to(torch::kLong);
    out.anchor = t.select(1, 6).to(torch::kLong);
    auto gij = (gxy - offsets).to(torch::kLong);
    // Ultralytics clamps the cell indices in place, and the box offset is taken from the clamped cell.
    gij.select(1, 0).clamp_(0, nx - 1);
    gij.select(1, 1).clamp_(0, ny - 1);
    out.gi = gij.select(1, 0);
    out.gj = gij.select(1, 1);
    out.box = torch::cat({gxy - gij, gwh}, 1);
    out.anchor_wh = anchors.index({out.anchor});
    return out;
}

}  // namespace

std::vector<std::pair<std::string, torch::Tensor>> yolo_loss(const std::vector<torch::Tensor>& raw,
                                                             const torch::Tensor& anchors, const torch::Tensor& targets,
                                                             int64_t num_classes, const YoloLossGains& gains) {
    static const double kBalance[] = {4.0, 1.0, 0.4};
    const auto opts = raw.at(0).options();
    const int64_t na = anchors.size(1), nt = targets.size(0);
    auto ai = torch::arange(na, opts).view({na, 1}).repeat({1, nt});
    auto all = torch::cat({targets.to(opts).repeat({na, 1, 1}), ai.unsqueeze(2)}, 2);

    auto lbox = torch::zeros({1}, opts), lobj = torch::zeros({1}, opts), lcls = torch::zeros({1}, opts);
    for (size_t i = 0; i < raw.size(); ++i) {
        const auto& p = raw[i];
        const auto t = level_targets(all, anchors[static_cast<int64_t>(i)], p.size(2), p.size(3), gains.anchor_t);
        auto tobj = torch::zeros({p.size(0), p.size(1), p.size(2), p.size(3)}, opts);
        const int64_t n = t.image.size(0);
        if (n > 0) {
            auto ps = p.index({t.image, t.anchor, t.gj, t.gi});
            auto pxy = ps.index({Slice(), Slice(0, 2)}).sigmoid() * 2 - 0.5;
            auto pwh = (ps.index({Slice(), Slice(2, 4)}).sigmoid() * 2).pow(2) * t.anchor_wh;
            auto iou = complete_iou(torch::cat({pxy, pwh}, 1), t.box);
            lbox = lbox + (1.0 - iou).mean();
            tobj.index_put_({t.image, t.anchor, t.gj, t.gi}, iou.detach().clamp_min(0).to(tobj.dtype()));
            if (num_classes > 1) {
                auto pcls = ps.index({Slice(), Slice(5, torch::indexing::None)});
                auto target = torch::zeros_like(pcls);
                target.index_put_({torch::arange(n, t.cls.options()), t.cls}, 1.0);
                lcls = lcls + F::binary_cross_entropy_with_logits(pcls, target);
            }
        }
        lobj = lobj + F::binary_cross_entropy_with_logits(p.select(4, 4), tobj) * kBalance[std::min<size_t>(i, 2)];
    }
    const double bs = static_cast<double>(raw.at(0).size(0));
    return {{"loss_box", (lbox * gains.box * bs).squeeze()},
            {"loss_obj", (lobj * gains.obj * bs).squeeze()},
            {"loss_cls", (lcls * gains.cls * bs).squeeze()}};
}

}  // namespace spool::detection
