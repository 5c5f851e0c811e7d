// model_api.cpp — building, loading, saving and freezing models; classifier logits for parity checks; the
// gradient self-check.
#include "capi/guard.h"

#include "io/safetensors.h"
#include "io/state_dict.h"
#include "models/classification/classifier.h"
#include "models/registry.h"

#include <torch/utils.h>

using namespace spool::capi;

extern "C" {

spool_status spool_model_catalog(char** out) {
    SPOOL_REQUIRE(out, "out is NULL");
    SPOOL_GUARD(*out = copy_string(spool::model_catalog_json()));
}

spool_status spool_model_create_v2(const spool_model_spec* spec, const char* options_json, spool_model** out) {
    SPOOL_REQUIRE(spec && out, "spec and out must not be NULL");
    SPOOL_REQUIRE(spec->name, "model name is NULL");
    SPOOL_REQUIRE(spec->task >= 0 && spec->task <= 3, "task must be a spool_task");
    *out = nullptr;
    SPOOL_GUARD({
        auto model = std::make_unique<spool_model>();
        model->device = parse_device(spec->device ? spec->device : "cpu");
        model->net = spool::make_model(spec->name, static_cast<spool::Task>(spec->task), spec->num_classes, options_json);
        model->net->to(model->device);
        model->name = spec->name;
        model->num_classes = spec->num_classes;
        *out = model.release();
    });
}

void spool_model_free(spool_model* model) { delete model; }

spool_status spool_model_load(spool_model* model, const char* path, int32_t replace_head, spool_load_report* report) {
    SPOOL_REQUIRE(model && path, "model and path must not be NULL");
    SPOOL_GUARD({
        const auto r = spool::load_weights(*model->net, model->name, path, replace_head != 0);
        if (report) {
            report->loaded = r.loaded;
            report->skipped_head = r.skipped_head;
            report->unexpected = r.unexpected;
            report->missing = r.missing;
            report->backbone_only = r.backbone_only ? 1 : 0;
        }
    });
}

spool_status spool_model_save(spool_model* model, const char* path) {
    SPOOL_REQUIRE(model && path, "model and path must not be NULL");
    SPOOL_GUARD({
        // Saved contiguous, whatever memory format training chose: the reference loads it as it is.
        auto tensors = spool::named_tensors(*model->net);
        for (auto& [name, t] : tensors) t = t.contiguous();
        spool::write_safetensors(path, tensors, {{"format", "pt"}, {"spool_model", model->name}});
    });
}

spool_status spool_model_freeze(spool_model* model, int32_t groups) {
    SPOOL_REQUIRE(model, "model is NULL");
    SPOOL_GUARD({
        const auto count = model->net->layer_groups().size();
        if (groups < 0 || groups > static_cast<int32_t>(count))
            throw std::invalid_argument("layers_to_freeze = " + std::to_string(groups) + ": model '" + model->name +
                                        "' has " + std::to_string(count) + " layer groups (allowed 0..." +
                                        std::to_string(count) + ")");
        spool::freeze_layer_groups(*model->net, groups);
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
    int64_t written = 0;
    return spool_model_forward_v2(model, input, shape, out_logits, capacity, &written);
}

spool_status spool_model_forward_v2(spool_model* model, const float* input, const int64_t shape[4], float* out,
                                    int64_t capacity, int64_t* written) {
    SPOOL_REQUIRE(model && input && shape && out && written, "arguments must not be NULL");
    SPOOL_REQUIRE(shape[0] > 0 && shape[1] == 3 && shape[2] > 0 && shape[3] > 0, "input must be N x 3 x H x W");
    SPOOL_GUARD({
        torch::NoGradGuard no_grad;
        spool::ModeGuard mode(*model->net, /*train=*/false);
        auto x = torch::from_blob(const_cast<float*>(input), {shape[0], shape[1], shape[2], shape[3]}).to(model->device);
        auto result = model->net->forward_raw(x).to(torch::kCPU, torch::kFloat32).contiguous();
        if (result.numel() > capacity)
            throw std::invalid_argument("output capacity " + std::to_string(capacity) + " is smaller than the " +
                                        std::to_string(result.numel()) + " values of the output");
        std::memcpy(out, result.data_ptr<float>(), result.numel() * sizeof(float));
        *written = result.numel();
    });
}

spool_status spool_model_gradient_check(spool_model* model, spool_loader* loader, spool_gradient_report* report,
                                        char** missing_names) {
    SPOOL_REQUIRE(model && loader && report, "arguments must not be NULL");
    SPOOL_GUARD({
        spool::ModeGuard mode(*model->net, /*train=*/true);
        model->net->zero_grad();
        const spool::Batch* batch = loader->impl->next();
        if (batch == nullptr) throw std::invalid_argument("the loader has no batch left: start an epoch first");
        auto input = spool::to_model_input(*batch, loader->impl->dataset(), model->device);
        auto output = model->net->run(input);
        torch::Tensor total;
        bool finite = true;
        for (auto& [name, value] : output.losses) {
            finite = finite && torch::isfinite(value).all().item<bool>();
            total = total.defined() ? total + value : value;
        }
        if (!total.defined()) throw std::logic_error("the model returned no loss in training mode");
        total.backward();
        std::memset(report, 0, sizeof(*report));
        report->loss = total.item<double>();
        report->outputs_finite = finite ? 1 : 0;
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
        if (missing_names) *missing_names = copy_string(missing);
    });
}

}  // extern "C"
