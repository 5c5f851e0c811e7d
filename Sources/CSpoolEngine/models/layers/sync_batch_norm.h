// sync_batch_norm.h — BatchNorm2d that, while training in a data-parallel run, normalises with the statistics of
// the whole batch across processes (PyTorch's SyncBatchNorm): 2 processes with 8 images each then train as 1
// with 16. Outside such a run (one process, evaluation) it computes exactly what torch::nn::BatchNorm2d does,
// with the same parameter and buffer names (libtorch does not export what a subclass of BatchNorm2dImpl needs).
#pragma once

#include <torch/nn/cloneable.h>
#include <torch/nn/options/batchnorm.h>
#include <torch/nn/pimpl.h>

#include <ostream>

namespace spool {

class SyncBatchNorm2dImpl : public torch::nn::Cloneable<SyncBatchNorm2dImpl> {
public:
    explicit SyncBatchNorm2dImpl(int64_t features) : SyncBatchNorm2dImpl(torch::nn::BatchNormOptions(features)) {}
    explicit SyncBatchNorm2dImpl(const torch::nn::BatchNormOptions& options) : options(options) { reset(); }
    void reset() override;
    void pretty_print(std::ostream& stream) const override;
    torch::Tensor forward(const torch::Tensor& input);

    torch::nn::BatchNormOptions options;
    torch::Tensor weight, bias, running_mean, running_var, num_batches_tracked;

private:
    torch::Tensor synchronised_forward(const torch::Tensor& input);
};
TORCH_MODULE(SyncBatchNorm2d);

}  // namespace spool
