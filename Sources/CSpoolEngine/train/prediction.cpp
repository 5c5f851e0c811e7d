// prediction.cpp — a model's predictions over a loader (prediction.h): the batches in evaluation mode, the mean
// evaluation loss where the model gives one, boxes moved from tiles to their whole image and each tiled image's
// views merged by per-class NMS, then boxes normalised to the image and masks handed to train/masks.cpp.
#include "train/prediction.h"

#include "models/detection/ops.h"
#include "train/batch_inputs.h"
#include "train/masks.h"

#include <limits>
#include <stdexcept>

namespace spool {

Prediction predict(Model& model, torch::Device device, Loader& loader) {
    torch::NoGradGuard no_grad;
    ModeGuard mode(model, /*train=*/false);
    Prediction p;
    p.task = model.task();
    p.num_classes = loader.dataset().num_classes;
    double loss_sum = 0;
    bool has_loss = false;
    struct View {
        int64_t source = -1;
        int width = 0, height = 0;
        torch::Tensor boxes, scores, labels;  // whole-image pixels; labels from 0
        torch::Tensor masks;                  // segmentation: n x 1 x M x M within the boxes
    };
    std::vector<View> views;
    while (const Batch* batch = loader.next()) {
        auto input = to_model_input(*batch, loader.dataset(), device);
        auto output = model.run(input);
        for (auto& [name, value] : output.losses) {
            loss_sum += value.item<double>() * static_cast<double>(batch->size);
            has_loss = true;
        }
        if (output.scores.defined()) {
            auto probs = output.scores.to(torch::kCPU, torch::kFloat32).contiguous();
            p.scores.insert(p.scores.end(), probs.data_ptr<float>(), probs.data_ptr<float>() + probs.numel());
        }
        for (size_t k = 0; k < output.detections.size(); ++k) {
            const auto& d = output.detections[k];
            // A tile's boxes move to the whole image's pixels; all are kept in pixels until views are merged.
            const bool tiled = !batch->full_widths.empty();
            View view;
            view.source = loader.dataset().samples[static_cast<size_t>(batch->indices[k])].source;
            view.width = tiled ? batch->full_widths[k] : batch->widths[k];
            view.height = tiled ? batch->full_heights[k] : batch->heights[k];
            auto offset = torch::tensor({static_cast<float>(tiled ? batch->offsets_x[k] : 0), static_cast<float>(tiled ? batch->offsets_y[k] : 0),
                                         static_cast<float>(tiled ? batch->offsets_x[k] : 0), static_cast<float>(tiled ? batch->offsets_y[k] : 0)});
            view.boxes = d.boxes.to(torch::kCPU, torch::kFloat32) + offset;
            view.scores = d.scores.to(torch::kCPU, torch::kFloat32);
            view.labels = d.labels.to(torch::kCPU, torch::kLong) - 1;
            if (d.masks.defined()) {
                if (loader.dataset().tile_nms_thresh > 0) throw std::invalid_argument("segmentation does not predict over tiles");
                view.masks = d.masks.to(torch::kCPU, torch::kFloat32);
            }
            views.push_back(std::move(view));
        }
        p.count += batch->size;
    }
    const auto& dataset = loader.dataset();
    if (dataset.tile_nms_thresh > 0) {
        // A tiled dataset: each image's views (the whole image, then its tiles) merged by per-class NMS.
        std::vector<std::vector<View>> by_image(static_cast<size_t>(dataset.source_count));
        for (auto& v : views) by_image.at(static_cast<size_t>(v.source)).push_back(std::move(v));
        views.clear();
        for (auto& group : by_image) {
            if (group.empty()) continue;
            View merged;
            merged.width = group[0].width;
            merged.height = group[0].height;
            std::vector<torch::Tensor> b, s, l;
            for (auto& v : group) b.push_back(v.boxes), s.push_back(v.scores), l.push_back(v.labels);
            merged.boxes = torch::cat(b);
            merged.scores = torch::cat(s);
            merged.labels = torch::cat(l);
            auto keep = batched_nms(merged.boxes, merged.scores, merged.labels, dataset.tile_nms_thresh)
                            .slice(0, 0, dataset.tile_max_detections);
            merged.boxes = merged.boxes.index({keep});
            merged.scores = merged.scores.index({keep});
            merged.labels = merged.labels.index({keep});
            views.push_back(std::move(merged));
        }
        p.count = static_cast<int64_t>(views.size());
    }
    for (auto& v : views) {
        Prediction::Detections out;
        out.width = v.width;
        out.height = v.height;
        auto scale = torch::tensor({1.0f / v.width, 1.0f / v.height, 1.0f / v.width, 1.0f / v.height});
        auto boxes = (v.boxes * scale).contiguous();
        out.boxes.assign(boxes.data_ptr<float>(), boxes.data_ptr<float>() + boxes.numel());
        auto scores = v.scores.contiguous();
        out.scores.assign(scores.data_ptr<float>(), scores.data_ptr<float>() + scores.numel());
        auto labels = v.labels.to(torch::kInt).contiguous();
        out.labels.assign(labels.data_ptr<int32_t>(), labels.data_ptr<int32_t>() + labels.numel());
        if (v.masks.defined()) add_mask_outputs(out, v.masks, v.boxes, model.mask_settings);
        p.detections.push_back(std::move(out));
    }
    p.mean_loss = has_loss && p.count > 0 ? loss_sum / static_cast<double>(p.count) : std::numeric_limits<double>::quiet_NaN();
    return p;
}

}  // namespace spool
