// registry.h — the engine's one model table: Spool's model names, their task, family and reference, and
// how each is built. The Swift side's ModelCatalog holds the same names (a test keeps the two equal).
#pragma once

#include "models/family_options.h"
#include "models/model.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace spool {

enum class TaskFamily { classification, detection, segmentation };

struct ModelEntry {
    std::string name;          // Spool's model_name (section 4 of the specification)
    TaskFamily tasks;          // classification models serve multiclass and multilabel
    std::string family;        // resnet, mobilenet_v2, vit, fasterrcnn, ...
    std::string library;       // the reference: torchvision, timm, ultralytics
    std::string architecture;  // the reference's own name (resnet18, vit_b_16, fasterrcnn_resnet50_fpn, ...)
    const FamilyOptions* options;  // the meta-architecture's options: its keys, defaults and checks
    std::function<std::shared_ptr<Model>(const ModelConfig&)> make;
};

/// Every model, in the specification's order.
const std::vector<ModelEntry>& model_table();

/// Builds `name` for `config.task`; throws std::invalid_argument naming the allowed values.
std::shared_ptr<Model> make_model(const std::string& name, const ModelConfig& config);

/// Builds `name` for `task` and `num_classes` from its family's option block (JSON; NULL or "{}": the family's
/// defaults), which the family validates. Throws std::invalid_argument naming the model, key and allowed values.
std::shared_ptr<Model> make_model(const std::string& name, Task task, int64_t num_classes, const char* options_json);

/// The table as JSON (name, tasks, family, library, architecture, meta_architecture and options: the family's
/// option keys with their defaults), for spool_model_catalog.
std::string model_catalog_json();

}  // namespace spool
