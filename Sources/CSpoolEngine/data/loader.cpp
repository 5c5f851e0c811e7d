#include "data/loader.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <random>

namespace spool {
namespace {

// SplitMix64: mixes (seed, epoch, position) into an independent stream per image.
uint64_t mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

double uniform(std::mt19937_64& rng, double a, double b) {
    return a + (b - a) * (static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0));
}

int64_t randint(std::mt19937_64& rng, int64_t lo, int64_t hi) {  // inclusive
    if (hi <= lo) return lo;
    return lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo + 1));
}

// Anti-aliased when shrinking (like PIL), bilinear when enlarging.
void resize_to(const cv::Mat& src, cv::Mat& dst, int width, int height) {
    const bool shrinking = width < src.cols || height < src.rows;
    cv::resize(src, dst, cv::Size(width, height), 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
}

// torchvision RandomResizedCrop.get_params: ten tries at a random area and aspect, then a centre crop.
cv::Rect random_resized_crop(const cv::Mat& img, const LoaderConfig& c, std::mt19937_64& rng) {
    const int height = img.rows, width = img.cols;
    const double area = static_cast<double>(height) * width;
    const double log_r0 = std::log(c.ratio_min), log_r1 = std::log(c.ratio_max);
    for (int attempt = 0; attempt < 10; ++attempt) {
        const double target_area = area * uniform(rng, c.scale_min, c.scale_max);
        const double aspect = std::exp(uniform(rng, log_r0, log_r1));
        const int w = static_cast<int>(std::lround(std::sqrt(target_area * aspect)));
        const int h = static_cast<int>(std::lround(std::sqrt(target_area / aspect)));
        if (w > 0 && h > 0 && w <= width && h <= height) {
            const int top = static_cast<int>(randint(rng, 0, height - h));
            const int left = static_cast<int>(randint(rng, 0, width - w));
            return cv::Rect(left, top, w, h);
        }
    }
    const double in_ratio = static_cast<double>(width) / height;
    int w = width, h = height;
    if (in_ratio < c.ratio_min) {
        h = static_cast<int>(std::lround(w / c.ratio_min));
    } else if (in_ratio > c.ratio_max) {
        w = static_cast<int>(std::lround(h * c.ratio_max));
    }
    return cv::Rect((width - w) / 2, (height - h) / 2, std::max(1, w), std::max(1, h));
}

// torchvision ColorJitter on float RGB in [0, 1]: the four adjustments in a random order.
void color_jitter(cv::Mat& img, const LoaderConfig& c, std::mt19937_64& rng) {
    int order[4] = {0, 1, 2, 3};
    for (int i = 3; i > 0; --i) std::swap(order[i], order[randint(rng, 0, i)]);
    for (int k : order) {
        switch (k) {
            case 0:
                if (c.brightness > 0) {
                    const double f = uniform(rng, std::max(0.0, 1.0 - c.brightness), 1.0 + c.brightness);
                    img *= f;
                    cv::min(img, 1.0, img);
                }
                break;
            case 1:
                if (c.contrast > 0) {
                    const double f = uniform(rng, std::max(0.0, 1.0 - c.contrast), 1.0 + c.contrast);
                    cv::Mat grey;
                    cv::cvtColor(img, grey, cv::COLOR_RGB2GRAY);
                    const double m = cv::mean(grey)[0];
                    img.convertTo(img, -1, f, (1.0 - f) * m);  // f * x + (1 - f) * mean, every channel
                    cv::min(cv::max(img, 0.0), 1.0, img);
                }
                break;
            case 2:
                if (c.saturation > 0) {
                    const double f = uniform(rng, std::max(0.0, 1.0 - c.saturation), 1.0 + c.saturation);
                    cv::Mat grey, grey3;
                    cv::cvtColor(img, grey, cv::COLOR_RGB2GRAY);
                    cv::cvtColor(grey, grey3, cv::COLOR_GRAY2RGB);
                    cv::addWeighted(img, f, grey3, 1.0 - f, 0.0, img);
                    cv::min(cv::max(img, 0.0), 1.0, img);
                }
                break;
            case 3:
                if (c.hue > 0) {
                    const double shift = uniform(rng, -c.hue, c.hue) * 360.0;
                    cv::Mat hsv;
                    cv::cvtColor(img, hsv, cv::COLOR_RGB2HSV);  // float: H in [0, 360)
                    for (int y = 0; y < hsv.rows; ++y) {
                        auto* row = hsv.ptr<cv::Vec3f>(y);
                        for (int x = 0; x < hsv.cols; ++x) {
                            float h = row[x][0] + static_cast<float>(shift);
                            h = std::fmod(h, 360.0f);
                            if (h < 0) h += 360.0f;
                            row[x][0] = h;
                        }
                    }
                    cv::cvtColor(hsv, img, cv::COLOR_HSV2RGB);
                }
                break;
        }
    }
}

// Writes an H x W x 3 float RGB image in [0, 1] as normalised CHW floats.
void write_chw(const cv::Mat& img, const LoaderConfig& c, float* out) {
    const int h = img.rows, w = img.cols;
    const size_t plane = static_cast<size_t>(h) * w;
    for (int y = 0; y < h; ++y) {
        const auto* row = img.ptr<cv::Vec3f>(y);
        for (int x = 0; x < w; ++x) {
            const size_t at = static_cast<size_t>(y) * w + x;
            for (int ch = 0; ch < 3; ++ch) out[ch * plane + at] = (row[x][ch] - c.mean[ch]) / c.std[ch];
        }
    }
}

// Validation: shorter side to resize_size, centre crop to crop_size (zero padding when the image is smaller).
cv::Mat eval_transform(const cv::Mat& rgb, const LoaderConfig& c) {
    const int short_side = std::min(rgb.cols, rgb.rows);
    int w = c.resize_size, h = c.resize_size;
    if (rgb.cols <= rgb.rows) {
        h = static_cast<int>(static_cast<int64_t>(c.resize_size) * rgb.rows / short_side);
    } else {
        w = static_cast<int>(static_cast<int64_t>(c.resize_size) * rgb.cols / short_side);
    }
    cv::Mat resized;
    resize_to(rgb, resized, w, h);
    if (c.crop_size > resized.cols || c.crop_size > resized.rows) {
        const int pad_w = std::max(0, c.crop_size - resized.cols), pad_h = std::max(0, c.crop_size - resized.rows);
        cv::copyMakeBorder(resized, resized, pad_h / 2, (pad_h + 1) / 2, pad_w / 2, (pad_w + 1) / 2,
                           cv::BORDER_CONSTANT, cv::Scalar(0, 0, 0));
    }
    const int top = static_cast<int>(std::lround((resized.rows - c.crop_size) / 2.0));
    const int left = static_cast<int>(std::lround((resized.cols - c.crop_size) / 2.0));
    cv::Mat crop = resized(cv::Rect(left, top, c.crop_size, c.crop_size));
    cv::Mat out;
    crop.convertTo(out, CV_32FC3, 1.0 / 255.0);
    return out;
}

cv::Mat train_transform(const cv::Mat& rgb, const LoaderConfig& c, std::mt19937_64& rng) {
    const cv::Rect box = random_resized_crop(rgb, c, rng);
    cv::Mat resized;
    resize_to(rgb(box), resized, c.crop_size, c.crop_size);
    if (c.hflip_prob > 0 && uniform(rng, 0.0, 1.0) < c.hflip_prob) cv::flip(resized, resized, 1);
    cv::Mat out;
    resized.convertTo(out, CV_32FC3, 1.0 / 255.0);
    color_jitter(out, c, rng);
    return out;
}

}  // namespace

