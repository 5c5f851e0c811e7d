#include "models/detection/rpn.h"

#include "models/detection/ops.h"
#include "models/layers/conv_norm_activation.h"

#include <torch/nn/functional/loss.h>
#include <torch/nn/init.h>

namespace spool::detection {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

RPNHeadImpl::RPNHeadImpl(int64_t in_channels, int64_t num_anchors) {
    // conv.0.0: torchvision's Conv2dNormActivation (3x3 conv with bias, then ReLU) inside a Sequential.
    nn::Sequential outer;
    outer->push_back(ConvActivation(in_channels, in_channels, 3, true));
    conv = register_module("conv", outer);
    cls_logits = register_module("cls_logits", nn::Conv2d(nn::Conv2dOptions(in_channels, num_anchors, 1)));
    bbox_pred = register_module("bbox_pred", nn::Conv2d(nn::Conv2dOptions(in_channels, num_anchors * 4, 1)));
    torch::NoGradGuard no_grad;
    for (auto& m : modules(false)) {
        if (auto* c = m->as<nn::Conv2d>()) {
            nn::init::normal_(c->weight, 0, 0.01);
            nn::init::constant_(c->bias, 0);
        }
    }
}

std::pair<std::vector<torch::Tensor>, std::vector<torch::Tensor>> RPNHeadImpl::forward(const std::vector<torch::Tensor>& features) {
    std::vector<torch::Tensor> logits, deltas;
    for (const auto& f : features) {
        auto t = conv->forward(f);
        logits.push_back(cls_logits(t));
        deltas.push_back(bbox_pred(t));
    }
    return {logits, deltas};
}

namespace {
torch::Tensor permute_and_flatten(const torch::Tensor& layer, int64_t n, int64_t a, int64_t c, int64_t h, int64_t w) {
    return layer.view({n, -1, c, h, w}).permute({0, 3, 4, 1, 2}).reshape({n, -1, c});
}
}  // namespace

std::pair<torch::Tensor, torch::Tensor> concat_box_prediction_layers(const std::vector<torch::Tensor>& cls,
                                                                     const std::vector<torch::Tensor>& reg) {
    std::vector<torch::Tensor> c_flat, r_flat;
    for (size_t i = 0; i < cls.size(); ++i) {
        const int64_t n = cls[i].size(0), axc = cls[i].size(1), h = cls[i].size(2), w = cls[i].size(3);
        const int64_t a = reg[i].size(1) / 4, c = axc / a;
        c_flat.push_back(permute_and_flatten(cls[i], n, a, c, h, w));
        r_flat.push_back(permute_and_flatten(reg[i], n, a, 4, h, w));
    }
    return {torch::cat(c_flat, 1).flatten(0, -2), torch::cat(r_flat, 1).reshape({-1, 4})};
}

MatchTargets split_crowd(const ImageTargets& t) {
    MatchTargets m;
    if (!t.boxes.defined() || t.boxes.numel() == 0) {
        m.boxes = torch::zeros({0, 4});
        m.labels = torch::zeros({0}, torch::kLong);
        m.crowd_boxes = torch::zeros({0, 4});
        if (t.boxes.defined()) {
            m.boxes = m.boxes.to(t.boxes.options());
            m.crowd_boxes = m.crowd_boxes.to(t.boxes.options());
        }
        return m;
    }
    if (!t.crowd.defined() || !t.crowd.any().item<bool>()) {
        m.boxes = t.boxes;
        m.labels = t.labels;
        m.masks = t.masks;
        m.crowd_boxes = torch::zeros({0, 4}, t.boxes.options());
        return m;
    }
    auto keep = t.crowd.logical_not();
    m.boxes = t.boxes.index({keep});
    m.labels = t.labels.index({keep});
    if (t.masks.defined()) m.masks = t.masks.index({keep});
    m.crowd_boxes = t.boxes.index({t.crowd});
    return m;
}

void ignore_crowd_overlaps(torch::Tensor& labels, const torch::Tensor& predictions, const torch::Tensor& crowd_boxes,
                           double ignore_value) {
    if (crowd_boxes.numel() == 0 || predictions.numel() == 0) return;
    auto ioa = std::get<0>(box_ioa(crowd_boxes, predictions).max(0));
    labels.masked_fill_((ioa >= 0.5) & (labels == 0), ignore_value);
}

RegionProposalNetworkImpl::RegionProposalNetworkImpl(int64_t in_channels, RPNConfig config, AnchorGenerator anchors)
    : config_(config), anchors_(std::move(anchors)) {
    head = register_module("head", RPNHead(in_channels, anchors_.num_anchors_per_location()));
}

std::vector<torch::Tensor> RegionProposalNetworkImpl::forward(std::array<int64_t, 2> batch_size,
                                                              const std::vector<std::array<int64_t, 2>>& sizes,
                                                              const std::vector<torch::Tensor>& features,
                                                              const std::vector<ImageTargets>* targets,
                                                              std::vector<std::pair<std::string, torch::Tensor>>* losses) {
    auto [objectness_levels, deltas_levels] = head->forward(features);
    auto anchors = anchors_(batch_size, features);
    const int64_t num_images = static_cast<int64_t>(sizes.size());
    std::vector<int64_t> per_level;
    for (const auto& o : objectness_levels) per_level.push_back(o.size(1) * o.size(2) * o.size(3));
    auto [objectness, deltas] = concat_box_prediction_layers(objectness_levels, deltas_levels);
    std::vector<torch::Tensor> anchor_list(static_cast<size_t>(num_images), anchors);
    auto proposals = coder_.decode(deltas.detach(), torch::cat(anchor_list)).view({num_images, -1, 4});

    // filter_proposals: top-N per level, clip, small boxes, score, NMS per level, post-NMS top-N.
    const bool training = is_training();
    const int64_t pre_n = training ? config_.pre_nms_top_n_train : config_.pre_nms_top_n_test;
    const int64_t post_n = training ? config_.post_nms_top_n_train : config_.post_nms_top_n_test;
    auto obj = objectness.detach().reshape({num_images, -1});
    std::vector<torch::Tensor> levels_v;
    for (size_t l = 0; l < per_level.size(); ++l)
        levels_v.push_back(torch::full({per_level[l]}, static_cast<int64_t>(l), torch::TensorOptions().dtype(torch::kLong).device(obj.device())));
    auto levels = torch::cat(levels_v).reshape({1, -1}).expand_as(obj);
    std::vector<torch::Tensor> top;
    int64_t offset = 0;
    for (auto& ob : obj.split_with_sizes(per_level, 1)) {
        const int64_t k = std::min(pre_n, ob.size(1));
        top.push_back(std::get<1>(ob.topk(k, 1)) + offset);
        offset += ob.size(1);
    }
    auto top_idx = torch::cat(top, 1);
    auto batch_idx = torch::arange(num_images, torch::TensorOptions().dtype(torch::kLong).device(obj.device())).unsqueeze(1);
    obj = obj.index({batch_idx, top_idx});
    levels = levels.index({batch_idx, top_idx});
    auto props = proposals.index({batch_idx, top_idx});
    auto probs = torch::sigmoid(obj);
    std::vector<torch::Tensor> final_boxes;
    for (int64_t i = 0; i < num_images; ++i) {
        auto boxes = clip_boxes_to_image(props[i], sizes[static_cast<size_t>(i)]);
        auto keep = remove_small_boxes(boxes, 1e-3);
        auto scores = probs[i].index({keep});
        auto lvl = levels[i].index({keep});
        boxes = boxes.index({keep});
        keep = torch::where(scores >= config_.score_thresh)[0];
        boxes = boxes.index({keep});
        scores = scores.index({keep});
        lvl = lvl.index({keep});
        keep = batched_nms(boxes, scores, lvl, config_.nms_thresh).slice(0, 0, post_n);
        final_boxes.push_back(boxes.index({keep}));
    }

    if (training && targets && losses) {
        Matcher matcher{config_.fg_iou_thresh, config_.bg_iou_thresh, true};
        std::vector<torch::Tensor> labels, matched_boxes;
        for (int64_t i = 0; i < num_images; ++i) {
            auto t = split_crowd((*targets)[static_cast<size_t>(i)]);
            torch::Tensor l, mb;
            if (t.boxes.numel() == 0) {
                mb = torch::zeros(anchors.sizes(), anchors.options());
                l = torch::zeros({anchors.size(0)}, anchors.options());
            } else {
                auto matched = matcher(box_iou(t.boxes, anchors));
                mb = t.boxes.index({matched.clamp_min(0)});
                l = (matched >= 0).to(torch::kFloat32);
                l.masked_fill_(matched == Matcher::kBelow, 0.0);
                l.masked_fill_(matched == Matcher::kBetween, -1.0);
            }
            ignore_crowd_overlaps(l, anchors, t.crowd_boxes, -1.0);
            labels.push_back(l);
            matched_boxes.push_back(mb);
        }
        auto regression_targets = coder_.encode(torch::cat(matched_boxes), torch::cat(anchor_list));
        auto [pos, neg] = sample_balanced(labels, config_.batch_size_per_image, config_.positive_fraction);
        auto pos_idx = torch::where(torch::cat(pos))[0];
        auto neg_idx = torch::where(torch::cat(neg))[0];
        auto sampled = torch::cat({pos_idx, neg_idx});
        auto flat_obj = objectness.flatten();
        auto all_labels = torch::cat(labels);
        auto box_loss = smooth_l1_sum(deltas.index({pos_idx}), regression_targets.index({pos_idx}), 1.0 / 9) /
                        static_cast<double>(sampled.numel());
        auto obj_loss = F::binary_cross_entropy_with_logits(flat_obj.index({sampled}), all_labels.index({sampled}));
        losses->emplace_back("loss_objectness", obj_loss);
        losses->emplace_back("loss_rpn_box_reg", box_loss);
    }
    return final_boxes;
}

}  // namespace spool::detection
