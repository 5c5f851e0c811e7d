// mask_head.h — torchvision's mask branch of Mask R-CNN (`roi_heads.mask_head.{0..3}.0`,
// `roi_heads.mask_predictor.conv5_mask/mask_fcn_logits`): four 3x3 convolutions over 14x14 RoIAlign features,
// a stride-2 transposed convolution and one 28x28 logit map per class; the loss on each positive proposal's
// matched class against its object's mask projected onto the proposal; and the pasting of a 28x28 mask back
// into the image at inference.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

#include <array>
#include <vector>

namespace spool::detection {

/// One of MaskRCNNHeads' layers: Conv2dNormActivation without a norm (a 3x3 convolution named `0`, then ReLU).
class MaskHeadLayerImpl : public torch::nn::Module {
public:
    MaskHeadLayerImpl(int64_t in_channels, int64_t out_channels);
    torch::Tensor forward(const torch::Tensor& x);
    torch::nn::Conv2d conv{nullptr};
};
TORCH_MODULE(MaskHeadLayer);

/// MaskRCNNHeads: `layers` 3x3 convolutions with ReLU, named `{i}.0`.
torch::nn::Sequential make_mask_head(int64_t in_channels, int64_t layers = 4, int64_t channels = 256);

class MaskRCNNPredictorImpl : public torch::nn::Module {
public:
    MaskRCNNPredictorImpl(int64_t in_channels, int64_t dim_reduced, int64_t num_classes);
    torch::Tensor forward(const torch::Tensor& x);
    torch::nn::ConvTranspose2d conv5_mask{nullptr};
    torch::nn::Conv2d mask_fcn_logits{nullptr};
};
TORCH_MODULE(MaskRCNNPredictor);

/// project_masks_on_boxes: each object's mask (N x H x W) cropped to its matched proposal and resized to M x M
/// by RoIAlign (sampling ratio 0 as torchvision's default, not aligned).
torch::Tensor project_masks_on_boxes(const torch::Tensor& masks, const torch::Tensor& boxes, const torch::Tensor& matched_idxs,
                                     int64_t M);

/// maskrcnn_loss: binary cross-entropy of each positive proposal's logits for its object's class against the
/// projected mask; zero (with a gradient path) when there are no positives.
torch::Tensor maskrcnn_loss(const torch::Tensor& mask_logits, const std::vector<torch::Tensor>& proposals,
                            const std::vector<torch::Tensor>& gt_masks, const std::vector<torch::Tensor>& gt_labels,
                            const std::vector<torch::Tensor>& matched_idxs);

/// paste_masks_in_image: each M x M probability map (n x 1 x M x M) padded by one pixel, its box widened alike,
/// resized bilinearly to the box and written into an image of `size` (height, width) of zeros: n x 1 x H x W.
torch::Tensor paste_masks_in_image(const torch::Tensor& masks, const torch::Tensor& boxes, std::array<int64_t, 2> size);

}  // namespace spool::detection
