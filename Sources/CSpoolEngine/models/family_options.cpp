#include "models/family_options.h"

#include "models/detection/yolov5.h"

#include <cmath>
#include <stdexcept>
#include <utility>

namespace spool {
namespace {

using nlohmann::json;

/// A value as the person wrote it, shortened for a message.
std::string shown(const json& value) {
    std::string text = value.dump();
    if (text.size() > 80) text = text.substr(0, 77) + "...";
    return text;
}

FamilyOption integer(std::string key, int64_t fallback, int64_t lo, int64_t hi, int64_t ModelConfig::*field,
                     int64_t multiple_of = 1) {
    std::string allowed = "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
    if (multiple_of > 1) allowed += ", a multiple of " + std::to_string(multiple_of);
    return {std::move(key), fallback, allowed, [=](const json& v, ModelConfig& c) {
                if (!v.is_number_integer()) return false;
                const auto n = v.get<int64_t>();
                if (n < lo || n > hi || n % multiple_of != 0) return false;
                c.*field = n;
                return true;
            }};
}

/// A number the C ABI always carried as a float: parsed through float, so "0.3" is the float 0.3 it was.
FamilyOption number(std::string key, double fallback, double lo, double hi, double ModelConfig::*field) {
    auto bound = [](double x) {
        std::string s = std::to_string(x);
        s.erase(s.find_last_not_of('0') + 1);
        if (!s.empty() && s.back() == '.') s.pop_back();
        return s;
    };
    return {std::move(key), fallback, "a number from " + bound(lo) + " to " + bound(hi),
            [=](const json& v, ModelConfig& c) {
                if (!v.is_number()) return false;
                const double x = static_cast<double>(static_cast<float>(v.get<double>()));
                if (!std::isfinite(x) || x < lo || x > hi) return false;
                c.*field = x;
                return true;
            }};
}

FamilyOption flag(std::string key, bool fallback, bool ModelConfig::*field) {
    return {std::move(key), fallback, "true or false", [=](const json& v, ModelConfig& c) {
                if (!v.is_boolean()) return false;
                c.*field = v.get<bool>();
                return true;
            }};
}

/// YOLOv5's 9 anchors (w, h in pixels, P3 to P5) as 18 positive numbers; null: Ultralytics' defaults.
FamilyOption anchors() {
    return {"anchors", detection::yolo_default_anchors(),
            "18 positive numbers (9 anchors as w, h pixel pairs, P3 to P5), or null for Ultralytics' defaults",
            [](const json& v, ModelConfig& c) {
                if (v.is_null()) {
                    c.anchors.clear();
                    return true;
                }
                if (!v.is_array() || v.size() != 18) return false;
                std::vector<float> values;
                for (const auto& x : v) {
                    if (!x.is_number()) return false;
                    const float f = static_cast<float>(x.get<double>());
                    if (!std::isfinite(f) || f <= 0) return false;
                    values.push_back(f);
                }
                c.anchors = std::move(values);
                return true;
            }};
}

// torchvision's GeneralizedRCNNTransform, postprocessing and backbone, shared by both torchvision families.
std::vector<FamilyOption> torchvision_detector_options() {
    return {
        integer("min_size", 600, 1, 10000, &ModelConfig::min_size),
        integer("max_size", 1333, 1, 10000, &ModelConfig::max_size),
        number("box_score_thresh", 0.3, 0, 1, &ModelConfig::box_score_thresh),
        number("box_nms_thresh", 0.5, 0, 1, &ModelConfig::box_nms_thresh),
        integer("box_detections_per_img", 100, 1, 100000, &ModelConfig::box_detections_per_img),
        flag("frozen_batch_norm", false, &ModelConfig::frozen_batch_norm),
        // -1: every stage; torchvision's backbones have 5 stages (MobileNetV3's 6).
        integer("trainable_backbone_layers", -1, -1, 6, &ModelConfig::trainable_backbone_layers),
    };
}

}  // namespace

FamilyOptions::FamilyOptions(std::string family, std::vector<FamilyOption> options)
    : family_(std::move(family)), options_(std::move(options)) {}

json FamilyOptions::defaults() const {
    json out = json::object();
    for (const auto& o : options_) out[o.key] = o.default_value;
    return out;
}

ModelConfig FamilyOptions::parse(const std::string& model, const char* text, ModelConfig config) const {
    for (const auto& o : options_) o.apply(o.default_value, config);
    if (text == nullptr) return config;
    const json block = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (block.is_discarded())
        throw std::invalid_argument("the options of model '" + model + "' are not valid JSON: " +
                                    std::string(text).substr(0, 80));
    if (!block.is_object())
        throw std::invalid_argument("the options of model '" + model + "' must be a JSON object, not " + shown(block));
    std::string keys;
    for (const auto& o : options_) keys += (keys.empty() ? "" : ", ") + o.key;
    for (const auto& [key, value] : block.items()) {
        const FamilyOption* option = nullptr;
        for (const auto& o : options_)
            if (o.key == key) option = &o;
        if (option == nullptr)
            throw std::invalid_argument("model '" + model + "' (" + family_ + ") has no option '" + key +
                                        "'; its options: " + (keys.empty() ? "none" : keys));
        if (!option->apply(value, config))
            throw std::invalid_argument("option '" + key + "' of model '" + model + "' is " + shown(value) +
                                        "; allowed: " + option->allowed);
    }
    return config;
}

const FamilyOptions& classifier_options() {
    static const FamilyOptions options("classifier", {
        // ViT builds its position embedding for this side (a multiple of its 16-pixel patch; ViT checks it).
        integer("image_size", 224, 1, 4096, &ModelConfig::image_size),
    });
    return options;
}

const FamilyOptions& two_stage_rcnn_options() {
    static const FamilyOptions options("two_stage_rcnn", [] {
        auto list = torchvision_detector_options();
        // Mask R-CNN's outputs: a pasted mask's pixels above the threshold are the object's; polygons bounded.
        list.push_back(number("mask_pixel_score_thresh", 0.5, 0, 1, &ModelConfig::mask_pixel_score_thresh));
        list.push_back(integer("max_polygon_points", 100, 1, 100000, &ModelConfig::max_polygon_points));
        return list;
    }());
    return options;
}

const FamilyOptions& one_stage_dense_options() {
    static const FamilyOptions options("one_stage_dense", torchvision_detector_options());
    return options;
}

const FamilyOptions& yolo_options() {
    static const FamilyOptions options("yolo", {
        // img_size: the training side and the evaluation letterbox.
        integer("image_size", 640, 32, 4096, &ModelConfig::image_size, 32),
        number("box_score_thresh", 0.1, 0, 1, &ModelConfig::box_score_thresh),
        number("box_nms_thresh", 0.5, 0, 1, &ModelConfig::box_nms_thresh),  // box_iou_thresh
        integer("box_detections_per_img", 100, 1, 100000, &ModelConfig::box_detections_per_img),
        flag("multi_scale", false, &ModelConfig::multi_scale),
        anchors(),
    });
    return options;
}

}  // namespace spool
