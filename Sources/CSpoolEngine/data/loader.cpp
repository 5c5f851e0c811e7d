#include "data/loader.h"

#include "data/pipeline.h"
#include "data/random.h"
#include "data/transforms/classification.h"
#include "data/transforms/detection.h"
#include "data/transforms/yolo.h"
#include "models/task.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <stdexcept>

namespace spool {

namespace {

const char* input_name(InputKind kind) {
    switch (kind) {
        case InputKind::crop: return "crop";
        case InputKind::resize: return "resize";
        case InputKind::letterbox: return "letterbox";
    }
    return "?";
}

const char* task_name(Task task) {
    switch (task) {
        case Task::multiclass: return "multiclass";
        case Task::multilabel: return "multilabel";
        case Task::detection: return "object detection";
        case Task::segmentation: return "instance segmentation";
    }
    return "?";
}

}  // namespace

std::unique_ptr<Pipeline> make_pipeline(std::shared_ptr<const Dataset> dataset, const LoaderConfig& config) {
    const auto task = static_cast<Task>(dataset->task);
    const char* allowed = is_classification(task)    ? "crop"
                          : task == Task::detection ? "resize or letterbox"
                                                    : "resize";
    const bool fits = is_classification(task) ? config.input == InputKind::crop
                      : task == Task::detection ? config.input != InputKind::crop
                                                : config.input == InputKind::resize;
    if (!fits)
        throw std::invalid_argument(std::string("input ") + input_name(config.input) + " does not fit the dataset's task (" +
                                    task_name(task) + "); allowed: " + allowed);
    if (config.input == InputKind::letterbox && (config.letterbox_size < 32 || config.letterbox_size % 32 != 0))
        throw std::invalid_argument("letterbox_size " + std::to_string(config.letterbox_size) +
                                    ": input letterbox needs a side that is a positive multiple of 32 (e.g. 640)");
    if (config.input != InputKind::letterbox && config.letterbox_size != 0)
        throw std::invalid_argument("letterbox_size " + std::to_string(config.letterbox_size) +
                                    " is the side of input letterbox; input " + input_name(config.input) +
                                    " takes 0");
    switch (config.input) {
        case InputKind::crop: return make_classification_pipeline(config, task == Task::multilabel, dataset->num_classes);
        case InputKind::resize: return make_detection_pipeline(config, task == Task::segmentation);
        case InputKind::letterbox: return make_yolo_pipeline(config, dataset);
    }
    throw std::invalid_argument("unknown input kind");
}

Loader::Loader(std::shared_ptr<const Dataset> dataset, std::unique_ptr<Pipeline> pipeline, LoaderConfig config)
    : dataset_(std::move(dataset)), pipeline_(std::move(pipeline)), config_(config) {
    if (config_.batch_size < 1) throw std::invalid_argument("batch_size must be at least 1");
    config_.workers = std::max(1, config_.workers);
    config_.prefetch = std::max(1, config_.prefetch);
    if (config_.shard_count < 1 || config_.shard_rank < 0 || config_.shard_rank >= config_.shard_count)
        throw std::invalid_argument("shard_rank must be in [0, shard_count)");
    const int64_t n = size();
    const int64_t global = static_cast<int64_t>(config_.batch_size) * config_.shard_count;
    if (config_.shard_count > 1) {
        num_batches_ = n / global;
    } else {
        num_batches_ = config_.drop_last ? n / config_.batch_size : (n + config_.batch_size - 1) / config_.batch_size;
        // A final training batch of one image breaks batch norm: it is dropped (the next epoch reshuffles).
        if (config_.train && !config_.drop_last && n > 1 && n % config_.batch_size == 1) num_batches_ -= 1;
    }
    cv::setNumThreads(1);  // the workers are the parallelism; OpenCV's own pool would oversubscribe
    for (int i = 0; i < config_.workers; ++i) threads_.emplace_back([this] { worker_loop(); });
}

Loader::~Loader() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    work_cv_.notify_all();
    for (auto& t : threads_) t.join();
}

void Loader::start_epoch(int64_t epoch) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++generation_;
    epoch_ = epoch;
    ready_.clear();
    order_.resize(dataset_->samples.size());
    for (size_t i = 0; i < order_.size(); ++i) order_[i] = static_cast<int64_t>(i);
    if (config_.train) {  // Fisher-Yates with a portable generator: the same order on every platform
        std::mt19937_64 rng(mix(config_.seed ^ mix(static_cast<uint64_t>(epoch) + 0x5151)));
        for (int64_t i = static_cast<int64_t>(order_.size()) - 1; i > 0; --i)
            std::swap(order_[i], order_[randint(rng, 0, i)]);
    }
    next_to_produce_ = 0;
    next_to_consume_ = 0;
    epoch_open_ = true;
    work_cv_.notify_all();
}

const Batch* Loader::next() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!epoch_open_) throw std::logic_error("start_epoch must be called before next");
    if (next_to_consume_ >= num_batches_) return nullptr;
    ready_cv_.wait(lock, [&] { return ready_.count(next_to_consume_) > 0; });
    auto node = ready_.extract(next_to_consume_);
    current_ = std::move(node.mapped());
    ++next_to_consume_;
    work_cv_.notify_all();
    if (!current_.error.empty()) throw ImageError(current_.error);
    return &current_;
}

void Loader::worker_loop() {
    for (;;) {
        int64_t index;
        uint64_t generation;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            work_cv_.wait(lock, [&] {
                return stopping_ || (epoch_open_ && next_to_produce_ < num_batches_ &&
                                     next_to_produce_ < next_to_consume_ + config_.prefetch);
            });
            if (stopping_) return;
            index = next_to_produce_++;
            generation = generation_;
        }
        Batch batch;
        produce(index, generation, batch);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (generation != generation_) continue;  // an abandoned epoch
            ready_.emplace(index, std::move(batch));
        }
        ready_cv_.notify_all();
    }
}

void Loader::produce(int64_t index, uint64_t generation, Batch& out) const {
    // order_ and epoch_ only change under a new generation; a stale batch is discarded by the caller.
    std::vector<int64_t> items;
    int64_t epoch;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (generation != generation_) return;
        epoch = epoch_;
        const int64_t begin = (index * config_.shard_count + config_.shard_rank) * config_.batch_size;
        const int64_t end = std::min<int64_t>(begin + config_.batch_size, static_cast<int64_t>(order_.size()));
        items.assign(order_.begin() + begin, order_.begin() + end);
    }
    std::vector<Example> examples;
    examples.reserve(items.size());
    try {
        for (const int64_t item : items) {
            auto rng = image_stream(config_.seed, epoch, item);
            examples.push_back(pipeline_->make(dataset_->samples[static_cast<size_t>(item)], config_.train, rng));
        }
        pipeline_->collate(examples, out);
        out.indices = items;
    } catch (const std::exception& e) {
        out.error = e.what();
    }
}

}  // namespace spool
