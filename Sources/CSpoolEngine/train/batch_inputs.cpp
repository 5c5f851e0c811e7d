// batch_inputs.cpp — a batch as the model's input tensors, by task (batch_inputs.h).
#include "train/batch_inputs.h"

#include "data/polygons.h"

#include <stdexcept>
#include <string>

namespace spool {

ModelInput to_model_input(const Batch& batch, const Dataset& dataset, torch::Device device) {
    ModelInput in;
    const int64_t n = batch.size;
    in.images = torch::from_blob(const_cast<float*>(batch.images.data()), {n, 3, batch.height, batch.width})
                    .to(device, /*non_blocking=*/false, /*copy=*/true);
    for (int64_t k = 0; k < n; ++k) in.sizes.push_back({batch.heights[k], batch.widths[k]});
    const Task task = static_cast<Task>(dataset.task);
    if (is_classification(task)) {
        auto targets = torch::from_blob(const_cast<float*>(batch.class_targets.data()), {n, batch.target_width}).clone();
        in.class_targets = (task == Task::multiclass ? targets.reshape({-1}).to(torch::kLong) : targets).to(device);
        return in;
    }
    for (const auto& e : batch.examples) {
        ImageTargets t;
        const int64_t count = static_cast<int64_t>(e.labels.size());
        t.boxes = torch::from_blob(const_cast<float*>(e.boxes.data()), {count, 4}).clone().to(device);
        // Detectors count classes from 1: 0 is the background.
        t.labels = (torch::from_blob(const_cast<int64_t*>(e.labels.data()), {count}, torch::kLong).clone() + 1).to(device);
        t.crowd = torch::from_blob(const_cast<uint8_t*>(e.crowd.data()), {count}, torch::kUInt8).clone().to(torch::kBool).to(device);
        if (task == Task::segmentation) {
            // Each object's polygons rasterised at the image's size (the batch's padding is not the image's).
            auto masks = torch::zeros({count, e.height, e.width}, torch::kUInt8);
            for (int64_t k = 0; k < count; ++k) {
                if (static_cast<size_t>(k) >= e.polygons.size() || e.polygons[k].empty())
                    throw std::invalid_argument("an object of a segmentation batch has no polygon (image " +
                                                std::to_string(batch.indices[static_cast<size_t>(&e - batch.examples.data())]) + ")");
                rasterize_polygons(e.polygons[k], e.height, e.width, masks[k].data_ptr<uint8_t>());
            }
            t.masks = masks.to(device);
        }
        in.targets.push_back(std::move(t));
    }
    return in;
}

}  // namespace spool
