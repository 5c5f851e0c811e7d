// retinanet.cpp — torchvision's RetinaNet (`head.classification_head`, `head.regression_head`) on OneStageDetector:
// its head, IoU matching, focal and L1 losses and BoxCoder decoding.
#include "models/detection/box_ops.h"
#include "models/detection/faster_rcnn.h"
#include "models/detection/losses.h"
#include "models/detection/one_stage_detector.h"
#include "models/layers/conv_norm_activation.h"

#include <torch/nn/functional/loss.h>
#include <torch/nn/init.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

#include <algorithm>
#include <cmath>

namespace spool::detection {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

namespace {

/// Four Conv2dNormActivation blocks without norm (conv with bias, ReLU): `conv.N.0`.
nn::Sequential conv_tower(int64_t channels) {
    nn::Sequential tower;
    for (int i = 0; i < 4; ++i) tower->push_back(ConvActivation(channels, channels, 3, true));
    return tower;
}

}  // namespace

struct ClassificationHeadImpl : nn::Module {
    nn::Sequential conv{nullptr};
    nn::Conv2d cls_logits{nullptr};
    int64_t num_classes;
    ClassificationHeadImpl(int64_t channels, int64_t anchors, int64_t classes) : num_classes(classes) {
        conv = register_module("conv", conv_tower(channels));
        cls_logits = register_module("cls_logits", nn::Conv2d(nn::Conv2dOptions(channels, anchors * classes, 3).padding(1)));
        torch::NoGradGuard no_grad;
        for (auto& m : conv->modules(false))
            if (auto* c = m->as<nn::Conv2d>()) {
                nn::init::normal_(c->weight, 0, 0.01);
                nn::init::constant_(c->bias, 0);
            }
        nn::init::normal_(cls_logits->weight, 0, 0.01);
        nn::init::constant_(cls_logits->bias, -std::log((1 - 0.01) / 0.01));
    }
    torch::Tensor forward(const std::vector<torch::Tensor>& features) {
        std::vector<torch::Tensor> all;
        for (const auto& f : features) all.push_back(flatten_level(cls_logits(conv->forward(f)), num_classes));
        return torch::cat(all, 1);
    }
};
TORCH_MODULE(ClassificationHead);

struct RegressionHeadImpl : nn::Module {
    nn::Sequential conv{nullptr};
    nn::Conv2d bbox_reg{nullptr};
    RegressionHeadImpl(int64_t channels, int64_t anchors) {
        conv = register_module("conv", conv_tower(channels));
        bbox_reg = register_module("bbox_reg", nn::Conv2d(nn::Conv2dOptions(channels, anchors * 4, 3).padding(1)));
        torch::NoGradGuard no_grad;
        nn::init::normal_(bbox_reg->weight, 0, 0.01);
        nn::init::zeros_(bbox_reg->bias);
        for (auto& m : conv->modules(false))
            if (auto* c = m->as<nn::Conv2d>()) {
                nn::init::normal_(c->weight, 0, 0.01);
                nn::init::zeros_(c->bias);
            }
    }
    torch::Tensor forward(const std::vector<torch::Tensor>& features) {
        std::vector<torch::Tensor> all;
        for (const auto& f : features) all.push_back(flatten_level(bbox_reg(conv->forward(f)), 4));
        return torch::cat(all, 1);
    }
};
TORCH_MODULE(RegressionHead);

struct RetinaNetHeadImpl : nn::Module {
    ClassificationHead classification_head{nullptr};
    RegressionHead regression_head{nullptr};
    RetinaNetHeadImpl(int64_t channels, int64_t anchors, int64_t classes) {
        classification_head = register_module("classification_head", ClassificationHead(channels, anchors, classes));
        regression_head = register_module("regression_head", RegressionHead(channels, anchors));
    }
};
TORCH_MODULE(RetinaNetHead);

class RetinaNetImpl : public OneStageDetector {
public:
    RetinaNetImpl(int depth, const ModelConfig& config) : OneStageDetector(depth, config, AnchorGenerator::retinanet()) {
        // RetinaNet's classes have no background: the job's classes, labels 1..C shifted to 0..C-1.
        head = register_module("head", RetinaNetHead(256, anchors_per_location(), config.num_classes));
    }

    RetinaNetHead head{nullptr};

private:
    DenseHeadOutputs head_outputs(const std::vector<torch::Tensor>& features) override {
        DenseHeadOutputs out;
        out.cls_logits = head->classification_head->forward(features);
        out.bbox_regression = head->regression_head->forward(features);
        return out;
    }

    /// torchvision's Matcher at 0.5 / 0.4 IoU, keeping each object's best anchors.
    torch::Tensor match(const torch::Tensor& boxes, const torch::Tensor& anchors, const std::vector<int64_t>&) const override {
        return Matcher{0.5, 0.4, true}(box_iou(boxes, anchors));
    }

    /// Focal loss over the counted anchors and L1 on the foreground's encoded boxes, each per image divided by
    /// its foreground anchors, then averaged over the batch.
    NamedLosses losses(const DenseHeadOutputs& out, const torch::Tensor& anchors, const std::vector<MatchedImage>& images) override {
        const auto& cls = out.cls_logits;
        const auto& reg = out.bbox_regression;
        std::vector<torch::Tensor> cls_losses, reg_losses;
        for (size_t i = 0; i < images.size(); ++i) {
            const auto& m = images[i];
            const int64_t img = static_cast<int64_t>(i);
            auto foreground = m.matched >= 0;
            auto num_fg = foreground.sum();
            auto fg_idx = torch::where(foreground)[0];
            const int64_t n_fg = fg_idx.numel();
            auto target = torch::zeros_like(cls[img]);
            if (n_fg > 0) target.index_put_({fg_idx, m.classes.index({m.matched.index({fg_idx})})}, 1.0);
            cls_losses.push_back(sigmoid_focal_loss(cls[img].index({m.counted}), target.index({m.counted})) /
                                 torch::clamp_min(num_fg, 1).to(cls.dtype()));
            torch::Tensor box_loss;
            if (n_fg > 0) {
                auto matched_boxes = m.boxes.index({m.matched.index({fg_idx})});
                auto target_reg = coder_.encode(matched_boxes, anchors.index({fg_idx}));
                box_loss = F::l1_loss(reg[img].index({fg_idx}), target_reg, F::L1LossFuncOptions().reduction(torch::kSum));
            } else {
                box_loss = reg[img].sum() * 0;
            }
            reg_losses.push_back(box_loss / static_cast<double>(std::max<int64_t>(1, n_fg)));
        }
        auto sum = [](const std::vector<torch::Tensor>& v) {
            auto r = v[0];
            for (size_t k = 1; k < v.size(); ++k) r = r + v[k];
            return r;
        };
        const double n = static_cast<double>(std::max<size_t>(1, images.size()));
        return {{"classification", sum(cls_losses) / n}, {"bbox_regression", sum(reg_losses) / n}};
    }

    torch::Tensor decode(const torch::Tensor& codes, const torch::Tensor& anchors) const override {
        return coder_.decode(codes, anchors);
    }

    BoxCoder coder_;
};

std::shared_ptr<Model> make_retinanet(int depth, const ModelConfig& config) {
    return std::make_shared<RetinaNetImpl>(depth, config);
}

}  // namespace spool::detection
