#include "models/registry.h"

#include <stdexcept>

namespace spool {

const std::vector<std::string>& classifier_names() {
    static const std::vector<std::string> names = {
        "mobilenetv2", "resnet18",  "resnet34",   "resnet50",   "resnet101",  "resnet152",
        "resnest50",   "resnest101", "seresnext", "vits16r224", "vitb16r224", "vitl16r224"};
    return names;
}

std::shared_ptr<Classifier> make_classifier(const std::string& name, const ClassifierConfig& config) {
    if (config.num_classes < 1) throw std::invalid_argument("num_classes must be at least 1");
    if (name == "mobilenetv2") return make_mobilenet_v2(config);
    if (name == "resnet18") return make_resnet(18, config);
    if (name == "resnet34") return make_resnet(34, config);
    if (name == "resnet50") return make_resnet(50, config);
    if (name == "resnet101") return make_resnet(101, config);
    if (name == "resnet152") return make_resnet(152, config);
    if (name == "resnest50") return make_resnest(50, config);
    if (name == "resnest101") return make_resnest(101, config);
    if (name == "seresnext") return make_seresnext50_32x4d(config);
    if (name == "vits16r224") return make_vit_timm_small(config);
    if (name == "vitb16r224") return make_vit_torchvision("b_16", config);
    if (name == "vitl16r224") return make_vit_torchvision("l_16", config);
    std::string allowed;
    for (const auto& n : classifier_names()) allowed += (allowed.empty() ? "" : ", ") + n;
    throw std::invalid_argument("unknown model '" + name + "'; allowed: " + allowed);
}

}  // namespace spool
