// retinanet.cpp — torchvision's RetinaNet (`head.classification_head`, `head.regression_head`).
#include "models/detection/faster_rcnn.h"
#include "models/detection/losses.h"
#include "models/detection/ops.h"
#include "models/layers/conv_norm_activation.h"

#include <torch/nn/functional/loss.h>
#include <torch/nn/init.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>

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

torch::Tensor flatten_level(const torch::Tensor& x, int64_t c) {
    const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
    return x.view({n, -1, c, h, w}).permute({0, 3, 4, 1, 2}).reshape({n, -1, c});
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

class RetinaNetImpl : public Model {
public:
    RetinaNetImpl(int depth, const ModelConfig& config) : task_(config.task), config_(config) {
        const int64_t trainable = config.trainable_backbone_layers < 0 ? 5 : config.trainable_backbone_layers;
        backbone = register_module("backbone", BackboneWithFPN(depth, config.frozen_batch_norm, trainable, 2, ExtraBlock::p6p7));
        // RetinaNet's classes have no background: the job's classes, labels 1..C shifted to 0..C-1.
        head = register_module("head", RetinaNetHead(256, anchors_.num_anchors_per_location(), config.num_classes));
        transform_.min_size = config.min_size;
        transform_.max_size = config.max_size;
        record_frozen_by_design();
    }

    Task task() const override { return task_; }
    std::vector<std::string> head_prefixes() const override { return {"head.classification_head.cls_logits."}; }
    std::vector<std::vector<std::string>> layer_groups() const override {
        return {{"backbone.body.conv1.", "backbone.body.bn1."}, {"backbone.body.layer1."}, {"backbone.body.layer2."},
                {"backbone.body.layer3."}, {"backbone.body.layer4."}};
    }
    std::string backbone_prefix() const override { return "backbone.body."; }

    /// torchvision's RetinaNet files have a background slot: class 0 of each anchor's num_classes + 1 outputs,
    /// never a target. A file with that one more output per anchor loads with the slot dropped; the other
    /// classes' sigmoid scores do not depend on it.
    void adapt_reference_state(std::map<std::string, torch::Tensor>& file) const override {
        const int64_t anchors = anchors_.num_anchors_per_location(), classes = config_.num_classes;
        for (const std::string name : {"head.classification_head.cls_logits.weight", "head.classification_head.cls_logits.bias"}) {
            auto it = file.find(name);
            if (it == file.end() || it->second.dim() == 0 || it->second.size(0) != anchors * (classes + 1)) continue;
            auto t = it->second;
            auto per_anchor = t.reshape({anchors, classes + 1, -1}).slice(1, 1);
            auto sizes = t.sizes().vec();
            sizes[0] = anchors * classes;
            it->second = per_anchor.reshape(sizes).contiguous();
        }
    }

    ModelOutput run(const ModelInput& input) override {
        const bool training = is_training();
        auto batch = transform_(input, training);
        auto features = backbone->forward(batch.images);
        auto cls = head->classification_head->forward(features);
        auto reg = head->regression_head->forward(features);
        auto anchors = anchors_({batch.images.size(2), batch.images.size(3)}, features);
        ModelOutput out;
        if (training) {
            Matcher matcher{0.5, 0.4, true};
            std::vector<torch::Tensor> cls_losses, reg_losses;
            for (size_t i = 0; i < batch.targets.size(); ++i) {
                auto t = split_crowd(batch.targets[i]);
                torch::Tensor matched;
                if (t.boxes.numel() == 0) {
                    matched = torch::full({anchors.size(0)}, -1, torch::TensorOptions().dtype(torch::kLong).device(anchors.device()));
                } else {
                    matched = matcher(box_iou(t.boxes, anchors));
                }
                if (t.crowd_boxes.numel() > 0) {
                    auto ioa = std::get<0>(box_ioa(t.crowd_boxes, anchors).max(0));
                    matched.masked_fill_((ioa >= 0.5) & (matched < 0), Matcher::kBetween);
                }
                const int64_t img = static_cast<int64_t>(i);
                auto foreground = matched >= 0;
                auto num_fg = foreground.sum();
                auto target = torch::zeros_like(cls[img]);
                if (t.boxes.numel() > 0) {
                    auto fg_idx = torch::where(foreground)[0];
                    auto classes = t.labels.index({matched.index({fg_idx})}) - 1;
                    target.index_put_({fg_idx, classes}, 1.0);
                }
                auto valid = matched != Matcher::kBetween;
                cls_losses.push_back(sigmoid_focal_loss(cls[img].index({valid}), target.index({valid})) /
                                     torch::clamp_min(num_fg, 1).to(cls.dtype()));
                auto fg_idx = torch::where(foreground)[0];
                const int64_t n_fg = fg_idx.numel();
                torch::Tensor box_loss;
                if (n_fg > 0) {
                    auto matched_boxes = t.boxes.index({matched.index({fg_idx})});
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
            const double n = static_cast<double>(std::max<size_t>(1, batch.targets.size()));
            out.losses.emplace_back("classification", sum(cls_losses) / n);
            out.losses.emplace_back("bbox_regression", sum(reg_losses) / n);
            return out;
        }
        // postprocess_detections, per level.
        std::vector<int64_t> per_level;
        for (const auto& f : features) per_level.push_back(f.size(2) * f.size(3) * anchors_.num_anchors_per_location());
        for (int64_t img = 0; img < batch.images.size(0); ++img) {
            auto cls_levels = cls[img].split_with_sizes(per_level, 0);
            auto reg_levels = reg[img].split_with_sizes(per_level, 0);
            auto anchor_levels = anchors.split_with_sizes(per_level, 0);
            std::vector<torch::Tensor> boxes_all, scores_all, labels_all;
            for (size_t l = 0; l < per_level.size(); ++l) {
                const int64_t num_classes = cls_levels[l].size(-1);
                auto scores = torch::sigmoid(cls_levels[l]).flatten();
                auto keep = scores > config_.box_score_thresh;
                scores = scores.index({keep});
                auto topk_idxs = torch::where(keep)[0];
                const int64_t k = std::min<int64_t>(1000, topk_idxs.size(0));
                auto top = scores.topk(k);
                scores = std::get<0>(top);
                topk_idxs = topk_idxs.index({std::get<1>(top)});
                auto anchor_idxs = torch::div(topk_idxs, num_classes, "floor");
                auto labels = topk_idxs % num_classes;
                auto boxes = coder_.decode(reg_levels[l].index({anchor_idxs}), anchor_levels[l].index({anchor_idxs}));
                boxes = clip_boxes_to_image(boxes, batch.sizes[static_cast<size_t>(img)]);
                boxes_all.push_back(boxes);
                scores_all.push_back(scores);
                labels_all.push_back(labels);
            }
            auto boxes = torch::cat(boxes_all), scores = torch::cat(scores_all), labels = torch::cat(labels_all);
            auto keep = batched_nms(boxes, scores, labels, config_.box_nms_thresh).slice(0, 0, config_.box_detections_per_img);
            auto kept = RCNNTransform::resize_boxes(boxes.index({keep}), batch.sizes[static_cast<size_t>(img)],
                                                    batch.original_sizes[static_cast<size_t>(img)]);
            // Labels from 1, as the R-CNN family's (0 is the background there).
            out.detections.push_back(ImageDetections{kept, scores.index({keep}), labels.index({keep}) + 1, torch::Tensor()});
        }
        return out;
    }

    BackboneWithFPN backbone{nullptr};
    RetinaNetHead head{nullptr};

private:
    Task task_;
    ModelConfig config_;
    RCNNTransform transform_;
    AnchorGenerator anchors_ = AnchorGenerator::retinanet();
    BoxCoder coder_;
};

std::shared_ptr<Model> make_retinanet(int depth, const ModelConfig& config) {
    return std::make_shared<RetinaNetImpl>(depth, config);
}

}  // namespace spool::detection
