// engine_capi.cpp — the C ABI (include/spool_engine.h) over the C++ engine.
//
// Every entry point runs its body inside SPOOL_GUARD, which turns any C++ exception into a status and a
// thread-local message: no exception crosses into Swift or C.
#include "spool_engine.h"

#include "data/loader.h"
#include "io/safetensors.h"
#include "io/weights_file.h"
#include "models/registry.h"
#include "train/trainer.h"

#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <torch/cuda.h>
#include <torch/nn/functional/loss.h>
#include <torch/serialize.h>
#include <torch/utils.h>
#include <torch/version.h>

#include <cstring>
#include <fstream>
#include <new>
#include <set>
#include <sstream>
#include <thread>

struct spool_model {
    std::shared_ptr<spool::Classifier> net;
    torch::Device device{torch::kCPU};
    std::string name;
    int64_t num_classes = 0;
};

struct spool_loader {
    std::unique_ptr<spool::Loader> impl;
};

struct spool_trainer {
    std::unique_ptr<spool::Trainer> impl;
};

namespace {

thread_local std::string last_error;

using spool::WeightsError;

spool_status fail(spool_status status, const std::string& message) {
    last_error = message;
    return status;
}

bool looks_like_oom(const std::string& message) {
    return message.find("out of memory") != std::string::npos ||
           message.find("DefaultCPUAllocator: can't allocate") != std::string::npos;
}

#define SPOOL_GUARD(...)                                                                            \
    try {                                                                                            \
        __VA_ARGS__;                                                                                 \
        return SPOOL_OK;                                                                             \
    } catch (const c10::Error& e) {                                                                  \
        const std::string m = e.what_without_backtrace();                                            \
        return fail(looks_like_oom(m) ? SPOOL_ERR_OUT_OF_MEMORY : SPOOL_ERR_TORCH, m);               \
    } catch (const std::bad_alloc&) {                                                                \
        return fail(SPOOL_ERR_OUT_OF_MEMORY, "out of host memory");                                  \
    } catch (const spool::ImageError& e) {                                                           \
        return fail(SPOOL_ERR_IO, e.what());                                                         \
    } catch (const WeightsError& e) {                                                                \
        return fail(SPOOL_ERR_WEIGHTS, e.what());                                                    \
    } catch (const std::invalid_argument& e) {                                                       \
        return fail(SPOOL_ERR_INVALID_ARGUMENT, e.what());                                           \
    } catch (const std::ios_base::failure& e) {                                                      \
        return fail(SPOOL_ERR_IO, e.what());                                                         \
    } catch (const std::exception& e) {                                                              \
        const std::string m = e.what();                                                              \
        return fail(looks_like_oom(m) ? SPOOL_ERR_OUT_OF_MEMORY : SPOOL_ERR_INTERNAL, m);            \
    } catch (...) {                                                                                  \
        return fail(SPOOL_ERR_INTERNAL, "unknown C++ exception");                                    \
    }

#define SPOOL_REQUIRE(cond, what)                                                                    \
    if (!(cond)) return fail(SPOOL_ERR_INVALID_ARGUMENT, what)

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

spool::LoaderConfig to_config(const spool_loader_params& p) {
    spool::LoaderConfig c;
    c.batch_size = p.batch_size;
    c.train = p.train != 0;
    c.crop_size = p.crop_size;
    c.resize_size = p.resize_size;
    for (int i = 0; i < 3; ++i) {
        c.mean[i] = p.mean[i];
        c.std[i] = p.std[i];
        if (!(p.std[i] > 0)) throw std::invalid_argument("std must be positive");
    }
    c.scale_min = p.scale_min;
    c.scale_max = p.scale_max;
    c.ratio_min = p.ratio_min;
    c.ratio_max = p.ratio_max;
    c.hflip_prob = p.hflip_prob;
    c.brightness = p.brightness;
    c.contrast = p.contrast;
    c.saturation = p.saturation;
    c.hue = p.hue;
    c.drop_last = p.drop_last != 0;
    c.seed = p.seed;
    c.workers = p.workers;
    c.prefetch = p.prefetch;
    if (c.resize_size < 1) throw std::invalid_argument("resize_size must be at least 1");
    if (!(c.scale_min > 0 && c.scale_min <= c.scale_max && c.scale_max <= 1))
        throw std::invalid_argument("scale must satisfy 0 < min <= max <= 1");
    if (!(c.ratio_min > 0 && c.ratio_min <= c.ratio_max)) throw std::invalid_argument("ratio must satisfy 0 < min <= max");
    if (c.hue < 0 || c.hue > 0.5f) throw std::invalid_argument("hue must be in [0, 0.5]");
    return c;
}

// Every parameter and buffer under its reference name.
std::vector<std::pair<std::string, torch::Tensor>> model_tensors(spool::Classifier& net) {
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (const auto& p : net.named_parameters(true)) out.emplace_back(p.key(), p.value());
    for (const auto& b : net.named_buffers(true)) out.emplace_back(b.key(), b.value());
    return out;
}

/// The file's tensors under the model's names: as they are, or without the "module."/"model." prefix a
/// training wrapper adds, whichever matches more of the model.
std::map<std::string, torch::Tensor> read_weights_for(const std::string& path, spool::Classifier& net) {
    auto tensors = spool::read_weights(path);
    std::set<std::string> names;
    for (const auto& [name, t] : model_tensors(net)) names.insert(name);
    auto matches = [&](const std::map<std::string, torch::Tensor>& m) {
        size_t n = 0;
        for (const auto& kv : m) n += names.count(kv.first);
        return n;
    };
    for (const std::string prefix : {"module.", "model."}) {
        std::map<std::string, torch::Tensor> stripped;
        for (auto& kv : tensors)
            if (kv.first.rfind(prefix, 0) == 0) stripped[kv.first.substr(prefix.size())] = kv.second;
        if (matches(stripped) > matches(tensors)) tensors.swap(stripped);
    }
    return tensors;
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

}  // namespace

extern "C" {

const char* spool_last_error(void) { return last_error.c_str(); }

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

spool_model_params spool_model_default_params(void) {
    spool_model_params p;
    p.name = "vitb16r224";
    p.num_classes = 1000;
    p.image_size = 224;
    p.device = "cpu";
    return p;
}

spool_status spool_model_names(char** out) {
    SPOOL_REQUIRE(out, "out is NULL");
    SPOOL_GUARD({
        std::string text;
        for (const auto& n : spool::classifier_names()) text += n + "\n";
        *out = copy_string(text);
    });
}

spool_status spool_model_create(const spool_model_params* params, spool_model** out) {
    SPOOL_REQUIRE(params && out, "params and out must not be NULL");
    SPOOL_REQUIRE(params->name, "model name is NULL");
    *out = nullptr;
    SPOOL_GUARD({
        auto model = std::make_unique<spool_model>();
        spool::ClassifierConfig config;
        config.num_classes = params->num_classes;
        config.image_size = params->image_size > 0 ? params->image_size : 224;
        model->net = spool::make_classifier(params->name, config);
        model->device = parse_device(params->device);
        model->net->to(model->device);
        model->name = params->name;
        model->num_classes = params->num_classes;
        *out = model.release();
    });
}

void spool_model_free(spool_model* model) { delete model; }

spool_status spool_model_load(spool_model* model, const char* path, int32_t replace_head, spool_load_report* report) {
    SPOOL_REQUIRE(model && path, "model and path must not be NULL");
    SPOOL_GUARD({
        auto file = read_weights_for(path, *model->net);
        const std::string head = model->net->head_prefix();
        spool_load_report r{0, 0, 0};
        std::vector<std::string> missing, mismatched;
        std::set<std::string> used;
        torch::NoGradGuard no_grad;
        for (auto& [name, tensor] : model_tensors(*model->net)) {
            const bool is_head = name.rfind(head, 0) == 0;
            if (replace_head && is_head) {
                ++r.skipped_head;
                used.insert(name);
                continue;
            }
            auto it = file.find(name);
            if (it == file.end()) {
                missing.push_back(name);
                continue;
            }
            used.insert(name);
            if (it->second.sizes() != tensor.sizes()) {
                std::ostringstream s;
                s << name << " (file " << it->second.sizes() << ", model " << tensor.sizes() << ")";
                mismatched.push_back(s.str());
                continue;
            }
            tensor.copy_(it->second.to(tensor.device(), tensor.scalar_type()));
            ++r.loaded;
        }
        std::vector<std::string> unexpected;
        for (const auto& kv : file)
            if (!used.count(kv.first)) unexpected.push_back(kv.first);
        r.unexpected = static_cast<int64_t>(unexpected.size());
        auto list = [](const std::vector<std::string>& names) {
            std::string s;
            for (size_t i = 0; i < names.size() && i < 5; ++i) s += (i ? ", " : "") + names[i];
            if (names.size() > 5) s += ", ... (" + std::to_string(names.size()) + " in all)";
            return s;
        };
        if (!missing.empty() || !mismatched.empty() || (!replace_head && !unexpected.empty())) {
            std::string m = std::string(path) + ": these weights do not fit model '" + model->name + "'.";
            if (!missing.empty()) m += " Missing: " + list(missing) + ".";
            if (!mismatched.empty()) m += " Different shape: " + list(mismatched) + ".";
            if (!replace_head && !unexpected.empty()) m += " Not in the model: " + list(unexpected) + ".";
            m += " Is the file for this architecture, with the reference's (torchvision/timm) names?";
            throw WeightsError(m);
        }
        if (report) *report = r;
    });
}

spool_status spool_model_save(spool_model* model, const char* path) {
    SPOOL_REQUIRE(model && path, "model and path must not be NULL");
    SPOOL_GUARD(spool::write_safetensors(path, model_tensors(*model->net),
                                         {{"format", "pt"}, {"spool_model", model->name}}));
}

spool_status spool_model_freeze(spool_model* model, int32_t groups) {
    SPOOL_REQUIRE(model, "model is NULL");
    SPOOL_GUARD({
        const auto all = model->net->layer_groups();
        if (groups < 0 || groups > static_cast<int32_t>(all.size()))
            throw std::invalid_argument("layers_to_freeze = " + std::to_string(groups) + ": model '" + model->name +
                                        "' has " + std::to_string(all.size()) + " layer groups (allowed 0..." +
                                        std::to_string(all.size()) + ")");
        for (auto& p : model->net->named_parameters(true)) {
            bool frozen = false;
            for (int32_t g = 0; g < groups && !frozen; ++g)
                for (const auto& prefix : all[g])
                    if (p.key().rfind(prefix, 0) == 0) frozen = true;
            p.value().set_requires_grad(!frozen);
        }
    });
}

spool_status spool_model_num_parameters(spool_model* model, int64_t* total, int64_t* trainable) {
    SPOOL_REQUIRE(model && total && trainable, "arguments must not be NULL");
    SPOOL_GUARD({
        *total = 0;
        *trainable = 0;
        for (const auto& p : model->net->parameters()) {
            *total += p.numel();
            if (p.requires_grad()) *trainable += p.numel();
        }
    });
}

spool_status spool_model_num_layer_groups(spool_model* model, int32_t* out) {
    SPOOL_REQUIRE(model && out, "arguments must not be NULL");
    SPOOL_GUARD(*out = static_cast<int32_t>(model->net->layer_groups().size()));
}

spool_status spool_model_forward(spool_model* model, const float* input, const int64_t shape[4], float* out_logits,
                                 int64_t capacity) {
    SPOOL_REQUIRE(model && input && shape && out_logits, "arguments must not be NULL");
    SPOOL_REQUIRE(shape[0] > 0 && shape[1] == 3 && shape[2] > 0 && shape[3] > 0, "input must be N x 3 x H x W");
    SPOOL_REQUIRE(capacity >= shape[0] * model->num_classes, "output capacity is smaller than N * num_classes");
    SPOOL_GUARD({
        torch::NoGradGuard no_grad;
        const bool was_training = model->net->is_training();
        model->net->eval();
        auto x = torch::from_blob(const_cast<float*>(input), {shape[0], shape[1], shape[2], shape[3]}).to(model->device);
        auto logits = model->net->forward(x).to(torch::kCPU, torch::kFloat32).contiguous();
        model->net->train(was_training);
        std::memcpy(out_logits, logits.data_ptr<float>(), logits.numel() * sizeof(float));
    });
}

spool_status spool_model_gradient_check(spool_model* model, const float* input, const int64_t shape[4],
                                        spool_gradient_report* report, char** missing_names) {
    SPOOL_REQUIRE(model && input && shape && report, "arguments must not be NULL");
    SPOOL_REQUIRE(shape[0] > 1 && shape[1] == 3, "input must be N x 3 x H x W with N >= 2 (batch norm)");
    SPOOL_GUARD({
        const bool was_training = model->net->is_training();
        model->net->train();
        model->net->zero_grad();
        auto x = torch::from_blob(const_cast<float*>(input), {shape[0], shape[1], shape[2], shape[3]}).to(model->device);
        auto logits = model->net->forward(x);
        auto target = torch::zeros({shape[0]}, torch::TensorOptions().dtype(torch::kLong).device(model->device));
        auto loss = torch::nn::functional::cross_entropy(logits, target);
        loss.backward();
        std::memset(report, 0, sizeof(*report));
        report->loss = loss.item<double>();
        report->outputs_finite = torch::isfinite(logits).all().item<bool>() ? 1 : 0;
        std::string missing;
        for (const auto& p : model->net->named_parameters(true)) {
            if (!p.value().requires_grad()) continue;
            ++report->parameters;
            const auto& g = p.value().grad();
            if (!g.defined()) {  // not reached by backward: an unused module, or a broken graph
                ++report->without_gradient;
                missing += p.key() + "\n";
            } else if (!torch::isfinite(g).all().item<bool>()) {
                ++report->non_finite;
                missing += p.key() + " (non-finite)\n";
            }
        }
        model->net->zero_grad();
        model->net->train(was_training);
        if (missing_names) *missing_names = copy_string(missing);
    });
}

spool_loader_params spool_loader_default_params(void) {
    const spool::LoaderConfig c;
    spool_loader_params p;
    std::memset(&p, 0, sizeof(p));
    p.batch_size = c.batch_size;
    p.train = 0;
    p.crop_size = c.crop_size;
    p.resize_size = c.resize_size;
    for (int i = 0; i < 3; ++i) {
        p.mean[i] = c.mean[i];
        p.std[i] = c.std[i];
    }
    p.scale_min = c.scale_min;
    p.scale_max = c.scale_max;
    p.ratio_min = c.ratio_min;
    p.ratio_max = c.ratio_max;
    p.hflip_prob = c.hflip_prob;
    p.brightness = c.brightness;
    p.contrast = c.contrast;
    p.saturation = c.saturation;
    p.hue = c.hue;
    p.drop_last = 0;
    p.seed = 0;
    p.workers = c.workers;
    p.prefetch = c.prefetch;
    return p;
}

spool_status spool_loader_create(const char* const* paths, const float* targets, int64_t count, int32_t target_width,
                                 const spool_loader_params* params, spool_loader** out) {
    SPOOL_REQUIRE(out && params, "out and params must not be NULL");
    SPOOL_REQUIRE(count >= 0 && (count == 0 || (paths && targets)), "paths and targets must hold count entries");
    *out = nullptr;
    SPOOL_GUARD({
        std::vector<std::string> p(paths, paths + count);
        std::vector<float> t(targets, targets + count * target_width);
        auto loader = std::make_unique<spool_loader>();
        loader->impl = std::make_unique<spool::Loader>(std::move(p), std::move(t), target_width, to_config(*params));
        *out = loader.release();
    });
}

void spool_loader_free(spool_loader* loader) { delete loader; }

spool_status spool_loader_start_epoch(spool_loader* loader, int64_t epoch) {
    SPOOL_REQUIRE(loader, "loader is NULL");
    SPOOL_GUARD(loader->impl->start_epoch(epoch));
}

spool_status spool_loader_num_batches(spool_loader* loader, int64_t* out) {
    SPOOL_REQUIRE(loader && out, "arguments must not be NULL");
    SPOOL_GUARD(*out = loader->impl->num_batches());
}

spool_status spool_loader_next(spool_loader* loader, spool_batch_view* out) {
    SPOOL_REQUIRE(loader && out, "arguments must not be NULL");
    SPOOL_GUARD({
        std::memset(out, 0, sizeof(*out));
        const spool::Batch* b = loader->impl->next();
        out->height = out->width = loader->impl->config().crop_size;
        out->target_width = loader->impl->target_width();
        if (b) {
            out->images = b->images.data();
            out->targets = b->targets.data();
            out->size = b->size;
        }
    });
}

spool_status spool_image_preprocess(const char* path, const spool_loader_params* params, float* out, int64_t capacity) {
    SPOOL_REQUIRE(path && params && out, "arguments must not be NULL");
    SPOOL_GUARD({
        const auto config = to_config(*params);
        if (capacity < 3LL * config.crop_size * config.crop_size)
            throw std::invalid_argument("capacity is smaller than 3 x crop x crop");
        spool::preprocess_for_eval(path, config, out);
    });
}

spool_status spool_image_probe(const char* path, int32_t* width, int32_t* height) {
    SPOOL_REQUIRE(path && width && height, "arguments must not be NULL");
    SPOOL_GUARD({
        const auto image = spool::decode_image(path);
        *width = image.width;
        *height = image.height;
    });
}

spool_status spool_image_write(const char* path, const uint8_t* pixels, int32_t width, int32_t height, int32_t channels) {
    SPOOL_REQUIRE(path && pixels, "arguments must not be NULL");
    SPOOL_GUARD(spool::write_image(path, pixels, width, height, channels));
}

spool_trainer_params spool_trainer_default_params(void) {
    const spool::TrainerConfig c;
    spool_trainer_params p;
    std::memset(&p, 0, sizeof(p));
    p.task = SPOOL_TASK_MULTICLASS;
    p.optimizer = SPOOL_OPT_SGD;
    p.learning_rate = c.learning_rate;
    p.momentum = c.momentum;
    p.weight_decay = c.weight_decay;
    p.nesterov = c.nesterov ? 1 : 0;
    p.beta1 = c.beta1;
    p.beta2 = c.beta2;
    p.amsgrad = 0;
    p.grad_accumulation_step = 1;
    p.class_weights = nullptr;
    p.num_class_weights = 0;
    return p;
}

spool_status spool_trainer_create(spool_model* model, const spool_trainer_params* params, spool_trainer** out) {
    SPOOL_REQUIRE(model && params && out, "arguments must not be NULL");
    SPOOL_REQUIRE(params->task == SPOOL_TASK_MULTICLASS || params->task == SPOOL_TASK_MULTILABEL, "unknown task");
    SPOOL_REQUIRE(params->optimizer >= SPOOL_OPT_SGD && params->optimizer <= SPOOL_OPT_ADAMW, "unknown optimizer");
    SPOOL_REQUIRE(params->num_class_weights == 0 || params->num_class_weights == model->num_classes,
                  "class_weights must have one weight per class");
    *out = nullptr;
    SPOOL_GUARD({
        spool::TrainerConfig c;
        c.task = static_cast<spool::TaskKind>(params->task);
        c.optimizer = static_cast<spool::OptimizerKind>(params->optimizer);
        c.learning_rate = params->learning_rate;
        c.momentum = params->momentum;
        c.weight_decay = params->weight_decay;
        c.nesterov = params->nesterov != 0;
        c.beta1 = params->beta1;
        c.beta2 = params->beta2;
        c.amsgrad = params->amsgrad != 0;
        c.grad_accumulation_step = params->grad_accumulation_step;
        if (params->class_weights && params->num_class_weights > 0)
            c.class_weights.assign(params->class_weights, params->class_weights + params->num_class_weights);
        auto trainer = std::make_unique<spool_trainer>();
        trainer->impl = std::make_unique<spool::Trainer>(model->net, model->device, std::move(c));
        *out = trainer.release();
    });
}

void spool_trainer_free(spool_trainer* trainer) { delete trainer; }

spool_status spool_trainer_set_learning_rate(spool_trainer* trainer, double lr) {
    SPOOL_REQUIRE(trainer, "trainer is NULL");
    SPOOL_REQUIRE(lr >= 0, "learning rate must be >= 0");
    SPOOL_GUARD(trainer->impl->set_learning_rate(lr));
}

spool_status spool_trainer_step(spool_trainer* trainer, spool_loader* loader, spool_step_result* out) {
    SPOOL_REQUIRE(trainer && loader && out, "arguments must not be NULL");
    SPOOL_GUARD({
        const auto r = trainer->impl->step(*loader->impl);
        out->loss = r.loss;
        out->images = r.images;
        out->updated = r.updated ? 1 : 0;
    });
}

spool_status spool_trainer_flush(spool_trainer* trainer) {
    SPOOL_REQUIRE(trainer, "trainer is NULL");
    SPOOL_GUARD(trainer->impl->flush());
}

spool_status spool_evaluate(spool_model* model, spool_loader* loader, int32_t task, float* out_probs, int64_t capacity,
                            int64_t* count, double* mean_loss) {
    SPOOL_REQUIRE(model && loader && out_probs && count && mean_loss, "arguments must not be NULL");
    SPOOL_GUARD({
        const auto r = spool::evaluate(*model->net, model->device, *loader->impl, static_cast<spool::TaskKind>(task),
                                       out_probs, capacity);
        *count = r.count;
        *mean_loss = r.mean_loss;
    });
}

}  // extern "C"
