// data_api.cpp — the dataset builder, loaders and single-image helpers.
#include "capi/guard.h"
#include "data/image_io.h"
#include "data/pipeline.h"
#include "data/tiling.h"
#include "data/transforms/classification.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

using namespace spool::capi;

namespace {

spool::LoaderConfig to_config(const spool_loader_params& p) {
    spool::LoaderConfig c;
    c.batch_size = p.batch_size;
    c.train = p.train != 0;
    if (p.input_kind < SPOOL_INPUT_CROP || p.input_kind > SPOOL_INPUT_LETTERBOX)
        throw std::invalid_argument("input_kind " + std::to_string(p.input_kind) +
                                    " is not an input; allowed: 0 (crop), 1 (resize), 2 (letterbox)");
    c.input = static_cast<spool::InputKind>(p.input_kind);
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
    c.expand_prob = p.expand_prob;
    c.expand_max = p.expand_max;
    c.crop_prob = p.crop_prob;
    c.photometric_prob = p.photometric_prob;
    c.letterbox_size = p.letterbox_size;
    c.mosaic_prob = p.mosaic_prob;
    c.degrees = p.degrees;
    c.translate = p.translate;
    c.scale = p.scale;
    c.shear = p.shear;
    c.hsv_h = p.hsv_h;
    c.hsv_s = p.hsv_s;
    c.hsv_v = p.hsv_v;
    if (c.translate < 0 || c.translate > 0.5f) throw std::invalid_argument("translate must be in [0, 0.5]");
    if (c.scale < 0 || c.scale >= 1) throw std::invalid_argument("scale must be in [0, 1)");
    c.drop_last = p.drop_last != 0;
    c.shard_rank = p.shard_rank;
    c.shard_count = p.shard_count;
    c.seed = p.seed;
    c.workers = p.workers;
    c.prefetch = p.prefetch;
    if (c.resize_size < 1) throw std::invalid_argument("resize_size must be at least 1");
    if (!(c.scale_min > 0 && c.scale_min <= c.scale_max && c.scale_max <= 1))
        throw std::invalid_argument("scale must satisfy 0 < min <= max <= 1");
    if (!(c.ratio_min > 0 && c.ratio_min <= c.ratio_max)) throw std::invalid_argument("ratio must satisfy 0 < min <= max");
    if (c.hue < 0 || c.hue > 0.5f) throw std::invalid_argument("hue must be in [0, 0.5]");
    if (c.expand_max < 1) throw std::invalid_argument("expand_max must be at least 1");
    return c;
}

spool::Sample& sample_at(spool_dataset* dataset, int64_t image) {
    auto& samples = dataset->data->samples;
    if (image < 0 || image >= static_cast<int64_t>(samples.size())) throw std::invalid_argument("no image at that index");
    return samples[static_cast<size_t>(image)];
}

void check_class(const spool_dataset* dataset, int32_t class_id) {
    if (class_id < 0 || class_id >= dataset->data->num_classes)
        throw std::invalid_argument("class id " + std::to_string(class_id) + " is outside [0, " +
                                    std::to_string(dataset->data->num_classes) + ")");
}

}  // namespace

