// masks.cpp — a segmentation prediction's masks pasted into the image, as polygons and RLE (masks.h).
#include "train/masks.h"

#include "data/polygons.h"
#include "data/rle.h"
#include "models/detection/mask_head.h"

namespace spool {

void add_mask_outputs(Prediction::Detections& out, const torch::Tensor& masks, const torch::Tensor& boxes,
                      const MaskSettings& settings) {
    const int height = out.height, width = out.width;
    const int64_t n = masks.size(0);
    out.mask_size = masks.size(-1);
    auto dense = masks.contiguous();
    out.masks.assign(dense.data_ptr<float>(), dense.data_ptr<float>() + dense.numel());
    auto pixel_boxes = boxes.contiguous();
    out.pixel_boxes.assign(pixel_boxes.data_ptr<float>(), pixel_boxes.data_ptr<float>() + pixel_boxes.numel());
    for (int64_t k = 0; k < n; ++k) {
        auto pasted = detection::paste_masks_in_image(masks.slice(0, k, k + 1), boxes.slice(0, k, k + 1), {height, width});
        auto binary = (pasted[0][0] > settings.pixel_score_thresh).to(torch::kUInt8).contiguous();
        auto parts = mask_to_polygons(binary.data_ptr<uint8_t>(), height, width, static_cast<int>(settings.max_polygon_points));
        for (auto& part : parts)
            for (size_t i = 0; i < part.size(); ++i) part[i] /= static_cast<float>(i % 2 == 0 ? width : height);
        out.polygons.push_back(std::move(parts));
        out.rle.push_back(encode_rle(binary.data_ptr<uint8_t>(), height, width));
    }
}

std::vector<float> pasted_mask(const Prediction::Detections& d, int64_t detection) {
    const int64_t m = d.mask_size;
    auto mask = torch::from_blob(const_cast<float*>(d.masks.data()) + detection * m * m, {1, 1, m, m}).clone();
    auto box = torch::from_blob(const_cast<float*>(d.pixel_boxes.data()) + detection * 4, {1, 4}).clone();
    auto pasted = detection::paste_masks_in_image(mask, box, {d.height, d.width}).contiguous();
    return std::vector<float>(pasted.data_ptr<float>(), pasted.data_ptr<float>() + pasted.numel());
}

}  // namespace spool
