#include "models/detection/fcos_head.h"

#include "models/detection/losses.h"

#include <torch/nn/functional/loss.h>
#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/normalization.h>

#include <algorithm>
#include <cmath>

namespace spool::detection {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

namespace {

/// Four blocks of a biased 3x3 convolution, GroupNorm(32) and ReLU (`conv.0`, `conv.1`, `conv.2`, `conv.3`, ...),
/// the convolutions drawn from N(0, 0.01) with zero bias.
nn::Sequential conv_tower(int64_t channels) {
    nn::Sequential tower;
    for (int i = 0; i < 4; ++i) {
        nn::Conv2d conv(nn::Conv2dOptions(channels, channels, 3).padding(1));
        {
            torch::NoGradGuard no_grad;
            nn::init::normal_(conv->weight, 0, 0.01);
            nn::init::zeros_(conv->bias);
        }
        tower->push_back(conv);
        tower->push_back(nn::GroupNorm(nn::GroupNormOptions(32, channels)));
        tower->push_back(nn::ReLU());
    }
    return tower;
}

}  // namespace

FCOSClassificationHeadImpl::FCOSClassificationHeadImpl(int64_t channels, int64_t anchors, int64_t classes,
                                                       double prior_probability)
    : num_classes_(classes) {
    conv = register_module("conv", conv_tower(channels));
    cls_logits = register_module("cls_logits", nn::Conv2d(nn::Conv2dOptions(channels, anchors * classes, 3).padding(1)));
    torch::NoGradGuard no_grad;
    nn::init::normal_(cls_logits->weight, 0, 0.01);
    nn::init::constant_(cls_logits->bias, -std::log((1 - prior_probability) / prior_probability));
}

torch::Tensor FCOSClassificationHeadImpl::forward(const std::vector<torch::Tensor>& features) {
    std::vector<torch::Tensor> all;
    for (const auto& f : features) all.push_back(flatten_level(cls_logits(conv->forward(f)), num_classes_));
    return torch::cat(all, 1);
}

FCOSRegressionHeadImpl::FCOSRegressionHeadImpl(int64_t channels, int64_t anchors) {
    conv = register_module("conv", conv_tower(channels));
    bbox_reg = register_module("bbox_reg", nn::Conv2d(nn::Conv2dOptions(channels, anchors * 4, 3).padding(1)));
    bbox_ctrness = register_module("bbox_ctrness", nn::Conv2d(nn::Conv2dOptions(channels, anchors, 3).padding(1)));
    torch::NoGradGuard no_grad;
    for (auto* layer : {&bbox_reg, &bbox_ctrness}) {
        nn::init::normal_((*layer)->weight, 0, 0.01);
        nn::init::zeros_((*layer)->bias);
    }
}

std::pair<torch::Tensor, torch::Tensor> FCOSRegressionHeadImpl::forward(const std::vector<torch::Tensor>& features) {
    std::vector<torch::Tensor> boxes, centerness;
    for (const auto& f : features) {
        auto x = conv->forward(f);
        boxes.push_back(flatten_level(torch::relu(bbox_reg(x)), 4));
        centerness.push_back(flatten_level(bbox_ctrness(x), 1));
    }
    return {torch::cat(boxes, 1), torch::cat(centerness, 1)};
}

FCOSHeadImpl::FCOSHeadImpl(int64_t channels, int64_t anchors, int64_t classes) {
    classification_head = register_module("classification_head", FCOSClassificationHead(channels, anchors, classes));
    regression_head = register_module("regression_head", FCOSRegressionHead(channels, anchors));
}

FCOSHeadOutputs FCOSHeadImpl::forward(const std::vector<torch::Tensor>& features) {
    FCOSHeadOutputs out;
    out.cls_logits = classification_head->forward(features);
    std::tie(out.bbox_regression, out.bbox_ctrness) = regression_head->forward(features);
    return out;
}

NamedLosses FCOSHeadImpl::compute_loss(const FCOSHeadOutputs& out, const torch::Tensor& anchors,
                                       const std::vector<MatchedImage>& images) const {
    const int64_t points = anchors.size(0);
    std::vector<torch::Tensor> class_targets, box_targets, counted;
    for (const auto& image : images) {
        auto index = image.matched.clamp_min(0);
        torch::Tensor c, b;
        if (image.boxes.size(0) == 0) {
            c = torch::zeros({points}, image.matched.options());
            b = torch::zeros({points, 4}, anchors.options());
        } else {
            c = image.classes.index({index});
            b = image.boxes.index({index});
        }
        class_targets.push_back(c.masked_fill(image.matched < 0, -1));
        box_targets.push_back(b);
        counted.push_back(image.counted);
    }
    auto gt_classes = torch::stack(class_targets);  // N x P
    auto gt_boxes = torch::stack(box_targets);      // N x P x 4
    auto foreground = gt_classes >= 0;
    const double normaliser = static_cast<double>(std::max<int64_t>(1, foreground.sum().item<int64_t>()));

    // Classification: one-hot targets of the foreground points, focal loss over every counted point.
    auto one_hot = torch::zeros_like(out.cls_logits);
    auto fg = torch::nonzero(foreground);  // F x 2: image, point
    auto fg_image = fg.select(1, 0), fg_point = fg.select(1, 1);
    one_hot.index_put_({fg_image, fg_point, gt_classes.index({fg_image, fg_point})}, 1.0);
    auto valid = torch::stack(counted);
    auto loss_cls = valid.all().item<bool>() ? sigmoid_focal_loss(out.cls_logits, one_hot)
                                             : sigmoid_focal_loss(out.cls_logits.index({valid}), one_hot.index({valid}));

    // Boxes: GIoU of the decoded foreground predictions with their objects.
    auto fg_anchors = anchors.index({fg_point});
    auto fg_boxes = gt_boxes.index({fg_image, fg_point});
    auto predicted = coder_.decode(out.bbox_regression.index({fg_image, fg_point}), fg_anchors);
    auto loss_box = generalized_box_iou_loss(predicted, fg_boxes);

    // Centerness: how central each foreground point sits in its object, sqrt(min/max of l, r x min/max of t, b).
    auto distances = coder_.encode(fg_anchors, fg_boxes);
    auto left_right = torch::stack({distances.select(1, 0), distances.select(1, 2)}, 1);
    auto top_bottom = torch::stack({distances.select(1, 1), distances.select(1, 3)}, 1);
    auto ratio = [](const torch::Tensor& pair) { return std::get<0>(pair.min(-1)) / std::get<0>(pair.max(-1)); };
    auto centerness = torch::sqrt(ratio(left_right) * ratio(top_bottom));
    auto predicted_centerness = out.bbox_ctrness.squeeze(2).index({fg_image, fg_point});
    auto loss_ctr = F::binary_cross_entropy_with_logits(predicted_centerness, centerness,
                                                        F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kSum));
    return {{"classification", loss_cls / normaliser},
            {"bbox_regression", loss_box / normaliser},
            {"bbox_ctrness", loss_ctr / normaliser}};
}

}  // namespace spool::detection
