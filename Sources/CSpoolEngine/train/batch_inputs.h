// batch_inputs.h — a loader's batch (plain arrays, data/batch.h) as the model's input tensors, by task: class
// targets for classification; boxes, labels, crowd flags and (segmentation) rasterised masks for detection.
#pragma once

#include "data/batch.h"
#include "data/sample.h"
#include "models/model.h"

namespace spool {

/// A batch as tensors on `device`, for the dataset's task.
ModelInput to_model_input(const Batch& batch, const Dataset& dataset, torch::Device device);

}  // namespace spool
