// anchor_generator.h — torchvision's AnchorGenerator: per feature level, cell anchors of some sizes and
// aspect ratios, shifted over the level's grid.
#pragma once

#include <torch/types.h>

#include <array>
#include <vector>

namespace spool::detection {

class AnchorGenerator {
public:
    AnchorGenerator(std::vector<std::vector<double>> sizes, std::vector<std::vector<double>> aspect_ratios);

    /// Anchors per location of each level.
    int64_t num_anchors_per_location() const;

    /// The anchors of every level, concatenated (the same for every image of the batch).
    torch::Tensor operator()(std::array<int64_t, 2> batch_size, const std::vector<torch::Tensor>& features) const;

    /// torchvision's anchors for Faster R-CNN (one size per level, 3 ratios) and RetinaNet (3 octave scales).
    static AnchorGenerator faster_rcnn();
    static AnchorGenerator retinanet();

private:
    std::vector<torch::Tensor> cell_anchors_;
    std::vector<std::vector<double>> sizes_, ratios_;
};

}  // namespace spool::detection
