// state_dict.h — putting a weight file's tensors into a model, by name: the matching of names (as they are,
// without a training wrapper's "module."/"model.", or under the model's backbone prefix for an ImageNet
// classifier's file), the heads kept as initialised for a job's own classes, and a report of what happened.
// And freezing the first layer groups (`layers_to_freeze`).
#pragma once

#include "models/model.h"

#include <string>
#include <vector>

namespace spool {

struct LoadReport {
    int64_t loaded = 0;        // tensors copied into the model
    int64_t skipped_head = 0;  // head tensors left as initialised (replace_head)
    int64_t unexpected = 0;    // tensors in the file the model does not have
    int64_t missing = 0;       // model tensors the file does not have (allowed for a backbone-only file)
    bool backbone_only = false;
};

/// Loads `path` into `model`. With `replace_head`, the heads keep their initialisation and extra tensors in
/// the file are ignored; otherwise every model tensor must be in the file with its shape. A classifier's file
/// loaded into a detector fills its backbone only. Throws WeightsError naming what does not fit.
LoadReport load_weights(Model& model, const std::string& model_name, const std::string& path, bool replace_head);

/// Freezes (requires_grad false) the parameters of the first `groups` layer groups.
void freeze_layer_groups(Model& model, int groups);

}  // namespace spool
