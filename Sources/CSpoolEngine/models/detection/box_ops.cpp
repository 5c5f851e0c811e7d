#include "models/detection/box_ops.h"

#include "models/model.h"

namespace spool::detection {

namespace {
torch::Tensor area(const torch::Tensor& b) {
    return (b.select(1, 2) - b.select(1, 0)) * (b.select(1, 3) - b.select(1, 1));
}
std::pair<torch::Tensor, torch::Tensor> inter_union(const torch::Tensor& a, const torch::Tensor& b) {
    auto lt = torch::max(a.unsqueeze(1).slice(2, 0, 2), b.slice(1, 0, 2));
    auto rb = torch::min(a.unsqueeze(1).slice(2, 2, 4), b.slice(1, 2, 4));
    auto wh = (rb - lt).clamp_min(0);
    auto inter = wh.select(2, 0) * wh.select(2, 1);
    auto uni = area(a).unsqueeze(1) + area(b) - inter;
    return {inter, uni};
}
}  // namespace

torch::Tensor box_iou(const torch::Tensor& a, const torch::Tensor& b) {
    auto [inter, uni] = inter_union(a, b);
    return inter / uni;
}

torch::Tensor box_ioa(const torch::Tensor& crowd, const torch::Tensor& b) {
    auto [inter, uni] = inter_union(crowd, b);
    return inter / area(b).clamp_min(1e-9).unsqueeze(0);
}

torch::Tensor clip_boxes_to_image(const torch::Tensor& boxes, std::array<int64_t, 2> size) {
    const auto dim = boxes.dim();
    auto x = boxes.slice(-1, 0, boxes.size(-1), 2).clamp(0, static_cast<double>(size[1]));
    auto y = boxes.slice(-1, 1, boxes.size(-1), 2).clamp(0, static_cast<double>(size[0]));
    return torch::stack({x, y}, dim).reshape(boxes.sizes());
}

torch::Tensor remove_small_boxes(const torch::Tensor& boxes, double min_size) {
    auto ws = boxes.select(1, 2) - boxes.select(1, 0), hs = boxes.select(1, 3) - boxes.select(1, 1);
    return torch::where((ws >= min_size) & (hs >= min_size))[0];
}

torch::Tensor BoxCoder::encode(const torch::Tensor& reference, const torch::Tensor& proposals) const {
    auto w = torch::tensor({weights[0], weights[1], weights[2], weights[3]}, reference.options());
    auto px1 = proposals.select(1, 0).unsqueeze(1), py1 = proposals.select(1, 1).unsqueeze(1);
    auto px2 = proposals.select(1, 2).unsqueeze(1), py2 = proposals.select(1, 3).unsqueeze(1);
    auto rx1 = reference.select(1, 0).unsqueeze(1), ry1 = reference.select(1, 1).unsqueeze(1);
    auto rx2 = reference.select(1, 2).unsqueeze(1), ry2 = reference.select(1, 3).unsqueeze(1);
    auto ex_w = px2 - px1, ex_h = py2 - py1;
    auto ex_x = px1 + 0.5 * ex_w, ex_y = py1 + 0.5 * ex_h;
    auto gt_w = rx2 - rx1, gt_h = ry2 - ry1;
    auto gt_x = rx1 + 0.5 * gt_w, gt_y = ry1 + 0.5 * gt_h;
    auto dx = w[0] * (gt_x - ex_x) / ex_w;
    auto dy = w[1] * (gt_y - ex_y) / ex_h;
    auto dw = w[2] * torch::log(gt_w / ex_w);
    auto dh = w[3] * torch::log(gt_h / ex_h);
    return torch::cat({dx, dy, dw, dh}, 1);
}

torch::Tensor BoxCoder::decode(const torch::Tensor& codes, const torch::Tensor& boxes_in) const {
    auto boxes = boxes_in.to(codes.dtype());
    auto widths = boxes.select(1, 2) - boxes.select(1, 0);
    auto heights = boxes.select(1, 3) - boxes.select(1, 1);
    auto ctr_x = boxes.select(1, 0) + 0.5 * widths;
    auto ctr_y = boxes.select(1, 1) + 0.5 * heights;
    const int64_t n = codes.size(1);
    auto dx = codes.slice(1, 0, n, 4) / weights[0];
    auto dy = codes.slice(1, 1, n, 4) / weights[1];
    auto dw = (codes.slice(1, 2, n, 4) / weights[2]).clamp_max(clip);
    auto dh = (codes.slice(1, 3, n, 4) / weights[3]).clamp_max(clip);
    auto pcx = dx * widths.unsqueeze(1) + ctr_x.unsqueeze(1);
    auto pcy = dy * heights.unsqueeze(1) + ctr_y.unsqueeze(1);
    auto pw = torch::exp(dw) * widths.unsqueeze(1);
    auto ph = torch::exp(dh) * heights.unsqueeze(1);
    auto half = torch::tensor(0.5, pcy.options());
    auto hh = half * ph, hw = half * pw;
    return torch::stack({pcx - hw, pcy - hh, pcx + hw, pcy + hh}, 2).flatten(1);
}

torch::Tensor Matcher::operator()(const torch::Tensor& quality) const {
    auto [matched_vals, matches] = quality.max(0);
    auto all_matches = allow_low_quality ? matches.clone() : torch::Tensor();
    auto below = matched_vals < low;
    auto between = (matched_vals >= low) & (matched_vals < high);
    matches.masked_fill_(below, kBelow);
    matches.masked_fill_(between, kBetween);
    if (allow_low_quality) {
        auto highest = std::get<0>(quality.max(1));
        auto pairs = torch::where(quality == highest.unsqueeze(1));
        auto update = pairs[1];
        matches.index_put_({update}, all_matches.index({update}));
    }
    return matches;
}

std::pair<std::vector<torch::Tensor>, std::vector<torch::Tensor>> sample_balanced(
    const std::vector<torch::Tensor>& labels, int64_t batch_size_per_image, double positive_fraction) {
    std::vector<torch::Tensor> pos, neg;
    for (const auto& l : labels) {
        auto positive = torch::where(l >= 1)[0];
        auto negative = torch::where(l == 0)[0];
        int64_t num_pos = std::min<int64_t>(positive.numel(), static_cast<int64_t>(batch_size_per_image * positive_fraction));
        int64_t num_neg = std::min<int64_t>(negative.numel(), batch_size_per_image - num_pos);
        const auto generator = GeneratorScope::current();
        // Drawn on the CPU (the trainer's generator is a CPU one), used on the labels' device.
        const auto options = torch::TensorOptions().dtype(torch::kLong);
        auto perm1 = torch::randperm(positive.numel(), generator, options).slice(0, 0, num_pos).to(l.device());
        auto perm2 = torch::randperm(negative.numel(), generator, options).slice(0, 0, num_neg).to(l.device());
        auto pm = torch::zeros_like(l, l.options().dtype(torch::kUInt8)), nm = torch::zeros_like(l, l.options().dtype(torch::kUInt8));
        pm.index_put_({positive.index({perm1})}, 1);
        nm.index_put_({negative.index({perm2})}, 1);
        pos.push_back(pm);
        neg.push_back(nm);
    }
    return {pos, neg};
}

}  // namespace spool::detection
