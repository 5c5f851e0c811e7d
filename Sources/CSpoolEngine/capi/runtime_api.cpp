// runtime_api.cpp — errors, strings, threads, seeds and what libtorch this is.
#include "capi/guard.h"

#include "models/detection/ops.h"

#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <torch/cuda.h>
#include <torch/utils.h>
#include <torch/version.h>

#include <opencv2/core.hpp>

#include <algorithm>
#include <thread>

namespace spool::capi {

namespace {
thread_local std::string last_error;
}

spool_status fail(spool_status status, const std::string& message) {
    last_error = message;
    return status;
}

const char* last_error_text() { return last_error.c_str(); }

bool looks_like_oom(const std::string& message) {
    return message.find("out of memory") != std::string::npos ||
           message.find("DefaultCPUAllocator: can't allocate") != std::string::npos;
}

char* copy_string(const std::string& s) {
    char* out = static_cast<char*>(std::malloc(s.size() + 1));
    if (out == nullptr) throw std::bad_alloc();
    std::memcpy(out, s.c_str(), s.size() + 1);
    return out;
}

void copy_into(char* dst, size_t capacity, const std::string& s) {
    std::strncpy(dst, s.c_str(), capacity - 1);
    dst[capacity - 1] = '\0';
}

torch::Device parse_device(const char* text) {
    std::string s = text && *text ? text : "cpu";
    if (s == "cpu") return torch::Device(torch::kCPU);
    if (s.rfind("cuda", 0) == 0) {
        if (!torch::cuda::is_available())
            throw std::invalid_argument("device '" + s + "' requested but this libtorch sees no CUDA device");
        torch::Device d(s);
        if (d.has_index() && d.index() >= static_cast<int>(torch::cuda::device_count()))
            throw std::invalid_argument("device '" + s + "' does not exist (" +
                                        std::to_string(torch::cuda::device_count()) + " CUDA devices)");
        return d;
    }
    throw std::invalid_argument("unknown device '" + s + "' (use cpu, cuda or cuda:N)");
}

}  // namespace spool::capi

using namespace spool::capi;

extern "C" {

int32_t spool_abi_version(void) { return SPOOL_ENGINE_ABI_VERSION; }

const char* spool_last_error(void) { return spool::capi::last_error_text(); }

void spool_string_free(char* s) { std::free(s); }

spool_status spool_runtime_get_info(spool_runtime_info* out) {
    SPOOL_REQUIRE(out, "out is NULL");
    SPOOL_GUARD({
        std::memset(out, 0, sizeof(*out));
        copy_into(out->torch_version, sizeof(out->torch_version), TORCH_VERSION);
        out->abi_version = SPOOL_ENGINE_ABI_VERSION;
        out->intra_op_threads = at::get_num_threads();
        out->cuda_available = torch::cuda::is_available() ? 1 : 0;
        out->cuda_device_count = static_cast<int32_t>(torch::cuda::device_count());
        const std::string config = at::show_config();
        std::string blas = "unknown";
        const auto at = config.find("BLAS_INFO=");
        if (at != std::string::npos) {
            const auto end = config.find_first_of(",\n", at);
            blas = config.substr(at + 10, end - at - 10);
        }
        copy_into(out->blas, sizeof(out->blas), blas);
        copy_into(out->kernels, sizeof(out->kernels), spool::detection_kernels_description());
    });
}

spool_status spool_runtime_set_threads(int32_t n) {
    SPOOL_GUARD({
        int threads = n > 0 ? n : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
        at::set_num_threads(threads);
    });
}

spool_status spool_runtime_seed(uint64_t seed) { SPOOL_GUARD(torch::manual_seed(seed)); }

spool_status spool_runtime_config(char** out) {
    SPOOL_REQUIRE(out, "out is NULL");
    SPOOL_GUARD(*out = copy_string(at::show_config() + at::get_parallel_info()));
}

}  // extern "C"