void preprocess_for_eval(const std::string& path, const LoaderConfig& config, float* out) {
    write_chw(eval_transform(read_rgb(path), config), config, out);
}

Loader::Loader(std::vector<std::string> paths, std::vector<float> targets, int target_width, LoaderConfig config)
    : paths_(std::move(paths)), targets_(std::move(targets)), target_width_(target_width), config_(config) {
    if (config_.batch_size < 1) throw std::invalid_argument("batch_size must be at least 1");
    if (config_.crop_size < 1) throw std::invalid_argument("crop_size must be at least 1");
    if (target_width_ < 1) throw std::invalid_argument("target_width must be at least 1");
    if (targets_.size() != paths_.size() * static_cast<size_t>(target_width_))
        throw std::invalid_argument("targets must hold count * target_width values");
    config_.workers = std::max(1, config_.workers);
    config_.prefetch = std::max(1, config_.prefetch);
    const int64_t n = static_cast<int64_t>(paths_.size());
    num_batches_ = config_.drop_last ? n / config_.batch_size : (n + config_.batch_size - 1) / config_.batch_size;
    // A final training batch of one image breaks batch norm: it is dropped (the next epoch reshuffles).
    if (config_.train && !config_.drop_last && n > 1 && n % config_.batch_size == 1) num_batches_ -= 1;
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
    order_.resize(paths_.size());
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
        std::lock_guard<std::mutex> lock(const_cast<std::mutex&>(mutex_));
        if (generation != generation_) return;
        epoch = epoch_;
        const int64_t begin = index * config_.batch_size;
        const int64_t end = std::min<int64_t>(begin + config_.batch_size, static_cast<int64_t>(order_.size()));
        items.assign(order_.begin() + begin, order_.begin() + end);
    }
    const int64_t n = static_cast<int64_t>(items.size());
    const size_t per_image = static_cast<size_t>(3) * config_.crop_size * config_.crop_size;
    out.size = n;
    out.images.resize(per_image * n);
    out.targets.resize(static_cast<size_t>(target_width_) * n);
    for (int64_t k = 0; k < n; ++k) {
        const int64_t item = items[k];
        std::copy_n(targets_.begin() + item * target_width_, target_width_, out.targets.begin() + k * target_width_);
        try {
            const cv::Mat rgb = read_rgb(paths_[item]);
            cv::Mat img;
            if (config_.train) {
                std::mt19937_64 rng(mix(config_.seed ^ mix(static_cast<uint64_t>(epoch) * 1000003ULL + item)));
                img = train_transform(rgb, config_, rng);
            } else {
                img = eval_transform(rgb, config_);
            }
            write_chw(img, config_, out.images.data() + per_image * k);
        } catch (const std::exception& e) {
            out.error = e.what();
            return;
        }
    }
}

}  // namespace spool
