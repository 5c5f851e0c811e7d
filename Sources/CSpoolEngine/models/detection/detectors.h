// detectors.h — the detection and segmentation rows of the model table.
#pragma once

#include "models/registry.h"

#include <vector>

namespace spool {

std::vector<ModelEntry> detection_model_entries();

}  // namespace spool
