// process_group.h — the processes of one data-parallel run and their collectives, on libtorch's c10d: a TCPStore
// at the rendezvous address (rank 0 serves it), ProcessGroupGloo on the CPU, ProcessGroupNCCL on CUDA where the
// libtorch has it. The c10d types stay in process_group.cpp: this header is what the trainer and batch norm see.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace spool {

struct ProcessGroupConfig {
    int rank = 0;
    int world_size = 1;
    std::string host = "127.0.0.1";  // the rendezvous: rank 0's TCPStore
    int port = 29500;
    double timeout_seconds = 1800;  // a collective waiting longer than this fails (a peer that hangs)
    torch::Device device{torch::kCPU};
};

class ProcessGroup {
public:
    /// Joins the group (blocks until every rank has joined, or the timeout).
    static std::shared_ptr<ProcessGroup> connect(const ProcessGroupConfig& config);
    ~ProcessGroup();

    int rank() const { return rank_; }
    int size() const { return size_; }
    const std::string& backend() const { return backend_; }

    /// In place: the sum over the ranks.
    void all_reduce_sum(torch::Tensor& tensor);
    /// In place: root's tensor on every rank.
    void broadcast(torch::Tensor& tensor, int root);
    void barrier();

    /// Whether this libtorch build has the backend (NCCL needs a CUDA libtorch built with it).
    static bool has_nccl();

    struct State;

private:
    ProcessGroup() = default;
    int rank_ = 0, size_ = 1;
    std::string backend_;
    std::unique_ptr<State> state_;
};

/// The group that batch norm synchronises its batch statistics over while training (SyncBatchNorm), or null:
/// one per process, as torch.distributed's default group is.
std::shared_ptr<ProcessGroup> batch_norm_group();
void set_batch_norm_group(std::shared_ptr<ProcessGroup> group);

}  // namespace spool
