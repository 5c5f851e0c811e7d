#include "models/detection/transform.h"

#include <torch/nn/functional/upsampling.h>

#include <algorithm>
#include <cmath>

namespace spool::detection {

namespace F = torch::nn::functional;

torch::Tensor RCNNTransform::resize_boxes(const torch::Tensor& boxes, std::array<int64_t, 2> from, std::array<int64_t, 2> to) {
    // float32 ratios, as torchvision computes them.
    const float rh = static_cast<float>(to[0]) / static_cast<float>(from[0]);
    const float rw = static_cast<float>(to[1]) / static_cast<float>(from[1]);
    auto b = boxes.unbind(1);
    return torch::stack({b[0] * rw, b[1] * rh, b[2] * rw, b[3] * rh}, 1);
}

TransformedBatch RCNNTransform::operator()(const ModelInput& input, bool training) const {
    TransformedBatch out;
    std::vector<torch::Tensor> images;
    const auto opts = input.images.options();
    auto mean_t = torch::tensor({mean[0], mean[1], mean[2]}, opts).view({3, 1, 1});
    auto std_t = torch::tensor({std[0], std[1], std[2]}, opts).view({3, 1, 1});
    for (size_t i = 0; i < input.sizes.size(); ++i) {
        const auto [h, w] = input.sizes[i];
        out.original_sizes.push_back({h, w});
        auto image = input.images[static_cast<int64_t>(i)].narrow(1, 0, h).narrow(2, 0, w);
        image = (image - mean_t) / std_t;
        if (training) torch::empty({1}).uniform_(0.0, 1.0, GeneratorScope::current());  // torchvision's torch_choice(min_size)
        // Scale in float32 as torchvision's tensor arithmetic gives it: `160.0 / tensor` is computed by PyTorch as
        // reciprocal(tensor) * 160 (so 160/200 is 0.79999995, and the image 159 pixels high, not 160).
        const float min_side = static_cast<float>(std::min(h, w)), max_side = static_cast<float>(std::max(h, w));
        volatile float inv_min = 1.0f / min_side, inv_max = 1.0f / max_side;
        const float scale = std::min(inv_min * static_cast<float>(min_size), inv_max * static_cast<float>(max_size));
        image = F::interpolate(image.unsqueeze(0), F::InterpolateFuncOptions()
                                                       .scale_factor(std::vector<double>{scale, scale})
                                                       .mode(torch::kBilinear)
                                                       .align_corners(false)
                                                       .recompute_scale_factor(true))
                    .squeeze(0);
        const std::array<int64_t, 2> resized{image.size(1), image.size(2)};
        out.sizes.push_back(resized);
        if (i < input.targets.size()) {
            ImageTargets t = input.targets[i];
            if (t.boxes.numel() > 0) t.boxes = resize_boxes(t.boxes, {h, w}, resized);
            if (t.masks.defined()) {
                // torchvision resizes masks with the image's scale factor, nearest neighbour.
                t.masks = t.masks.size(0) == 0
                              ? torch::zeros({0, resized[0], resized[1]}, t.masks.options())
                              : F::interpolate(t.masks.unsqueeze(1).to(torch::kFloat),
                                               F::InterpolateFuncOptions()
                                                   .scale_factor(std::vector<double>{scale, scale})
                                                   .mode(torch::kNearest)
                                                   .recompute_scale_factor(true))
                                    .squeeze(1)
                                    .to(torch::kUInt8);
            }
            out.targets.push_back(t);
        }
        images.push_back(image);
    }
    int64_t mh = 0, mw = 0;
    for (const auto& img : images) {
        mh = std::max(mh, img.size(1));
        mw = std::max(mw, img.size(2));
    }
    const double stride = static_cast<double>(size_divisible);
    mh = static_cast<int64_t>(std::ceil(static_cast<double>(mh) / stride) * stride);
    mw = static_cast<int64_t>(std::ceil(static_cast<double>(mw) / stride) * stride);
    out.images = torch::zeros({static_cast<int64_t>(images.size()), 3, mh, mw}, opts);
    for (size_t i = 0; i < images.size(); ++i)
        out.images[static_cast<int64_t>(i)].narrow(1, 0, images[i].size(1)).narrow(2, 0, images[i].size(2)).copy_(images[i]);
    return out;
}

}  // namespace spool::detection
