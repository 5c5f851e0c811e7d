// classification.h — the classification transforms (torchvision semantics): RandomResizedCrop, horizontal
// flip and colour jitter for training; resize of the shorter side and centre crop for validation and
// scoring; a fixed-size stack as the batch.
#pragma once

#include "data/loader.h"
#include "data/pipeline.h"

namespace spool {

std::unique_ptr<Pipeline> make_classification_pipeline(const LoaderConfig& config, bool multilabel, int64_t num_classes);

/// Validation preprocessing of one image into 3 x crop x crop floats (resize shorter side, center crop,
/// normalise), as the loader does when not training.
void preprocess_for_eval(const std::string& path, const LoaderConfig& config, float* out);

}  // namespace spool