extern "C" {

spool_status spool_dataset_create(int32_t task, int32_t num_classes, spool_dataset** out) {
    SPOOL_REQUIRE(out, "out is NULL");
    SPOOL_REQUIRE(task >= 0 && task <= 3, "task must be a spool_task");
    SPOOL_REQUIRE(num_classes >= 1, "num_classes must be at least 1");
    *out = nullptr;
    SPOOL_GUARD({
        auto ds = std::make_unique<spool_dataset>();
        ds->data = std::make_shared<spool::Dataset>();
        ds->data->task = task;
        ds->data->num_classes = num_classes;
        *out = ds.release();
    });
}

void spool_dataset_free(spool_dataset* dataset) { delete dataset; }

spool_status spool_dataset_add_image(spool_dataset* dataset, const char* path, int64_t* index) {
    SPOOL_REQUIRE(dataset && path, "dataset and path must not be NULL");
    SPOOL_GUARD({
        dataset->data->samples.push_back(spool::Sample{path, {}, {}});
        if (index) *index = static_cast<int64_t>(dataset->data->samples.size()) - 1;
    });
}

spool_status spool_dataset_add_class(spool_dataset* dataset, int64_t image, int32_t class_id) {
    SPOOL_REQUIRE(dataset, "dataset is NULL");
    SPOOL_GUARD({
        check_class(dataset, class_id);
        sample_at(dataset, image).classes.push_back(class_id);
    });
}

spool_status spool_dataset_add_object(spool_dataset* dataset, int64_t image, int32_t class_id, const float box[4],
                                      int32_t is_crowd, int64_t* object) {
    SPOOL_REQUIRE(dataset && box, "dataset and box must not be NULL");
    SPOOL_GUARD({
        check_class(dataset, class_id);
        if (!(box[0] < box[2] && box[1] < box[3]))
            throw std::invalid_argument("a box needs x1 < x2 and y1 < y2");
        auto& sample = sample_at(dataset, image);
        spool::ObjectAnnotation o;
        o.label = class_id;
        for (int k = 0; k < 4; ++k) o.box[k] = box[k];
        o.crowd = is_crowd != 0;
        sample.objects.push_back(std::move(o));
        if (object) *object = static_cast<int64_t>(sample.objects.size()) - 1;
    });
}

spool_status spool_dataset_add_polygon(spool_dataset* dataset, int64_t image, int64_t object, const float* xy,
                                       int32_t points) {
    SPOOL_REQUIRE(dataset && xy, "dataset and xy must not be NULL");
    SPOOL_REQUIRE(points >= 3, "a polygon needs at least 3 points");
    SPOOL_GUARD({
        auto& sample = sample_at(dataset, image);
        if (object < 0 || object >= static_cast<int64_t>(sample.objects.size())) throw std::invalid_argument("no object at that index");
        sample.objects[static_cast<size_t>(object)].polygons.emplace_back(xy, xy + 2 * points);
    });
}

spool_status spool_dataset_size(spool_dataset* dataset, int64_t* out) {
    SPOOL_REQUIRE(dataset && out, "arguments must not be NULL");
    SPOOL_GUARD(*out = static_cast<int64_t>(dataset->data->samples.size()));
}

spool_status spool_dataset_tile(const spool_dataset* dataset, int32_t cols, int32_t rows, double overlap, double nms_thresh,
                                int32_t max_detections, spool_dataset** out) {
    SPOOL_REQUIRE(dataset && out, "arguments must not be NULL");
    SPOOL_REQUIRE(cols >= 1 && rows >= 1 && cols * rows >= 2, "a tile grid needs at least two tiles");
    SPOOL_REQUIRE(overlap >= 0 && overlap < 1, "the tile overlap ratio must be in [0, 1)");
    SPOOL_REQUIRE(nms_thresh > 0 && nms_thresh <= 1, "the tile NMS threshold must be in (0, 1]");
    SPOOL_REQUIRE(max_detections > 0, "max_detections must be > 0");
    *out = nullptr;
    SPOOL_GUARD({
        auto tiled = std::make_unique<spool_dataset>();
        tiled->data = spool::tile_dataset(*dataset->data, cols, rows, static_cast<float>(overlap), static_cast<float>(nms_thresh),
                                          max_detections);
        *out = tiled.release();
    });
}

spool_loader_params spool_loader_default_params(void) {
    const spool::LoaderConfig c;
    spool_loader_params p;
    std::memset(&p, 0, sizeof(p));
    p.batch_size = c.batch_size;
    p.train = 0;
    p.input_kind = SPOOL_INPUT_CROP;
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
    p.expand_prob = c.expand_prob;
    p.expand_max = c.expand_max;
    p.crop_prob = c.crop_prob;
    p.photometric_prob = c.photometric_prob;
    p.letterbox_size = 0;
    p.mosaic_prob = c.mosaic_prob;
    p.degrees = c.degrees;
    p.translate = c.translate;
    p.scale = c.scale;
    p.shear = c.shear;
    p.hsv_h = c.hsv_h;
    p.hsv_s = c.hsv_s;
    p.hsv_v = c.hsv_v;
    p.drop_last = 0;
    p.shard_rank = 0;
    p.shard_count = 1;
    p.seed = 0;
    p.workers = c.workers;
    p.prefetch = c.prefetch;
    return p;
}

spool_status spool_loader_create(const spool_dataset* dataset, const spool_loader_params* params, spool_loader** out) {
    SPOOL_REQUIRE(dataset && params && out, "arguments must not be NULL");
    *out = nullptr;
    SPOOL_GUARD({
        const auto config = to_config(*params);
        // The loader keeps its own copy of the dataset: the caller may go on adding to (or free) its builder.
        auto copy = std::make_shared<const spool::Dataset>(*dataset->data);
        auto loader = std::make_unique<spool_loader>();
        loader->impl = std::make_unique<spool::Loader>(copy, spool::make_pipeline(copy, config), config);
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
        if (b) {
            loader->heights.assign(b->heights.begin(), b->heights.end());
            loader->widths.assign(b->widths.begin(), b->widths.end());
            out->images = b->images.data();
            out->targets = b->class_targets.empty() ? nullptr : b->class_targets.data();
            out->heights = loader->heights.data();
            out->widths = loader->widths.data();
            out->size = b->size;
            out->height = b->height;
            out->width = b->width;
            out->target_width = b->target_width;
            loader->boxes.clear(), loader->labels.clear(), loader->box_counts.clear();
            loader->part_counts.clear(), loader->part_lengths.clear(), loader->polygon_points.clear();
            for (const auto& e : b->examples) {
                loader->boxes.insert(loader->boxes.end(), e.boxes.begin(), e.boxes.end());
                loader->labels.insert(loader->labels.end(), e.labels.begin(), e.labels.end());
                loader->box_counts.push_back(static_cast<int32_t>(e.labels.size()));
                for (size_t k = 0; k < e.labels.size(); ++k) {
                    const auto* parts = k < e.polygons.size() ? &e.polygons[k] : nullptr;
                    loader->part_counts.push_back(parts ? static_cast<int32_t>(parts->size()) : 0);
                    if (!parts) continue;
                    for (const auto& part : *parts) {
                        loader->part_lengths.push_back(static_cast<int32_t>(part.size()));
                        loader->polygon_points.insert(loader->polygon_points.end(), part.begin(), part.end());
                    }
                }
            }
            if (!b->examples.empty()) {
                out->boxes = loader->boxes.data();
                out->labels = loader->labels.data();
                out->box_counts = loader->box_counts.data();
                out->part_counts = loader->part_counts.data();
                out->part_lengths = loader->part_lengths.data();
                out->polygon_points = loader->polygon_points.data();
            }
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

spool_status spool_image_thumbnail(const char* path, const char* out, int32_t max_side, int32_t* width, int32_t* height) {
    SPOOL_REQUIRE(path && out && width && height, "arguments must not be NULL");
    SPOOL_REQUIRE(max_side > 0, "max_side must be positive");
    SPOOL_GUARD({
        cv::Mat image = spool::read_rgb(path);
        const double scale = std::min(1.0, static_cast<double>(max_side) / std::max(image.cols, image.rows));
        if (scale < 1.0) {
            cv::Mat small;
            cv::resize(image, small, cv::Size(std::max(1, static_cast<int>(std::lround(image.cols * scale))),
                                              std::max(1, static_cast<int>(std::lround(image.rows * scale)))),
                       0, 0, cv::INTER_AREA);
            image = small;
        }
        if (!image.isContinuous()) image = image.clone();
        spool::write_image(out, image.data, image.cols, image.rows, 3);
        *width = image.cols;
        *height = image.rows;
    });
}

}  // extern "C"
