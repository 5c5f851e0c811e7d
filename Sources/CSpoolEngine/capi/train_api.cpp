// train_api.cpp — the trainer and prediction handles.
#include "capi/guard.h"
#include "data/polygons.h"

#include <cmath>

using namespace spool::capi;

extern "C" {

spool_trainer_params spool_trainer_default_params(void) {
    const spool::TrainerConfig c;
    spool_trainer_params p;
    std::memset(&p, 0, sizeof(p));
    p.optimizer = SPOOL_OPT_SGD;
    p.learning_rate = c.learning_rate;
    p.momentum = c.momentum;
    p.weight_decay = c.weight_decay;
    p.nesterov = c.nesterov ? 1 : 0;
    p.beta1 = c.beta1;
    p.beta2 = c.beta2;
    p.amsgrad = c.amsgrad ? 1 : 0;
    p.grad_accumulation_step = c.grad_accumulation_step;
    p.class_weights = nullptr;
    p.num_class_weights = 0;
    p.memory_format = SPOOL_MEMORY_AUTO;
    p.schedule = SPOOL_SCHEDULE_PLAIN;
    p.warmup_iterations = 0;
    p.nominal_batch_size = c.nominal_batch_size;
    p.batch_size = c.batch_size;
    p.ema_decay = 0;
    return p;
}

spool_status spool_trainer_create(spool_model* model, const spool_trainer_params* params, spool_trainer** out) {
    SPOOL_REQUIRE(model && params && out, "arguments must not be NULL");
    SPOOL_REQUIRE(params->optimizer >= 0 && params->optimizer <= 2, "optimizer must be sgd, adam or adamw");
    SPOOL_REQUIRE(params->memory_format >= 0 && params->memory_format <= 2, "memory_format must be a spool_memory_format");
    SPOOL_REQUIRE(params->schedule == SPOOL_SCHEDULE_PLAIN || params->schedule == SPOOL_SCHEDULE_ULTRALYTICS,
                  "schedule must be a spool_optimizer_schedule: 0 (plain) or 1 (ultralytics)");
    SPOOL_REQUIRE(params->num_class_weights == 0 || params->num_class_weights == model->num_classes,
                  "class_weights must hold one weight per class");
    *out = nullptr;
    SPOOL_GUARD({
        spool::TrainerConfig c;
        c.optimizer = static_cast<spool::OptimizerKind>(params->optimizer);
        c.learning_rate = params->learning_rate;
        c.momentum = params->momentum;
        c.weight_decay = params->weight_decay;
        c.nesterov = params->nesterov != 0;
        c.beta1 = params->beta1;
        c.beta2 = params->beta2;
        c.amsgrad = params->amsgrad != 0;
        c.grad_accumulation_step = params->grad_accumulation_step;
        c.memory_format = static_cast<spool::MemoryFormatChoice>(params->memory_format);
        c.seed = params->seed;
        c.schedule = static_cast<spool::OptimizerSchedule>(params->schedule);
        c.warmup_iterations = params->warmup_iterations;
        c.nominal_batch_size = params->nominal_batch_size;
        c.batch_size = params->batch_size;
        c.ema_decay = params->ema_decay;
        if (params->class_weights && params->num_class_weights > 0)
            c.class_weights.assign(params->class_weights, params->class_weights + params->num_class_weights);
        auto trainer = std::make_unique<spool_trainer>();
        trainer->impl = std::make_unique<spool::Trainer>(model->net, model->device, c);
        *out = trainer.release();
    });
}

void spool_trainer_free(spool_trainer* trainer) { delete trainer; }

spool_status spool_trainer_set_learning_rate(spool_trainer* trainer, double lr) {
    SPOOL_REQUIRE(trainer, "trainer is NULL");
    SPOOL_REQUIRE(lr >= 0, "learning rate must be >= 0");
    SPOOL_GUARD(trainer->impl->set_learning_rate(lr));
}

spool_status spool_trainer_use_average(spool_trainer* trainer, int32_t average, int32_t* has_average) {
    SPOOL_REQUIRE(trainer, "trainer is NULL");
    SPOOL_GUARD({
        trainer->impl->use_average(average != 0);
        if (has_average) *has_average = trainer->impl->has_average() ? 1 : 0;
    });
}

spool_status spool_trainer_step(spool_trainer* trainer, spool_loader* loader, spool_step_result* out) {
    SPOOL_REQUIRE(trainer && loader && out, "arguments must not be NULL");
    SPOOL_GUARD({
        const auto r = trainer->impl->step(*loader->impl);
        std::memset(out, 0, sizeof(*out));
        out->loss = r.loss;
        out->images = r.images;
        out->updated = r.updated ? 1 : 0;
        out->num_losses = static_cast<int32_t>(std::min<size_t>(r.losses.size(), SPOOL_MAX_LOSSES));
        for (int32_t i = 0; i < out->num_losses; ++i) {
            copy_into(out->loss_names[i], sizeof(out->loss_names[i]), r.losses[static_cast<size_t>(i)].first);
            out->loss_values[i] = r.losses[static_cast<size_t>(i)].second;
        }
    });
}

spool_status spool_trainer_flush(spool_trainer* trainer) {
    SPOOL_REQUIRE(trainer, "trainer is NULL");
    SPOOL_GUARD(trainer->impl->flush());
}

spool_status spool_trainer_memory_format(spool_trainer* trainer, char** out) {
    SPOOL_REQUIRE(trainer && out, "arguments must not be NULL");
    SPOOL_GUARD(*out = copy_string(trainer->impl->memory_format_note()));
}

spool_status spool_trainer_save_state(spool_trainer* trainer, const char* path) {
    SPOOL_REQUIRE(trainer && path, "arguments must not be NULL");
    SPOOL_GUARD(trainer->impl->save_state(path));
}

spool_status spool_trainer_load_state(spool_trainer* trainer, const char* path) {
    SPOOL_REQUIRE(trainer && path, "arguments must not be NULL");
    SPOOL_GUARD(trainer->impl->load_state(path));
}

spool_status spool_predict(spool_model* model, spool_loader* loader, spool_prediction** out) {
    SPOOL_REQUIRE(model && loader && out, "arguments must not be NULL");
    *out = nullptr;
    SPOOL_GUARD({
        auto p = std::make_unique<spool_prediction>();
        p->value = spool::predict(*model->net, model->device, *loader->impl);
        *out = p.release();
    });
}

void spool_prediction_free(spool_prediction* prediction) { delete prediction; }

spool_status spool_prediction_count(const spool_prediction* prediction, int64_t* out) {
    SPOOL_REQUIRE(prediction && out, "arguments must not be NULL");
    SPOOL_GUARD(*out = prediction->value.count);
}

spool_status spool_prediction_loss(const spool_prediction* prediction, double* out) {
    SPOOL_REQUIRE(prediction && out, "arguments must not be NULL");
    SPOOL_GUARD(*out = prediction->value.mean_loss);
}

spool_status spool_prediction_scores(const spool_prediction* prediction, int64_t image, float* out, int64_t capacity) {
    SPOOL_REQUIRE(prediction && out, "arguments must not be NULL");
    const auto& p = prediction->value;
    SPOOL_REQUIRE(spool::is_classification(p.task), "scores are a classification result; use spool_prediction_detections");
    SPOOL_REQUIRE(image >= 0 && image < p.count, "no image at that index");
    SPOOL_REQUIRE(capacity >= p.num_classes, "capacity is smaller than the number of classes");
    SPOOL_GUARD(std::memcpy(out, p.scores.data() + image * p.num_classes, sizeof(float) * static_cast<size_t>(p.num_classes)));
}

spool_status spool_prediction_num_detections(const spool_prediction* prediction, int64_t image, int64_t* count,
                                             int32_t* width, int32_t* height) {
    SPOOL_REQUIRE(prediction && count, "arguments must not be NULL");
    const auto& p = prediction->value;
    SPOOL_REQUIRE(!spool::is_classification(p.task), "detections are a detection result; use spool_prediction_scores");
    SPOOL_REQUIRE(image >= 0 && image < static_cast<int64_t>(p.detections.size()), "no image at that index");
    SPOOL_GUARD({
        const auto& d = p.detections[static_cast<size_t>(image)];
        *count = static_cast<int64_t>(d.scores.size());
        if (width) *width = d.width;
        if (height) *height = d.height;
    });
}

spool_status spool_prediction_detections(const spool_prediction* prediction, int64_t image, float* boxes, float* scores,
                                         int32_t* labels, int64_t capacity) {
    SPOOL_REQUIRE(prediction && boxes && scores && labels, "arguments must not be NULL");
    const auto& p = prediction->value;
    SPOOL_REQUIRE(!spool::is_classification(p.task), "detections are a detection result; use spool_prediction_scores");
    SPOOL_REQUIRE(image >= 0 && image < static_cast<int64_t>(p.detections.size()), "no image at that index");
    const auto& d = p.detections[static_cast<size_t>(image)];
    SPOOL_REQUIRE(capacity >= static_cast<int64_t>(d.scores.size()), "capacity is smaller than the detections");
    SPOOL_GUARD({
        std::memcpy(boxes, d.boxes.data(), sizeof(float) * d.boxes.size());
        std::memcpy(scores, d.scores.data(), sizeof(float) * d.scores.size());
        std::memcpy(labels, d.labels.data(), sizeof(int32_t) * d.labels.size());
    });
}

namespace {

const spool::Prediction::Detections* segmentation_detection(const spool_prediction* prediction, int64_t image, int64_t detection) {
    const auto& p = prediction->value;
    if (p.task != spool::Task::segmentation) return nullptr;
    if (image < 0 || image >= static_cast<int64_t>(p.detections.size())) return nullptr;
    const auto& d = p.detections[static_cast<size_t>(image)];
    if (detection < 0 || detection >= static_cast<int64_t>(d.scores.size())) return nullptr;
    return &d;
}

spool_status copy_parts(const std::vector<std::vector<float>>& parts, float* points, int64_t points_capacity,
                        int64_t* part_lengths, int64_t parts_capacity, int64_t* num_points, int64_t* num_parts) {
    int64_t total = 0;
    for (const auto& part : parts) total += static_cast<int64_t>(part.size());
    *num_points = total;
    *num_parts = static_cast<int64_t>(parts.size());
    if (!points && !part_lengths) return SPOOL_OK;
    SPOOL_REQUIRE(points && part_lengths, "points and part_lengths are both given, or neither");
    SPOOL_REQUIRE(points_capacity >= total && parts_capacity >= *num_parts, "the buffers are smaller than the polygons");
    int64_t at = 0;
    for (size_t i = 0; i < parts.size(); ++i) {
        std::memcpy(points + at, parts[i].data(), sizeof(float) * parts[i].size());
        part_lengths[i] = static_cast<int64_t>(parts[i].size());
        at += static_cast<int64_t>(parts[i].size());
    }
    return SPOOL_OK;
}

spool_status copy_counts(const std::vector<uint32_t>& rle, uint32_t* counts, int64_t capacity, int64_t* length) {
    *length = static_cast<int64_t>(rle.size());
    if (!counts) return SPOOL_OK;
    SPOOL_REQUIRE(capacity >= *length, "capacity is smaller than the run lengths");
    std::memcpy(counts, rle.data(), sizeof(uint32_t) * rle.size());
    return SPOOL_OK;
}

}  // namespace

spool_status spool_prediction_mask(const spool_prediction* prediction, int64_t image, int64_t detection, float* out,
                                   int64_t capacity) {
    SPOOL_REQUIRE(prediction && out, "arguments must not be NULL");
    const auto* d = segmentation_detection(prediction, image, detection);
    SPOOL_REQUIRE(d, "no segmentation detection at that image and index");
    SPOOL_REQUIRE(capacity >= static_cast<int64_t>(d->width) * d->height, "capacity is smaller than the image");
    SPOOL_GUARD({
        auto mask = spool::pasted_mask(*d, detection);
        std::memcpy(out, mask.data(), sizeof(float) * mask.size());
    });
}

spool_status spool_prediction_polygons(const spool_prediction* prediction, int64_t image, int64_t detection, float* points,
                                       int64_t points_capacity, int64_t* part_lengths, int64_t parts_capacity,
                                       int64_t* num_points, int64_t* num_parts) {
    SPOOL_REQUIRE(prediction && num_points && num_parts, "arguments must not be NULL");
    const auto* d = segmentation_detection(prediction, image, detection);
    SPOOL_REQUIRE(d, "no segmentation detection at that image and index");
    return copy_parts(d->polygons[static_cast<size_t>(detection)], points, points_capacity, part_lengths, parts_capacity,
                      num_points, num_parts);
}

spool_status spool_prediction_mask_rle(const spool_prediction* prediction, int64_t image, int64_t detection,
                                       uint32_t* counts, int64_t capacity, int64_t* length) {
    SPOOL_REQUIRE(prediction && length, "arguments must not be NULL");
    const auto* d = segmentation_detection(prediction, image, detection);
    SPOOL_REQUIRE(d, "no segmentation detection at that image and index");
    return copy_counts(d->rle[static_cast<size_t>(detection)], counts, capacity, length);
}

spool_status spool_rasterize_polygons(const float* points, const int64_t* part_lengths, int64_t num_parts, int32_t height,
                                      int32_t width, uint8_t* mask) {
    SPOOL_REQUIRE(mask && (num_parts == 0 || (points && part_lengths)), "arguments must not be NULL");
    SPOOL_REQUIRE(height > 0 && width > 0, "the mask has no pixels");
    SPOOL_GUARD({
        std::vector<std::vector<float>> parts;
        int64_t at = 0;
        for (int64_t i = 0; i < num_parts; ++i) {
            parts.emplace_back(points + at, points + at + part_lengths[i]);
            at += part_lengths[i];
        }
        spool::rasterize_polygons(parts, height, width, mask);
    });
}

spool_status spool_mask_polygons(const uint8_t* mask, int32_t height, int32_t width, int32_t max_points, float* points,
                                 int64_t points_capacity, int64_t* part_lengths, int64_t parts_capacity,
                                 int64_t* num_points, int64_t* num_parts) {
    SPOOL_REQUIRE(mask && num_points && num_parts, "arguments must not be NULL");
    return copy_parts(spool::mask_to_polygons(mask, height, width, max_points), points, points_capacity, part_lengths,
                      parts_capacity, num_points, num_parts);
}

}  // extern "C"
