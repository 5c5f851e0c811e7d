#include "train/process_group.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
// gloo's headers come with Debian's libgloo-dev (scripts/setup.sh); a libtorch without them builds without the
// CPU backend, and says so when asked for it.
#if __has_include(<gloo/algorithm.h>)
#define SPOOL_WITH_GLOO 1
#define USE_C10D_GLOO 1
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef SPOOL_WITH_NCCL
#define USE_C10D_NCCL 1
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <stdexcept>

namespace spool {

struct ProcessGroup::State {
    c10::intrusive_ptr<c10d::Store> store;
    c10::intrusive_ptr<c10d::ProcessGroup> group;
};

namespace {

bool is_loopback(const std::string& host) { return host == "127.0.0.1" || host == "localhost" || host == "::1"; }

std::mutex group_mutex;
std::shared_ptr<ProcessGroup> current_group;

}  // namespace

bool ProcessGroup::has_nccl() {
#ifdef SPOOL_WITH_NCCL
    return true;
#else
    return false;
#endif
}

std::shared_ptr<ProcessGroup> ProcessGroup::connect(const ProcessGroupConfig& config) {
    if (config.world_size < 1 || config.rank < 0 || config.rank >= config.world_size)
        throw std::invalid_argument("rank " + std::to_string(config.rank) + " is outside a world of " +
                                    std::to_string(config.world_size) + " processes");
    if (config.port <= 0 || config.port > 65535) throw std::invalid_argument("the rendezvous port must be 1-65535");
    const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(config.timeout_seconds * 1000));
    std::shared_ptr<ProcessGroup> group(new ProcessGroup());
    group->rank_ = config.rank;
    group->size_ = config.world_size;
    group->state_ = std::make_unique<State>();

    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(config.port);
    options.isServer = config.rank == 0;
    options.numWorkers = static_cast<std::size_t>(config.world_size);
    options.waitWorkers = true;
    options.timeout = timeout;
    auto tcp = c10::make_intrusive<c10d::TCPStore>(config.host, options);
    group->state_->store = c10::make_intrusive<c10d::PrefixStore>("spool", tcp);

    if (config.device.is_cuda()) {
#ifdef SPOOL_WITH_NCCL
        auto nccl_options = c10d::ProcessGroupNCCL::Options::create();
        nccl_options->timeout = timeout;
        group->state_->group = c10::make_intrusive<c10d::ProcessGroupNCCL>(group->state_->store, config.rank,
                                                                           config.world_size, nccl_options);
        group->backend_ = "nccl";
#else
        throw std::invalid_argument("this libtorch has no NCCL: data-parallel training on CUDA needs a libtorch built with it (SPOOL_LIBTORCH)");
#endif
    } else {
#ifndef SPOOL_WITH_GLOO
        throw std::invalid_argument("this engine was built without gloo's headers: data-parallel training on the CPU needs them (Debian: libgloo-dev)");
#else
        auto gloo_options = c10d::ProcessGroupGloo::Options::create(timeout);
        // The interface the peers reach each other on: GLOO_SOCKET_IFNAME when set (as PyTorch reads it), the
        // loopback for a rendezvous on this machine, else the one this host's name resolves to.
        if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
            gloo_options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
        else if (is_loopback(config.host))
            gloo_options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
        else
            gloo_options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
        group->state_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(group->state_->store, config.rank,
                                                                           config.world_size, gloo_options);
        group->backend_ = "gloo";
#endif
    }
    return group;
}

ProcessGroup::~ProcessGroup() = default;

void ProcessGroup::all_reduce_sum(torch::Tensor& tensor) {
    std::vector<at::Tensor> tensors{tensor};
    c10d::AllreduceOptions options;
    options.reduceOp = c10d::ReduceOp::SUM;
    state_->group->allreduce(tensors, options)->wait();
}

void ProcessGroup::broadcast(torch::Tensor& tensor, int root) {
    std::vector<at::Tensor> tensors{tensor};
    c10d::BroadcastOptions options;
    options.rootRank = root;
    state_->group->broadcast(tensors, options)->wait();
}

void ProcessGroup::barrier() { state_->group->barrier()->wait(); }

std::shared_ptr<ProcessGroup> batch_norm_group() {
    std::lock_guard<std::mutex> lock(group_mutex);
    return current_group;
}

void set_batch_norm_group(std::shared_ptr<ProcessGroup> group) {
    std::lock_guard<std::mutex> lock(group_mutex);
    current_group = std::move(group);
}

}  // namespace spool
