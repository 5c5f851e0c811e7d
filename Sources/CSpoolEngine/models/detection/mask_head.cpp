#include "models/detection/mask_head.h"

#include "models/detection/ops.h"

#include <torch/nn/functional/loss.h>
#include <torch/nn/functional/padding.h>
#include <torch/nn/functional/upsampling.h>
#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>

#include <algorithm>

namespace spool::detection {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

MaskHeadLayerImpl::MaskHeadLayerImpl(int64_t in_channels, int64_t out_channels) {
    conv = register_module("0", nn::Conv2d(nn::Conv2dOptions(in_channels, out_channels, 3).stride(1).padding(1)));
    nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
    nn::init::zeros_(conv->bias);
}

// In place, as torchvision's ReLU(inplace=True): the convolution's output is not kept beside its activation
// (at 128 RoIs an image the mask head's activations are ~50 MB a layer).
torch::Tensor MaskHeadLayerImpl::forward(const torch::Tensor& x) {
    auto y = conv(x);
    return y.relu_();
}

torch::nn::Sequential make_mask_head(int64_t in_channels, int64_t layers, int64_t channels) {
    nn::Sequential head;
    for (int64_t i = 0; i < layers; ++i) head->push_back(MaskHeadLayer(i == 0 ? in_channels : channels, channels));
    return head;
}

MaskRCNNPredictorImpl::MaskRCNNPredictorImpl(int64_t in_channels, int64_t dim_reduced, int64_t num_classes) {
    conv5_mask = register_module("conv5_mask", nn::ConvTranspose2d(nn::ConvTranspose2dOptions(in_channels, dim_reduced, 2).stride(2)));
    mask_fcn_logits = register_module("mask_fcn_logits", nn::Conv2d(nn::Conv2dOptions(dim_reduced, num_classes, 1)));
    // torchvision initialises the weights only; the biases keep their layers' default draws.
    nn::init::kaiming_normal_(conv5_mask->weight, 0.0, torch::kFanOut, torch::kReLU);
    nn::init::kaiming_normal_(mask_fcn_logits->weight, 0.0, torch::kFanOut, torch::kReLU);
}

torch::Tensor MaskRCNNPredictorImpl::forward(const torch::Tensor& x) {
    auto y = conv5_mask(x);
    return mask_fcn_logits(y.relu_());
}

torch::Tensor project_masks_on_boxes(const torch::Tensor& masks, const torch::Tensor& boxes, const torch::Tensor& matched_idxs,
                                     int64_t M) {
    auto rois = torch::cat({matched_idxs.to(boxes.dtype()).unsqueeze(1), boxes}, 1);
    return roi_align(masks.unsqueeze(1).to(rois.dtype()), rois, 1.0, M, M, 0, false).select(1, 0);
}

torch::Tensor maskrcnn_loss(const torch::Tensor& mask_logits, const std::vector<torch::Tensor>& proposals,
                            const std::vector<torch::Tensor>& gt_masks, const std::vector<torch::Tensor>& gt_labels,
                            const std::vector<torch::Tensor>& matched_idxs) {
    const int64_t M = mask_logits.size(-1);
    std::vector<torch::Tensor> labels, targets;
    for (size_t i = 0; i < proposals.size(); ++i) {
        labels.push_back(gt_labels[i].index({matched_idxs[i]}));
        if (proposals[i].size(0) == 0) {
            targets.push_back(torch::zeros({0, M, M}, mask_logits.options()));
            continue;
        }
        targets.push_back(project_masks_on_boxes(gt_masks[i], proposals[i], matched_idxs[i], M));
    }
    auto label = torch::cat(labels).to(torch::kLong);
    auto target = torch::cat(targets);
    if (target.numel() == 0) return mask_logits.sum() * 0;
    auto rows = torch::arange(label.size(0), label.options());
    return F::binary_cross_entropy_with_logits(mask_logits.index({rows, label}), target);
}

namespace {

torch::Tensor paste_one(const torch::Tensor& mask, const int64_t* box, int64_t height, int64_t width) {
    const int64_t w = std::max<int64_t>(box[2] - box[0] + 1, 1), h = std::max<int64_t>(box[3] - box[1] + 1, 1);
    auto resized = F::interpolate(mask.expand({1, 1, -1, -1}), F::InterpolateFuncOptions()
                                                                    .size(std::vector<int64_t>{h, w})
                                                                    .mode(torch::kBilinear)
                                                                    .align_corners(false))[0][0];
    auto image = torch::zeros({height, width}, mask.options());
    const int64_t x0 = std::max<int64_t>(box[0], 0), x1 = std::min<int64_t>(box[2] + 1, width);
    const int64_t y0 = std::max<int64_t>(box[1], 0), y1 = std::min<int64_t>(box[3] + 1, height);
    if (x1 <= x0 || y1 <= y0) return image;
    image.slice(0, y0, y1).slice(1, x0, x1).copy_(resized.slice(0, y0 - box[1], y1 - box[1]).slice(1, x0 - box[0], x1 - box[0]));
    return image;
}

}  // namespace

torch::Tensor paste_masks_in_image(const torch::Tensor& masks, const torch::Tensor& boxes, std::array<int64_t, 2> size) {
    const int64_t n = masks.size(0);
    if (n == 0) return torch::zeros({0, 1, size[0], size[1]}, masks.options());
    // expand_masks(padding 1) and expand_boxes by (M + 2) / M, then truncation to integers as torchvision's .to(int64).
    const int64_t M = masks.size(-1);
    const double scale = static_cast<double>(M + 2) / static_cast<double>(M);
    auto padded = F::pad(masks, F::PadFuncOptions({1, 1, 1, 1}));
    auto b = boxes.unbind(1);
    auto w_half = (b[2] - b[0]) * 0.5 * scale, h_half = (b[3] - b[1]) * 0.5 * scale;
    auto x_c = (b[2] + b[0]) * 0.5, y_c = (b[3] + b[1]) * 0.5;
    auto expanded = torch::stack({x_c - w_half, y_c - h_half, x_c + w_half, y_c + h_half}, 1).to(torch::kLong).contiguous().cpu();
    std::vector<torch::Tensor> pasted;
    pasted.reserve(static_cast<size_t>(n));
    const int64_t* data = expanded.data_ptr<int64_t>();
    for (int64_t i = 0; i < n; ++i) pasted.push_back(paste_one(padded[i][0], data + 4 * i, size[0], size[1]));
    return torch::stack(pasted).unsqueeze(1);
}

}  // namespace spool::detection
