#include "data/tiling.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace spool {

namespace {
int round_half_up(double v) { return static_cast<int>(std::floor(v + 0.5)); }
}  // namespace

std::array<int, 4> tile_rect(int width, int height, const TileView& tile) {
    if (tile.cols <= 0) return {0, 0, width, height};
    const double overlap = tile.overlap;
    const double tw = width / (tile.cols - (tile.cols - 1) * overlap);
    const double th = height / (tile.rows - (tile.rows - 1) * overlap);
    const int x1 = round_half_up(tile.col * tw * (1 - overlap));
    const int y1 = round_half_up(tile.row * th * (1 - overlap));
    return {x1, y1, std::min(width, round_half_up(x1 + tw)), std::min(height, round_half_up(y1 + th))};
}

std::shared_ptr<Dataset> tile_dataset(const Dataset& dataset, int cols, int rows, float overlap, float nms_thresh,
                                      int64_t max_detections) {
    if (cols < 1 || rows < 1 || cols * rows < 2) throw std::invalid_argument("a tile grid needs at least two tiles");
    if (!(overlap >= 0 && overlap < 1)) throw std::invalid_argument("tile_overlap_ratio must be in [0, 1)");
    auto out = std::make_shared<Dataset>();
    out->task = dataset.task;
    out->num_classes = dataset.num_classes;
    out->tile_nms_thresh = nms_thresh;
    out->tile_max_detections = max_detections;
    out->source_count = static_cast<int64_t>(dataset.samples.size());
    for (size_t i = 0; i < dataset.samples.size(); ++i) {
        Sample whole = dataset.samples[i];
        whole.source = static_cast<int64_t>(i);
        whole.tile = TileView{};
        out->samples.push_back(whole);
        for (int r = 0; r < rows; ++r)
            for (int c = 0; c < cols; ++c) {
                Sample view = whole;
                view.tile = TileView{cols, rows, c, r, overlap};
                out->samples.push_back(std::move(view));
            }
    }
    return out;
}

}  // namespace spool
