#include "models/detection/anchor_generator.h"

#include <cmath>

namespace spool::detection {

AnchorGenerator::AnchorGenerator(std::vector<std::vector<double>> sizes, std::vector<std::vector<double>> aspect_ratios)
    : sizes_(std::move(sizes)), ratios_(std::move(aspect_ratios)) {
    for (size_t i = 0; i < sizes_.size(); ++i) {
        auto scales = torch::tensor(sizes_[i], torch::kFloat32);
        auto ratios = torch::tensor(ratios_[i], torch::kFloat32);
        auto h_ratios = torch::sqrt(ratios);
        auto w_ratios = 1 / h_ratios;
        auto ws = (w_ratios.unsqueeze(1) * scales.unsqueeze(0)).view(-1);
        auto hs = (h_ratios.unsqueeze(1) * scales.unsqueeze(0)).view(-1);
        cell_anchors_.push_back((torch::stack({-ws, -hs, ws, hs}, 1) / 2).round());
    }
}

int64_t AnchorGenerator::num_anchors_per_location() const {
    return static_cast<int64_t>(sizes_[0].size() * ratios_[0].size());
}

torch::Tensor AnchorGenerator::operator()(std::array<int64_t, 2> batch_size, const std::vector<torch::Tensor>& features) const {
    std::vector<torch::Tensor> all;
    for (size_t level = 0; level < features.size(); ++level) {
        const int64_t gh = features[level].size(-2), gw = features[level].size(-1);
        const int64_t sh = batch_size[0] / gh, sw = batch_size[1] / gw;
        auto base = cell_anchors_[level].to(features[level].options());
        auto shifts_x = torch::arange(0, gw, torch::TensorOptions().dtype(torch::kInt32).device(base.device())) * sw;
        auto shifts_y = torch::arange(0, gh, torch::TensorOptions().dtype(torch::kInt32).device(base.device())) * sh;
        auto grid = torch::meshgrid({shifts_y, shifts_x}, "ij");
        auto shift_y = grid[0].reshape(-1), shift_x = grid[1].reshape(-1);
        auto shifts = torch::stack({shift_x, shift_y, shift_x, shift_y}, 1);
        all.push_back((shifts.view({-1, 1, 4}) + base.view({1, -1, 4})).reshape({-1, 4}));
    }
    return torch::cat(all);
}

AnchorGenerator AnchorGenerator::faster_rcnn() {
    return AnchorGenerator({{32}, {64}, {128}, {256}, {512}}, std::vector<std::vector<double>>(5, {0.5, 1.0, 2.0}));
}

AnchorGenerator AnchorGenerator::retinanet() {
    std::vector<std::vector<double>> sizes;
    for (double x : {32.0, 64.0, 128.0, 256.0, 512.0})
        sizes.push_back({x, std::floor(x * std::pow(2.0, 1.0 / 3)), std::floor(x * std::pow(2.0, 2.0 / 3))});
    return AnchorGenerator(sizes, std::vector<std::vector<double>>(5, {0.5, 1.0, 2.0}));
}

}  // namespace spool::detection
