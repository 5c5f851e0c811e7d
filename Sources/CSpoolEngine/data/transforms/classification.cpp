#include "data/transforms/classification.h"

#include "data/image_io.h"
#include "data/random.h"
#include "data/transforms/image_ops.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace spool {
namespace {

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


class ClassificationPipeline : public Pipeline {
public:
    ClassificationPipeline(const LoaderConfig& config, bool multilabel, int64_t num_classes)
        : config_(config), multilabel_(multilabel), num_classes_(num_classes) {
        if (config_.crop_size < 1) throw std::invalid_argument("crop_size must be at least 1");
    }

    Example make(const Sample& sample, bool train, std::mt19937_64& rng) const override {
        const cv::Mat rgb = read_rgb(sample.path);
        const cv::Mat img = train ? train_transform(rgb, config_, rng) : eval_transform(rgb, config_);
        Example e;
        e.height = e.width = config_.crop_size;
        e.chw.resize(static_cast<size_t>(3) * e.height * e.width);
        write_chw(img, config_, e.chw.data());
        if (multilabel_) {
            e.class_target.assign(static_cast<size_t>(num_classes_), 0.0f);
            for (auto c : sample.classes)
                if (c >= 0 && c < num_classes_) e.class_target[static_cast<size_t>(c)] = 1.0f;
        } else {
            e.class_target.push_back(sample.classes.empty() ? 0.0f : static_cast<float>(sample.classes.front()));
        }
        return e;
    }

    void collate(std::vector<Example>& examples, Batch& out) const override {
        const int side = config_.crop_size;
        const size_t per_image = static_cast<size_t>(3) * side * side;
        out.size = static_cast<int64_t>(examples.size());
        out.height = out.width = side;
        out.target_width = multilabel_ ? static_cast<int>(num_classes_) : 1;
        out.images.resize(per_image * examples.size());
        out.class_targets.clear();
        for (size_t k = 0; k < examples.size(); ++k) {
            std::copy(examples[k].chw.begin(), examples[k].chw.end(), out.images.begin() + per_image * k);
            out.class_targets.insert(out.class_targets.end(), examples[k].class_target.begin(), examples[k].class_target.end());
            out.heights.push_back(side);
            out.widths.push_back(side);
        }
    }

private:
    LoaderConfig config_;
    bool multilabel_;
    int64_t num_classes_;
};

}  // namespace

std::unique_ptr<Pipeline> make_classification_pipeline(const LoaderConfig& config, bool multilabel, int64_t num_classes) {
    return std::make_unique<ClassificationPipeline>(config, multilabel, num_classes);
}

void preprocess_for_eval(const std::string& path, const LoaderConfig& config, float* out) {
    write_chw(eval_transform(read_rgb(path), config), config, out);
}

}  // namespace spool
