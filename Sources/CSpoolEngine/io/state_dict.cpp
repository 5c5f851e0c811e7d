#include "io/state_dict.h"

#include "io/weights_file.h"

#include <torch/utils.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

namespace spool {
namespace {

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

/// BatchNorm's step counter: a model trained from scratch has it (plain BatchNorm2d), a pretrained torchvision
/// detector does not (FrozenBatchNorm2d). It holds no weights (the momentum is set), so it fits either way.
bool is_step_counter(const std::string& name) {
    static const std::string suffix = "num_batches_tracked";
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string list(const std::vector<std::string>& names) {
    std::string s;
    for (size_t i = 0; i < names.size() && i < 5; ++i) s += (i ? ", " : "") + names[i];
    if (names.size() > 5) s += ", ... (" + std::to_string(names.size()) + " in all)";
    return s;
}

}  // namespace

LoadReport load_weights(Model& model, const std::string& model_name, const std::string& path, bool replace_head) {
    auto file = read_weights(path);
    auto tensors = named_tensors(model);
    std::set<std::string> names;
    for (const auto& [name, t] : tensors) names.insert(name);

    // The renaming of the file that fits most of the model's names: none, a wrapper's prefix removed, or the
    // backbone prefix added (an ImageNet classifier's file into a detector).
    auto matches = [&](const std::map<std::string, torch::Tensor>& m) {
        size_t n = 0;
        for (const auto& kv : m) n += names.count(kv.first);
        return n;
    };
    bool backbone_only = false;
    for (const std::string prefix : {"module.", "model."}) {
        std::map<std::string, torch::Tensor> stripped;
        for (auto& kv : file)
            if (starts_with(kv.first, prefix)) stripped[kv.first.substr(prefix.size())] = kv.second;
        if (matches(stripped) > matches(file)) file.swap(stripped);
    }
    const std::string backbone = model.backbone_prefix();
    if (!backbone.empty()) {
        const std::string inner = model.classifier_backbone_prefix();
        std::map<std::string, torch::Tensor> moved;
        for (auto& kv : file)
            moved[backbone + (starts_with(kv.first, inner) ? kv.first.substr(inner.size()) : kv.first)] = kv.second;
        if (matches(moved) > matches(file)) {
            file.swap(moved);
            backbone_only = true;
        }
    }

    model.adapt_reference_state(file);

    const auto heads = model.head_prefixes();
    auto is_head = [&](const std::string& name) {
        for (const auto& h : heads)
            if (starts_with(name, h)) return true;
        return false;
    };
    LoadReport r;
    r.backbone_only = backbone_only;
    std::vector<std::string> missing, mismatched, mismatched_names;
    std::set<std::string> used;
    torch::NoGradGuard no_grad;
    for (auto& [name, tensor] : tensors) {
        if (replace_head && is_head(name)) {
            ++r.skipped_head;
            used.insert(name);
            continue;
        }
        auto it = file.find(name);
        if (it == file.end()) {
            if (is_step_counter(name)) continue;  // a file saved with FrozenBatchNorm2d
            // A backbone-only file has nothing past the backbone.
            if (!(backbone_only && !starts_with(name, backbone))) missing.push_back(name);
            ++r.missing;
            continue;
        }
        used.insert(name);
        if (it->second.sizes() != tensor.sizes()) {
            std::ostringstream s;
            s << name << " (file " << it->second.sizes() << ", model " << tensor.sizes() << ")";
            mismatched.push_back(s.str());
            mismatched_names.push_back(name);
            continue;
        }
        tensor.copy_(it->second.to(tensor.device(), tensor.scalar_type()));
        ++r.loaded;
    }
    std::vector<std::string> unexpected;
    for (const auto& kv : file)
        if (!used.count(kv.first) && !is_step_counter(kv.first) &&
            !(backbone_only && is_head(kv.first.substr(backbone.size()))))
            unexpected.push_back(kv.first);
    r.unexpected = static_cast<int64_t>(unexpected.size());
    const bool strict_extra = !replace_head && !backbone_only;
    // Only the head's size differs: the file is this architecture for another number of classes.
    const bool head_only = !mismatched.empty() && missing.empty() && (!strict_extra || unexpected.empty()) &&
                           std::all_of(mismatched_names.begin(), mismatched_names.end(), is_head);
    if (head_only)
        throw HeadShapeError(path + ": the head of these weights has another size than model '" + model_name +
                             "': " + list(mismatched) + ".");
    if (!missing.empty() || !mismatched.empty() || (strict_extra && !unexpected.empty()) || r.loaded == 0) {
        std::string m = path + ": these weights do not fit model '" + model_name + "'.";
        if (r.loaded == 0 && missing.empty() && mismatched.empty()) m += " No tensor name matches the model's.";
        if (!missing.empty()) m += " Missing: " + list(missing) + ".";
        if (!mismatched.empty()) m += " Different shape: " + list(mismatched) + ".";
        if (strict_extra && !unexpected.empty()) m += " Not in the model: " + list(unexpected) + ".";
        m += " Is the file for this architecture, with the reference's (torchvision/timm/Ultralytics) names?";
        throw WeightsError(m);
    }
    return r;
}

void freeze_layer_groups(Model& model, int groups) {
    const auto all = model.layer_groups();
    if (groups < 0 || groups > static_cast<int>(all.size()))
        throw std::invalid_argument("layers_to_freeze must be in [0, " + std::to_string(all.size()) + "]");
    // Every parameter of a layer group trains unless it is in the first `groups` (so 0 unfreezes), except
    // what the model froze by design (a detector's backbone stages above trainable_backbone_layers).
    for (auto& p : model.named_parameters(true)) {
        int group = -1;
        for (size_t g = 0; g < all.size() && group < 0; ++g)
            for (const auto& prefix : all[g])
                if (starts_with(p.key(), prefix)) group = static_cast<int>(g);
        if (group < 0 || model.frozen_by_design(p.key())) continue;
        p.value().set_requires_grad(group >= groups);
    }
}

}  // namespace spool
