#include "models/detection/detectors.h"

#include "models/detection/faster_rcnn.h"
#include "models/detection/fcos.h"
#include "models/detection/yolov5.h"

namespace spool {

std::vector<ModelEntry> detection_model_entries() {
    using T = TaskFamily;
    std::vector<ModelEntry> rows;
    // name, tasks, family, reference library, reference architecture, options, factory
    for (int depth : {18, 34, 50, 101, 152}) {
        const std::string name = "fasterrcnn_resnet" + std::to_string(depth) + "_fpn";
        rows.push_back({name, T::detection, "fasterrcnn", "torchvision", name, &two_stage_rcnn_options(),
                        [depth](const ModelConfig& c) { return std::make_shared<detection::FasterRCNN>(depth, c); }});
    }
    rows.push_back({"fasterrcnn_mobilenet_v3_large_fpn", T::detection, "fasterrcnn", "torchvision", "fasterrcnn_mobilenet_v3_large_fpn", &two_stage_rcnn_options(),
                    [](const ModelConfig& c) {
                        return std::make_shared<detection::FasterRCNN>(detection::RCNNBackbone::mobilenet_v3_large(), c);
                    }});
    rows.push_back({"retinanet_resnet50_fpn", T::detection, "retinanet", "torchvision", "retinanet_resnet50_fpn", &one_stage_dense_options(),
                    [](const ModelConfig& c) { return detection::make_retinanet(50, c); }});
    rows.push_back({"fcos_resnet50_fpn", T::detection, "fcos", "torchvision", "fcos_resnet50_fpn", &one_stage_dense_options(),
                    [](const ModelConfig& c) { return detection::make_fcos(50, c); }});
    for (char size : {'s', 'm', 'l', 'x'}) {
        const std::string name = std::string("yolov5") + size;
        rows.push_back({name, T::detection, "yolov5", "ultralytics", name, &yolo_options(),
                        [size](const ModelConfig& c) { return detection::make_yolov5(size, c); }});
    }
    for (int depth : {18, 34, 50, 101, 152}) {
        const std::string name = "maskrcnn_resnet" + std::to_string(depth) + "_fpn";
        rows.push_back({name, T::segmentation, "maskrcnn", "torchvision", name, &two_stage_rcnn_options(),
                        [depth](const ModelConfig& c) { return std::make_shared<detection::FasterRCNN>(depth, c); }});
    }
    return rows;
}

}  // namespace spool
