#include "models/detection/roi_heads.h"

#include "models/detection/ops.h"
#include "models/detection/rpn.h"

#include <torch/nn/functional/loss.h>

#include <cmath>

namespace spool::detection {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

torch::Tensor multiscale_roi_align(const std::vector<torch::Tensor>& features, const std::vector<torch::Tensor>& boxes,
                                   const std::vector<std::array<int64_t, 2>>& image_sizes, int64_t output_size,
                                   int64_t sampling_ratio) {
    // Scales from the largest image (torchvision's _setup_scales): 2^round(log2(feature / image)).
    int64_t max_h = 0, max_w = 0;
    for (const auto& s : image_sizes) {
        max_h = std::max(max_h, s[0]);
        max_w = std::max(max_w, s[1]);
    }
    std::vector<double> scales;
    for (const auto& f : features) {
        const float approx = static_cast<float>(f.size(-2)) / static_cast<float>(max_h);
        scales.push_back(std::pow(2.0, static_cast<double>(std::round(std::log2(approx)))));
    }
    const int k_min = static_cast<int>(-std::log2(static_cast<float>(scales.front())));
    const int k_max = static_cast<int>(-std::log2(static_cast<float>(scales.back())));
    std::vector<torch::Tensor> rois_v;
    for (size_t i = 0; i < boxes.size(); ++i)
        rois_v.push_back(torch::cat({torch::full({boxes[i].size(0), 1}, static_cast<double>(i), boxes[i].options()), boxes[i]}, 1));
    auto rois = torch::cat(rois_v, 0);
    const int64_t channels = features[0].size(1);
    if (features.size() == 1)
        return roi_align(features[0], rois, scales[0], output_size, output_size, sampling_ratio, false);
    // LevelMapper: floor(4 + log2(sqrt(area) / 224) + 1e-6), clamped to the levels.
    auto all = torch::cat(boxes, 0);
    auto s = torch::sqrt((all.select(1, 2) - all.select(1, 0)) * (all.select(1, 3) - all.select(1, 1)));
    auto target = torch::floor(4 + torch::log2(s / 224) + torch::tensor(1e-6, s.options()));
    auto levels = (target.clamp(k_min, k_max).to(torch::kLong) - k_min).to(torch::kLong);
    auto result = torch::zeros({rois.size(0), channels, output_size, output_size}, features[0].options());
    for (size_t level = 0; level < features.size(); ++level) {
        auto idx = torch::where(levels == static_cast<int64_t>(level))[0];
        auto pooled = roi_align(features[level], rois.index({idx}), scales[level], output_size, output_size, sampling_ratio, false);
        result.index_put_({idx}, pooled.to(result.dtype()));
    }
    return result;
}

TwoMLPHeadImpl::TwoMLPHeadImpl(int64_t in_channels, int64_t representation) {
    fc6 = register_module("fc6", nn::Linear(in_channels, representation));
    fc7 = register_module("fc7", nn::Linear(representation, representation));
}

torch::Tensor TwoMLPHeadImpl::forward(const torch::Tensor& x) {
    return torch::relu(fc7(torch::relu(fc6(x.flatten(1)))));
}

FastRCNNPredictorImpl::FastRCNNPredictorImpl(int64_t in_channels, int64_t num_classes) {
    cls_score = register_module("cls_score", nn::Linear(in_channels, num_classes));
    bbox_pred = register_module("bbox_pred", nn::Linear(in_channels, num_classes * 4));
}

std::pair<torch::Tensor, torch::Tensor> FastRCNNPredictorImpl::forward(const torch::Tensor& x) {
    auto flat = x.flatten(1);
    return {cls_score(flat), bbox_pred(flat)};
}

RoIHeadsImpl::RoIHeadsImpl(int64_t in_channels, int64_t num_classes, RoIConfig c) : config(c) {
    box_head = register_module("box_head", TwoMLPHead(in_channels * 7 * 7, 1024));
    box_predictor = register_module("box_predictor", FastRCNNPredictor(1024, num_classes));
    if (config.masks) {
        mask_head = register_module("mask_head", make_mask_head(in_channels));
        mask_predictor = register_module("mask_predictor", MaskRCNNPredictor(256, 256, num_classes));
    }
}

torch::Tensor RoIHeadsImpl::mask_logits(const std::vector<torch::Tensor>& features, const std::vector<torch::Tensor>& boxes,
                                        const std::vector<std::array<int64_t, 2>>& sizes) {
    std::vector<torch::Tensor> pooled_levels(features.begin(), features.begin() + config.pooled_levels);
    return mask_predictor(mask_head->forward(multiscale_roi_align(pooled_levels, boxes, sizes, 14, 2)));
}

SampledProposals RoIHeadsImpl::select_training_samples(std::vector<torch::Tensor> proposals,
                                                       const std::vector<ImageTargets>& targets) {
    SampledProposals out;
    Matcher matcher{config.fg_iou_thresh, config.bg_iou_thresh, false};
    std::vector<torch::Tensor> gt_boxes;
    std::vector<torch::Tensor> all_labels;
    for (size_t i = 0; i < proposals.size(); ++i) {
        auto t = split_crowd(targets[i]);
        auto gt = t.boxes.to(proposals[i].dtype());
        proposals[i] = torch::cat({proposals[i], gt});  // add_gt_proposals
        torch::Tensor matched, labels;
        if (gt.numel() == 0) {
            matched = torch::zeros({proposals[i].size(0)}, torch::TensorOptions().dtype(torch::kLong).device(gt.device()));
            labels = torch::zeros({proposals[i].size(0)}, torch::TensorOptions().dtype(torch::kLong).device(gt.device()));
        } else {
            auto m = matcher(box_iou(gt, proposals[i]));
            matched = m.clamp_min(0);
            labels = t.labels.index({matched}).to(torch::kLong);
            labels.masked_fill_(m == Matcher::kBelow, 0);
            labels.masked_fill_(m == Matcher::kBetween, -1);
        }
        ignore_crowd_overlaps(labels, proposals[i], t.crowd_boxes, -1);
        gt_boxes.push_back(gt);
        out.matched_idxs.push_back(matched);
        all_labels.push_back(labels);
    }
    auto [pos, neg] = sample_balanced(all_labels, config.batch_size_per_image, config.positive_fraction);
    std::vector<torch::Tensor> matched_gt;
    for (size_t i = 0; i < proposals.size(); ++i) {
        auto keep = torch::where(pos[i] | neg[i])[0];
        out.proposals.push_back(proposals[i].index({keep}));
        out.labels.push_back(all_labels[i].index({keep}));
        out.matched_idxs[i] = out.matched_idxs[i].index({keep});
        auto gt = gt_boxes[i].numel() == 0 ? torch::zeros({1, 4}, proposals[i].options()) : gt_boxes[i];
        matched_gt.push_back(gt.index({out.matched_idxs[i]}));
    }
    out.regression_targets = coder.encode(torch::cat(matched_gt), torch::cat(out.proposals));
    return out;
}

std::vector<ImageDetections> RoIHeadsImpl::forward(const std::vector<torch::Tensor>& features, std::vector<torch::Tensor> proposals,
                                                   const std::vector<std::array<int64_t, 2>>& sizes,
                                                   const std::vector<ImageTargets>* targets,
                                                   std::vector<std::pair<std::string, torch::Tensor>>* losses,
                                                   SampledProposals* sampled_out) {
    const bool training = is_training();
    SampledProposals sampled;
    if (training) {
        sampled = select_training_samples(proposals, *targets);
        proposals = sampled.proposals;
    }
    // Only P2..P5 are pooled (featmap_names 0..3); the max-pooled level is the RPN's alone.
    std::vector<torch::Tensor> pooled_levels(features.begin(), features.begin() + config.pooled_levels);
    auto box_features = box_head(multiscale_roi_align(pooled_levels, proposals, sizes, 7, 2));
    auto [class_logits, box_regression] = box_predictor(box_features);
    std::vector<ImageDetections> result;
    if (training) {
        auto labels = torch::cat(sampled.labels);
        auto classification = F::cross_entropy(class_logits, labels);
        auto pos = torch::where(labels > 0)[0];
        auto labels_pos = labels.index({pos});
        const int64_t n = class_logits.size(0);
        auto reg = box_regression.reshape({n, box_regression.size(-1) / 4, 4});
        auto box_loss = smooth_l1_sum(reg.index({pos, labels_pos}), sampled.regression_targets.index({pos}), 1.0 / 9) /
                        static_cast<double>(labels.numel());
        if (losses) {
            losses->emplace_back("loss_classifier", classification);
            losses->emplace_back("loss_box_reg", box_loss);
        }
        if (config.masks) {
            // The positive proposals, each with the object it matched (indices among the non-crowd objects).
            std::vector<torch::Tensor> mask_proposals, pos_matched, gt_masks, gt_labels;
            for (size_t i = 0; i < sampled.proposals.size(); ++i) {
                auto pos_i = torch::where(sampled.labels[i] > 0)[0];
                mask_proposals.push_back(sampled.proposals[i].index({pos_i}));
                pos_matched.push_back(sampled.matched_idxs[i].index({pos_i}));
                auto t = split_crowd((*targets)[i]);
                if (!t.masks.defined() && t.boxes.size(0) > 0)
                    throw std::invalid_argument("Mask R-CNN is trained with a mask for every object (the batch has none)");
                gt_masks.push_back(t.masks.defined() ? t.masks : torch::zeros({0, 1, 1}, torch::kUInt8));
                gt_labels.push_back(t.labels);
            }
            auto logits = mask_logits(features, mask_proposals, sizes);
            auto loss = maskrcnn_loss(logits, mask_proposals, gt_masks, gt_labels, pos_matched);
            if (losses) losses->emplace_back("loss_mask", loss);
        }
        if (sampled_out) *sampled_out = std::move(sampled);
        return result;
    }
    // postprocess_detections
    const int64_t num_classes = class_logits.size(-1);
    std::vector<int64_t> per_image;
    for (const auto& p : proposals) per_image.push_back(p.size(0));
    auto pred_boxes = coder.decode(box_regression, torch::cat(proposals)).reshape({-1, num_classes, 4});
    auto pred_scores = torch::softmax(class_logits, -1);
    auto boxes_list = pred_boxes.split_with_sizes(per_image, 0);
    auto scores_list = pred_scores.split_with_sizes(per_image, 0);
    for (size_t i = 0; i < proposals.size(); ++i) {
        auto boxes = clip_boxes_to_image(boxes_list[i], sizes[i]);
        auto scores = scores_list[i];
        auto labels = torch::arange(num_classes, torch::TensorOptions().dtype(torch::kLong).device(scores.device()))
                          .view({1, -1}).expand_as(scores);
        boxes = boxes.slice(1, 1).reshape({-1, 4});
        scores = scores.slice(1, 1).reshape(-1);
        labels = labels.slice(1, 1).reshape(-1);
        auto inds = torch::where(scores > config.score_thresh)[0];
        boxes = boxes.index({inds});
        scores = scores.index({inds});
        labels = labels.index({inds});
        auto keep = remove_small_boxes(boxes, 0.01);
        boxes = boxes.index({keep});
        scores = scores.index({keep});
        labels = labels.index({keep});
        keep = batched_nms(boxes, scores, labels, config.nms_thresh).slice(0, 0, config.detections_per_img);
        result.push_back(ImageDetections{boxes.index({keep}), scores.index({keep}), labels.index({keep}), torch::Tensor()});
    }
    if (config.masks) {
        // maskrcnn_inference: each detection's probabilities for its own class, 1 x 28 x 28.
        std::vector<torch::Tensor> boxes;
        std::vector<int64_t> counts;
        for (const auto& d : result) {
            boxes.push_back(d.boxes);
            counts.push_back(d.boxes.size(0));
        }
        auto logits = mask_logits(features, boxes, sizes);
        std::vector<torch::Tensor> labels_v;
        for (const auto& d : result) labels_v.push_back(d.labels);
        auto labels = torch::cat(labels_v);
        auto rows = torch::arange(labels.size(0), labels.options());
        auto prob = logits.sigmoid().index({rows, labels}).unsqueeze(1).split_with_sizes(counts, 0);
        for (size_t i = 0; i < result.size(); ++i) result[i].masks = prob[i];
    }
    return result;
}

}  // namespace spool::detection
