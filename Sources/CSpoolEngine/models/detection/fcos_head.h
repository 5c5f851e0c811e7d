// fcos_head.h — torchvision's FCOSHead (`head.classification_head`, `head.regression_head`): two towers of four
// 3x3 convolutions with GroupNorm(32) and ReLU over every FPN level; the classification head's logits (one
// point per location, the prior-probability bias), the regression head's box distances (ReLU) and centerness
// logit. Its losses: sigmoid focal loss, GIoU on the decoded boxes, binary cross-entropy on centerness, each
// summed over the batch and divided by its foreground points.
#pragma once

#include "models/detection/box_linear_coder.h"
#include "models/detection/dense_head.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

#include <string>
#include <utility>
#include <vector>

namespace spool::detection {

class FCOSClassificationHeadImpl : public torch::nn::Module {
public:
    FCOSClassificationHeadImpl(int64_t channels, int64_t anchors, int64_t classes, double prior_probability = 0.01);
    /// N x (sum of H x W x A) x classes.
    torch::Tensor forward(const std::vector<torch::Tensor>& features);

    torch::nn::Sequential conv{nullptr};
    torch::nn::Conv2d cls_logits{nullptr};

private:
    int64_t num_classes_;
};
TORCH_MODULE(FCOSClassificationHead);

class FCOSRegressionHeadImpl : public torch::nn::Module {
public:
    FCOSRegressionHeadImpl(int64_t channels, int64_t anchors);
    /// N x points x 4 distances (>= 0), N x points x 1 centerness logits.
    std::pair<torch::Tensor, torch::Tensor> forward(const std::vector<torch::Tensor>& features);

    torch::nn::Sequential conv{nullptr};
    torch::nn::Conv2d bbox_reg{nullptr}, bbox_ctrness{nullptr};
};
TORCH_MODULE(FCOSRegressionHead);

/// The head's outputs (`bbox_ctrness` set), points of every level concatenated, finest first.
using FCOSHeadOutputs = DenseHeadOutputs;

class FCOSHeadImpl : public torch::nn::Module {
public:
    FCOSHeadImpl(int64_t channels, int64_t anchors, int64_t classes);
    FCOSHeadOutputs forward(const std::vector<torch::Tensor>& features);

    /// "classification", "bbox_regression", "bbox_ctrness", from each image's points matched to its objects
    /// (`anchors`: the points' squares, P x 4).
    NamedLosses compute_loss(const FCOSHeadOutputs& out, const torch::Tensor& anchors,
                             const std::vector<MatchedImage>& images) const;

    FCOSClassificationHead classification_head{nullptr};
    FCOSRegressionHead regression_head{nullptr};

private:
    BoxLinearCoder coder_;
};
TORCH_MODULE(FCOSHead);

}  // namespace spool::detection
