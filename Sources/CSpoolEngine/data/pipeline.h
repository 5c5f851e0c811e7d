// pipeline.h — what makes a task's batches: a per-image transform (decode, augment, targets into pixels)
// and a collate (fixed-size stack for classification, a padded batch with per-image sizes for detection).
// The loader is generic over it.
#pragma once

#include "data/batch.h"
#include "data/sample.h"

#include <memory>
#include <random>

namespace spool {

class Pipeline {
public:
    virtual ~Pipeline() = default;
    /// One image, decoded and transformed. `rng` is this image's own stream (seed, epoch, position), so
    /// that an epoch does not depend on which worker made which image. Throws ImageError.
    virtual Example make(const Sample& sample, bool train, std::mt19937_64& rng) const = 0;
    /// The examples of one batch, in order, into `out` (whose `indices` the loader fills).
    virtual void collate(std::vector<Example>& examples, Batch& out) const = 0;
};

}  // namespace spool
