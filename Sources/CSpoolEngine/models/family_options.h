// family_options.h — the options of one model family (meta-architecture), as the C ABI receives them: one JSON
// object per model, which the family parses and validates itself before its models are built.
//
// Each family owns its option table: the keys it accepts, their defaults and what each allows. An unknown key
// names the model, the key and the family's keys; a wrong type or an out-of-range value names the key, what
// was given and what is allowed. The catalogue (spool_model_catalog) lists each model's keys with their defaults.
#pragma once

#include "models/model.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace spool {

/// One option of a family: its key, its default and, given a value, the check and where it goes.
struct FamilyOption {
    std::string key;
    nlohmann::json default_value;
    std::string allowed;  // what a value may be, for messages ("an integer from 1 to 10000")
    /// Sets the option into `config`; returns false when the value is not allowed.
    std::function<bool(const nlohmann::json& value, ModelConfig& config)> apply;
};

/// The options of one family: classifier, two_stage_rcnn, one_stage_dense or yolo (SpoolCore's ModelFamily).
class FamilyOptions {
public:
    FamilyOptions(std::string family, std::vector<FamilyOption> options);

    const std::string& family() const { return family_; }
    const std::vector<FamilyOption>& options() const { return options_; }

    /// The family's defaults, as a JSON object (the catalogue's `options`).
    nlohmann::json defaults() const;

    /// `config` with the family's defaults and then the options of `json` (NULL or "{}": the defaults alone).
    /// Throws std::invalid_argument naming `model`, the key, what was given and what is allowed.
    ModelConfig parse(const std::string& model, const char* json, ModelConfig config) const;

private:
    std::string family_;
    std::vector<FamilyOption> options_;
};

/// Classifiers: image_size (ViT builds its position embedding for it).
const FamilyOptions& classifier_options();
/// Faster R-CNN and Mask R-CNN: torchvision's resize, RoI postprocessing, backbone freezing, mask outputs.
const FamilyOptions& two_stage_rcnn_options();
/// RetinaNet and FCOS: torchvision's resize, postprocessing and backbone freezing.
const FamilyOptions& one_stage_dense_options();
/// YOLOv5: img_size (image_size), thresholds, multi-scale training, anchors.
const FamilyOptions& yolo_options();

}  // namespace spool
