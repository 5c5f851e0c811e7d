// registry.h — Spool model names to constructors.
#pragma once

#include "models/classifier.h"

namespace spool {

/// Builds the classifier Spool calls `name` (section 4 of the specification); throws std::invalid_argument
/// naming the allowed values for an unknown name.
std::shared_ptr<Classifier> make_classifier(const std::string& name, const ClassifierConfig& config);

/// The names make_classifier accepts, in the specification's order.
const std::vector<std::string>& classifier_names();

// Families, one file each under models/.
std::shared_ptr<Classifier> make_resnet(int depth, const ClassifierConfig& config);          // torchvision resnet18..152
std::shared_ptr<Classifier> make_seresnext50_32x4d(const ClassifierConfig& config);          // timm seresnext50_32x4d
std::shared_ptr<Classifier> make_mobilenet_v2(const ClassifierConfig& config);               // torchvision mobilenet_v2
std::shared_ptr<Classifier> make_resnest(int depth, const ClassifierConfig& config);         // timm resnest50d / resnest101e
std::shared_ptr<Classifier> make_vit_torchvision(const std::string& variant, const ClassifierConfig& config); // "b_16", "l_16"
std::shared_ptr<Classifier> make_vit_timm_small(const ClassifierConfig& config);             // timm vit_small_patch16_224

}  // namespace spool
