// prediction.h — what a model predicts over one loader epoch: class probabilities, or each image's detections
// in the image's own coordinates, a tiled image's views (the whole image and its tiles) merged by per-class NMS,
// and a segmentation's masks with their polygons and RLE (train/masks.h).
#pragma once

#include "data/loader.h"
#include "models/model.h"

#include <cstdint>
#include <vector>

namespace spool {

/// What a model predicts over one loader epoch, in the loader's order.
struct Prediction {
    Task task = Task::multiclass;
    int64_t count = 0;
    int64_t num_classes = 0;
    std::vector<float> scores;  // classification: count x num_classes
    struct Detections {
        std::vector<float> boxes;     // n x 4, normalised to the image
        std::vector<float> scores;    // n
        std::vector<int32_t> labels;  // n, from 0
        int width = 0, height = 0;    // the image's size in pixels
        // Segmentation, per detection: its mask as the model gave it (mask_size x mask_size probabilities within
        // the box, pasted into the image on request: paste_masks_in_image with `pixel_boxes`), the pasted mask
        // above the model's pixel threshold as polygons (parts of x, y, ... normalised to the image) and as
        // COCO's uncompressed RLE (run lengths, column-major, starting with a run of zeros).
        int64_t mask_size = 0;
        std::vector<float> masks;       // n x mask_size x mask_size
        std::vector<float> pixel_boxes;  // n x 4, in pixels
        std::vector<std::vector<std::vector<float>>> polygons;
        std::vector<std::vector<uint32_t>> rle;
    };
    std::vector<Detections> detections;
    double mean_loss = 0;  // NaN when the task computes no evaluation loss
};

Prediction predict(Model& model, torch::Device device, Loader& loader);

}  // namespace spool
