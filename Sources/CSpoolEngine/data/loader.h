// loader.h — background decoding, augmentation and batching (OpenCV, no libtorch), generic over a task's
// Pipeline (transform + collate).
//
// Worker threads make whole batches ahead of the trainer (bounded by `prefetch`), and the trainer receives
// them in order. Each image's randomness comes from (seed, epoch, position), never from thread timing, so an
// epoch is reproducible whatever the number of workers. Images are decoded from disk every epoch: a large
// dataset is never held decoded in memory.
#pragma once

#include "data/batch.h"
#include "data/image_io.h"
#include "data/sample.h"

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace spool {

class Pipeline;

/// How a model takes its images (spool_input_kind): it selects the pipeline.
enum class InputKind { crop = 0, resize = 1, letterbox = 2 };

struct LoaderConfig {
    int batch_size = 16;
    bool train = false;
    InputKind input = InputKind::crop;
    // Classification.
    int crop_size = 224;
    int resize_size = 256;
    float mean[3] = {0.485f, 0.456f, 0.406f};
    float std[3] = {0.229f, 0.224f, 0.225f};
    float scale_min = 0.08f, scale_max = 1.0f;
    float ratio_min = 3.0f / 4.0f, ratio_max = 4.0f / 3.0f;
    float hflip_prob = 0.5f;
    float brightness = 0.4f, contrast = 0.4f, saturation = 0.4f, hue = 0.0f;
    // Detection and segmentation (training): zoom out, IoU crop around the boxes, photometric distortion.
    float expand_prob = 0.5f, expand_max = 2.0f;
    float crop_prob = 0.5f;
    float photometric_prob = 0.5f;
    // The letterbox input (YOLOv5; data/transforms/yolo.h): the square's side in training.
    int letterbox_size = 0;
    float mosaic_prob = 1.0f;
    float degrees = 0.0f, translate = 0.1f, scale = 0.5f, shear = 0.0f;
    float hsv_h = 0.015f, hsv_s = 0.7f, hsv_v = 0.4f;
    bool drop_last = false;
    /// Data-parallel training: each of shard_count processes takes its batch_size images of every batch of
    /// shard_count x batch_size (the same shuffled order everywhere: shuffling and augmentation follow the
    /// global position, so an image is transformed alike whichever process takes it). An incomplete last
    /// batch is dropped, as DistributedSampler's drop_last does.
    int shard_rank = 0, shard_count = 1;
    uint64_t seed = 0;
    int workers = 2;
    int prefetch = 4;
};

class Loader {
public:
    Loader(std::shared_ptr<const Dataset> dataset, std::unique_ptr<Pipeline> pipeline, LoaderConfig config);
    ~Loader();
    Loader(const Loader&) = delete;
    Loader& operator=(const Loader&) = delete;

    void start_epoch(int64_t epoch);
    int64_t num_batches() const { return num_batches_; }
    int64_t size() const { return static_cast<int64_t>(dataset_->samples.size()); }
    const LoaderConfig& config() const { return config_; }
    const Dataset& dataset() const { return *dataset_; }

    /// The next batch of the epoch, or nullptr once the epoch is done. The batch stays valid until the next
    /// call. Throws ImageError when one of its images could not be decoded.
    const Batch* next();

private:
    void worker_loop();
    void produce(int64_t index, uint64_t generation, Batch& out) const;

    std::shared_ptr<const Dataset> dataset_;
    std::unique_ptr<Pipeline> pipeline_;
    LoaderConfig config_;

    mutable std::mutex mutex_;
    std::condition_variable work_cv_, ready_cv_;
    std::vector<std::thread> threads_;
    bool stopping_ = false;
    bool epoch_open_ = false;
    uint64_t generation_ = 0;
    int64_t epoch_ = 0;
    std::vector<int64_t> order_;
    int64_t num_batches_ = 0;
    int64_t next_to_produce_ = 0;
    int64_t next_to_consume_ = 0;
    std::map<int64_t, Batch> ready_;
    Batch current_;
};

/// The pipeline of a dataset's task.
std::unique_ptr<Pipeline> make_pipeline(std::shared_ptr<const Dataset> dataset, const LoaderConfig& config);

}  // namespace spool
