// process_group_api.cpp — the data-parallel handles: a process group, and a trainer made data-parallel over it.
#include "capi/guard.h"

using namespace spool::capi;

extern "C" {

spool_status spool_process_group_create(const spool_process_group_params* params, spool_process_group** out) {
    SPOOL_REQUIRE(params && out && params->host && params->device, "arguments must not be NULL");
    SPOOL_REQUIRE(params->world_size >= 1 && params->rank >= 0 && params->rank < params->world_size,
                  "rank must be in [0, world_size)");
    SPOOL_REQUIRE(params->port > 0 && params->port <= 65535, "port must be 1-65535");
    SPOOL_REQUIRE(params->timeout_seconds > 0, "timeout_seconds must be > 0");
    *out = nullptr;
    SPOOL_GUARD({
        spool::ProcessGroupConfig c;
        c.rank = params->rank;
        c.world_size = params->world_size;
        c.host = params->host;
        c.port = params->port;
        c.timeout_seconds = params->timeout_seconds;
        c.device = parse_device(params->device);
        auto group = std::make_unique<spool_process_group>();
        group->impl = spool::ProcessGroup::connect(c);
        *out = group.release();
    });
}

void spool_process_group_free(spool_process_group* group) { delete group; }

const char* spool_process_group_backend(const spool_process_group* group) {
    if (!group) return "";
    return group->impl->backend() == "nccl" ? "nccl" : "gloo";
}

spool_status spool_process_group_all_reduce(spool_process_group* group, double* values, int64_t n) {
    SPOOL_REQUIRE(group && (values || n == 0) && n >= 0, "arguments must not be NULL");
    SPOOL_GUARD({
        if (n == 0) return SPOOL_OK;
        auto t = torch::from_blob(values, {n}, torch::kFloat64).clone();
        const bool cuda = group->impl->backend() == "nccl";
        if (cuda) t = t.cuda();
        group->impl->all_reduce_sum(t);
        std::memcpy(values, t.cpu().data_ptr<double>(), static_cast<size_t>(n) * sizeof(double));
    });
}

spool_status spool_process_group_broadcast(spool_process_group* group, double* values, int64_t n, int32_t root) {
    SPOOL_REQUIRE(group && (values || n == 0) && n >= 0, "arguments must not be NULL");
    SPOOL_REQUIRE(root >= 0 && root < group->impl->size(), "root must be a rank of the group");
    SPOOL_GUARD({
        if (n == 0) return SPOOL_OK;
        auto t = torch::from_blob(values, {n}, torch::kFloat64).clone();
        if (group->impl->backend() == "nccl") t = t.cuda();
        group->impl->broadcast(t, root);
        std::memcpy(values, t.cpu().data_ptr<double>(), static_cast<size_t>(n) * sizeof(double));
    });
}

spool_status spool_process_group_barrier(spool_process_group* group) {
    SPOOL_REQUIRE(group, "group is NULL");
    SPOOL_GUARD(group->impl->barrier());
}

int32_t spool_process_group_has_nccl(void) { return spool::ProcessGroup::has_nccl() ? 1 : 0; }

spool_status spool_trainer_set_process_group(spool_trainer* trainer, spool_process_group* group) {
    SPOOL_REQUIRE(trainer && group, "arguments must not be NULL");
    SPOOL_GUARD(trainer->impl->set_process_group(group->impl));
}

}  // extern "C"
