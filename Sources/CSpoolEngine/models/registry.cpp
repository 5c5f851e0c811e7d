#include "models/registry.h"

#include "models/backbones/backbones.h"
#include "models/detection/detectors.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace spool {
namespace {

std::shared_ptr<Model> classifier(std::shared_ptr<Classifier> model, const ModelConfig& config) {
    model->set_task(config.task);
    return model;
}

TaskFamily task_family(Task task) {
    return is_classification(task) ? TaskFamily::classification
           : task == Task::detection ? TaskFamily::detection
                                     : TaskFamily::segmentation;
}

}  // namespace

const std::vector<ModelEntry>& model_table() {
    using T = TaskFamily;
    static const std::vector<ModelEntry> table = {
        // name, tasks, family, reference library, reference architecture, options, factory
        {"mobilenetv2", T::classification, "mobilenet_v2", "torchvision", "mobilenet_v2", &classifier_options(),
         [](const ModelConfig& c) { return classifier(make_mobilenet_v2(c), c); }},
        {"resnet18", T::classification, "resnet", "torchvision", "resnet18", &classifier_options(),
         [](const ModelConfig& c) { return classifier(make_resnet(18, c), c); }},
        {"resnet34", T::classification, "resnet", "torchvision", "resnet34", &classifier_options(),
         [](const ModelConfig& c) { return classifier(make_resnet(34, c), c); }},
        {"resnet50", T::classification, "resnet", "torchvision", "resnet50", &classifier_options(),
         [](const ModelConfig& c) { return classifier(make_resnet(50, c), c); }},
        {"resnet101", T::classification, "resnet", "torchvision", "resnet101", &classifier_options(),
         [](const ModelConfig& c) { return classifier(make_resnet(101, c), c); }},
        {"resnet152", T::classification, "resnet", "torchvision", "resnet152", &classifier_options(),
         [](const ModelConfig& c) { return classifier(make_resnet(152, c), c); }},
        {"resnest50", T::classification, "resnest", "timm", "resnest50d", &classifier_options(),
         [](const ModelConfig& c) { return classifier(make_resnest(50, c), c); }},
        {"resnest101", T::classification, "resnest", "timm", "resnest101e", &classifier_options(),
         [](const ModelConfig& c) { return classifier(make_resnest(101, c), c); }},
        {"seresnext", T::classification, "seresnext", "timm", "seresnext50_32x4d", &classifier_options(),
         [](const ModelConfig& c) { return classifier(make_seresnext50_32x4d(c), c); }},
        {"vits16r224", T::classification, "vit", "timm", "vit_small_patch16_224", &classifier_options(),
         [](const ModelConfig& c) { return classifier(make_vit_timm_small(c), c); }},
        {"vitb16r224", T::classification, "vit", "torchvision", "vit_b_16", &classifier_options(),
         [](const ModelConfig& c) { return classifier(make_vit_torchvision("b_16", c), c); }},
        {"vitl16r224", T::classification, "vit", "torchvision", "vit_l_16", &classifier_options(),
         [](const ModelConfig& c) { return classifier(make_vit_torchvision("l_16", c), c); }},
    };
    static const std::vector<ModelEntry> all = [] {
        auto out = table;
        for (const auto& entry : detection_model_entries()) out.push_back(entry);
        return out;
    }();
    return all;
}

std::shared_ptr<Model> make_model(const std::string& name, const ModelConfig& config) {
    if (config.num_classes < 1) throw std::invalid_argument("num_classes must be at least 1");
    const TaskFamily wanted = task_family(config.task);
    std::string allowed;
    for (const auto& entry : model_table()) {
        if (entry.tasks != wanted) continue;
        if (name == entry.name) return entry.make(config);
        allowed += (allowed.empty() ? "" : ", ") + entry.name;
    }
    for (const auto& entry : model_table())
        if (name == entry.name)
            throw std::invalid_argument("model '" + name + "' is not a model of this task; allowed: " + allowed);
    throw std::invalid_argument("unknown model '" + name + "'; allowed: " + allowed);
}

std::shared_ptr<Model> make_model(const std::string& name, Task task, int64_t num_classes, const char* options_json) {
    ModelConfig config;
    config.task = task;
    config.num_classes = num_classes;
    for (const auto& entry : model_table())
        if (name == entry.name && entry.tasks == task_family(task) && num_classes >= 1)
            return make_model(name, entry.options->parse(name, options_json, config));
    return make_model(name, config);  // an unknown name, another task's model, no class: the message says which
}

std::string model_catalog_json() {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& e : model_table()) {
        const char* tasks = e.tasks == TaskFamily::classification ? "classification"
                            : e.tasks == TaskFamily::detection    ? "object_detection"
                                                                  : "instance_segmentation";
        list.push_back({{"name", e.name}, {"tasks", tasks}, {"family", e.family}, {"library", e.library},
                        {"architecture", e.architecture}, {"meta_architecture", e.options->family()},
                        {"options", e.options->defaults()}});
    }
    return list.dump();
}

}  // namespace spool
