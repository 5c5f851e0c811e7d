// guard.h — the handles behind the C ABI's opaque types, and the guard every entry point runs its body in:
// any C++ exception becomes a status and a thread-local message, so none crosses into Swift or C.
#pragma once

#include "spool_engine.h"

#include "data/loader.h"
#include "io/weights_file.h"
#include "models/model.h"
#include "train/trainer.h"

#include <c10/util/Exception.h>

#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>

struct spool_model {
    std::shared_ptr<spool::Model> net;
    torch::Device device{torch::kCPU};
    std::string name;
    int64_t num_classes = 0;
};

struct spool_dataset {
    std::shared_ptr<spool::Dataset> data;
};

struct spool_loader {
    std::unique_ptr<spool::Loader> impl;
    std::vector<int32_t> heights, widths;  // the current batch's sizes, for spool_batch_view
    std::vector<float> boxes;              // detection: the current batch's boxes and labels, image after image
    std::vector<int32_t> labels, box_counts;
    std::vector<int32_t> part_counts, part_lengths;  // segmentation: the current batch's polygons
    std::vector<float> polygon_points;
};

struct spool_trainer {
    std::unique_ptr<spool::Trainer> impl;
};

struct spool_process_group {
    std::shared_ptr<spool::ProcessGroup> impl;
};

struct spool_prediction {
    spool::Prediction value;
};

namespace spool::capi {

spool_status fail(spool_status status, const std::string& message);
const char* last_error_text();
bool looks_like_oom(const std::string& message);
char* copy_string(const std::string& s);
void copy_into(char* dst, size_t capacity, const std::string& s);
torch::Device parse_device(const char* text);

}  // namespace spool::capi

#define SPOOL_GUARD(...)                                                                               \
    try {                                                                                               \
        __VA_ARGS__;                                                                                    \
        return SPOOL_OK;                                                                                \
    } catch (const c10::Error& e) {                                                                     \
        const std::string m = e.what_without_backtrace();                                               \
        return spool::capi::fail(spool::capi::looks_like_oom(m) ? SPOOL_ERR_OUT_OF_MEMORY : SPOOL_ERR_TORCH, m); \
    } catch (const std::bad_alloc&) {                                                                   \
        return spool::capi::fail(SPOOL_ERR_OUT_OF_MEMORY, "out of host memory");                        \
    } catch (const spool::ImageError& e) {                                                              \
        return spool::capi::fail(SPOOL_ERR_IO, e.what());                                               \
    } catch (const spool::HeadShapeError& e) {                                                          \
        return spool::capi::fail(SPOOL_ERR_HEAD_SHAPE, e.what());                                       \
    } catch (const spool::WeightsError& e) {                                                            \
        return spool::capi::fail(SPOOL_ERR_WEIGHTS, e.what());                                          \
    } catch (const std::invalid_argument& e) {                                                          \
        return spool::capi::fail(SPOOL_ERR_INVALID_ARGUMENT, e.what());                                 \
    } catch (const std::ios_base::failure& e) {                                                         \
        return spool::capi::fail(SPOOL_ERR_IO, e.what());                                               \
    } catch (const std::exception& e) {                                                                 \
        const std::string m = e.what();                                                                 \
        return spool::capi::fail(spool::capi::looks_like_oom(m) ? SPOOL_ERR_OUT_OF_MEMORY : SPOOL_ERR_INTERNAL, m); \
    } catch (...) {                                                                                     \
        return spool::capi::fail(SPOOL_ERR_INTERNAL, "unknown C++ exception");                          \
    }

#define SPOOL_REQUIRE(cond, what) \
    if (!(cond)) return spool::capi::fail(SPOOL_ERR_INVALID_ARGUMENT, what)
