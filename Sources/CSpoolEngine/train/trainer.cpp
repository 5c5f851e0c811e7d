#include "train/trainer.h"

#include "data/polygons.h"
#include "models/detection/mask_head.h"

#include "models/classification/classifier.h"
#include "models/detection/ops.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>
#include <torch/utils.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <stdexcept>

namespace spool {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(Model& model, const TrainerConfig& config) {
    std::vector<torch::Tensor> params;
    for (auto& p : model.parameters())
        if (p.requires_grad()) params.push_back(p);
    if (params.empty()) throw std::invalid_argument("every parameter is frozen: nothing to train (lower layers_to_freeze)");
    switch (config.optimizer) {
        case OptimizerKind::sgd:
            return std::make_unique<torch::optim::SGD>(
                params, torch::optim::SGDOptions(config.learning_rate)
                            .momentum(config.momentum)
                            .weight_decay(config.weight_decay)
                            .nesterov(config.nesterov && config.momentum > 0));  // nesterov needs momentum
        case OptimizerKind::adam:
            return std::make_unique<torch::optim::Adam>(
                params, torch::optim::AdamOptions(config.learning_rate)
                            .betas({config.beta1, config.beta2})
                            .weight_decay(config.weight_decay)
                            .amsgrad(config.amsgrad));
        case OptimizerKind::adamw:
            return std::make_unique<torch::optim::AdamW>(
                params, torch::optim::AdamWOptions(config.learning_rate)
                            .betas({config.beta1, config.beta2})
                            .weight_decay(config.weight_decay)
                            .amsgrad(config.amsgrad));
    }
    throw std::invalid_argument("unknown optimizer");
}

namespace {

/// Ultralytics' smart_optimizer groups: biases, weights that decay, BatchNorm weights (no decay).
std::unique_ptr<torch::optim::Optimizer> make_yolo_optimizer(Model& model, const TrainerConfig& config,
                                                             std::vector<int>& group_is_bias) {
    std::vector<torch::Tensor> biases, decayed, norms;
    for (auto& p : model.named_parameters(true)) {
        if (!p.value().requires_grad()) continue;
        const auto& name = p.key();
        const bool bias = name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0;
        const bool norm = name.find(".bn.") != std::string::npos;
        (bias ? biases : norm ? norms : decayed).push_back(p.value());
    }
    if (biases.empty() && decayed.empty() && norms.empty())
        throw std::invalid_argument("every parameter is frozen: nothing to train (lower layers_to_freeze)");
    const double wd = config.weight_decay;
    std::vector<torch::optim::OptimizerParamGroup> groups;
    group_is_bias.clear();
    auto add = [&](std::vector<torch::Tensor>& params, double decay, bool bias) {
        if (params.empty()) return;
        std::unique_ptr<torch::optim::OptimizerOptions> options;
        if (config.optimizer == OptimizerKind::sgd)
            options = std::make_unique<torch::optim::SGDOptions>(torch::optim::SGDOptions(config.learning_rate)
                                                                     .momentum(config.momentum)
                                                                     .weight_decay(decay)
                                                                     .nesterov(config.nesterov && config.momentum > 0));
        else if (config.optimizer == OptimizerKind::adam)
            options = std::make_unique<torch::optim::AdamOptions>(
                torch::optim::AdamOptions(config.learning_rate).betas({config.beta1, config.beta2}).weight_decay(decay).amsgrad(config.amsgrad));
        else
            options = std::make_unique<torch::optim::AdamWOptions>(
                torch::optim::AdamWOptions(config.learning_rate).betas({config.beta1, config.beta2}).weight_decay(decay).amsgrad(config.amsgrad));
        groups.emplace_back(params, std::move(options));
        group_is_bias.push_back(bias ? 1 : 0);
    };
    add(biases, 0.0, true);
    add(decayed, wd, false);
    add(norms, 0.0, false);
    switch (config.optimizer) {
        case OptimizerKind::sgd:
            return std::make_unique<torch::optim::SGD>(groups, torch::optim::SGDOptions(config.learning_rate));
        case OptimizerKind::adam:
            return std::make_unique<torch::optim::Adam>(groups, torch::optim::AdamOptions(config.learning_rate));
        case OptimizerKind::adamw:
            return std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(config.learning_rate));
    }
    throw std::invalid_argument("unknown optimizer");
}

double interpolate(double x, double x1, double y0, double y1) { return x1 <= 0 ? y1 : y0 + (y1 - y0) * std::min(1.0, x / x1); }

}  // namespace

Trainer::Trainer(std::shared_ptr<Model> model, torch::Device device, TrainerConfig config)
    : model_(std::move(model)),
      device_(device),
      config_(std::move(config)),
      generator_(at::make_generator<at::CPUGeneratorImpl>(config_.seed)) {
    if (config_.grad_accumulation_step < 1) throw std::invalid_argument("grad_accumulation_step must be >= 1");
    if (auto* classifier = dynamic_cast<Classifier*>(model_.get())) {
        if (!config_.class_weights.empty()) classifier->set_class_weights(torch::tensor(config_.class_weights).to(device_));
    }
    base_lr_ = config_.learning_rate;
    if (config_.yolo_recipe) {
        if (config_.batch_size < 1 || config_.nominal_batch_size < 1) throw std::invalid_argument("batch sizes must be >= 1");
        // Ultralytics scales the weight decay by the share of the nominal batch one update sees.
        const int64_t accumulate = std::max<int64_t>(
            1, std::llround(static_cast<double>(config_.nominal_batch_size) / static_cast<double>(config_.batch_size)));
        config_.weight_decay *= static_cast<double>(config_.batch_size * accumulate) / static_cast<double>(config_.nominal_batch_size);
        optimizer_ = make_yolo_optimizer(*model_, config_, group_is_bias_);
    } else {
        optimizer_ = make_optimizer(*model_, config_);
    }
    optimizer_->zero_grad();
    if (config_.ema_decay > 0) {
        torch::NoGradGuard no_grad;
        for (auto& [name, tensor] : named_tensors(*model_))
            if (tensor.is_floating_point()) ema_.emplace_back(tensor, tensor.detach().clone());
    }
    // Convolutional networks may gain from channels-last; detection's RoI kernels want NCHW.
    const bool can_measure = model_->supports_channels_last();
    switch (config_.memory_format) {
        case MemoryFormatChoice::automatic:
            measuring_ = can_measure;
            if (!can_measure) memory_note_ = "contiguous (this model's kernels need NCHW)";
            break;
        case MemoryFormatChoice::channels_last:
            model_->set_channels_last(true);
            memory_note_ = "channels_last (set)";
            break;
        case MemoryFormatChoice::contiguous:
            memory_note_ = "contiguous (set)";
            break;
    }
}

Trainer::~Trainer() {
    if (group_ && batch_norm_group() == group_) set_batch_norm_group(nullptr);
}

void Trainer::set_process_group(std::shared_ptr<ProcessGroup> group) {
    if (iterations_ > 0) throw std::logic_error("the process group must be set before the first step");
    group_ = std::move(group);
    if (!group_) return;
    {
        torch::NoGradGuard no_grad;
        auto share = [&](torch::Tensor t) {
            auto dense = t.detach().contiguous();
            group_->broadcast(dense, 0);
            if (!dense.is_same(t)) t.detach().copy_(dense);
        };
        for (auto& p : model_->parameters()) share(p);
        for (auto& b : model_->buffers()) share(b);
        for (auto& [live, average] : ema_) average.copy_(live.detach());
    }
    set_batch_norm_group(group_);
    if (measuring_) {  // timing both layouts would run collectives the ranks must agree on: not measured
        measuring_ = false;
        memory_note_ = "contiguous (data-parallel: not measured)";
    }
}

void Trainer::average_gradients() {
    std::vector<torch::Tensor> params;
    for (auto& g : optimizer_->param_groups())
        for (auto& p : g.params()) params.push_back(p);
    std::vector<torch::Tensor> parts;
    parts.reserve(params.size() + 1);
    auto flags = torch::zeros({static_cast<int64_t>(params.size())}, torch::TensorOptions().dtype(torch::kFloat32).device(device_));
    for (size_t i = 0; i < params.size(); ++i) {
        const auto& grad = params[i].grad();
        if (grad.defined()) {
            parts.push_back(grad.reshape(-1).to(torch::kFloat32));
            flags[static_cast<int64_t>(i)] = 1;
        } else {
            parts.push_back(torch::zeros({params[i].numel()}, torch::TensorOptions().dtype(torch::kFloat32).device(device_)));
        }
    }
    parts.push_back(flags);
    auto flat = torch::cat(parts);
    group_->all_reduce_sum(flat);
    flat.div_(static_cast<double>(group_->size()));
    const auto any = flat.slice(0, flat.numel() - static_cast<int64_t>(params.size())).gt(0).cpu();
    int64_t offset = 0;
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < params.size(); ++i) {
        auto& p = params[i];
        const int64_t n = p.numel();
        if (any[static_cast<int64_t>(i)].item<bool>()) {
            auto mean = flat.slice(0, offset, offset + n).view(p.sizes()).to(p.scalar_type());
            if (p.grad().defined()) p.mutable_grad().copy_(mean);
            else p.mutable_grad() = mean.clone();
        }
        offset += n;
    }
}

void Trainer::apply_update() {
    if (group_) average_gradients();
    optimizer_->step();
    optimizer_->zero_grad();
    pending_ = 0;
    update_average();
}

void Trainer::set_learning_rate(double lr) {
    base_lr_ = lr;
    for (auto& group : optimizer_->param_groups()) group.options().set_lr(lr);
}

int64_t Trainer::prepare_yolo_step() {
    const double ni = static_cast<double>(iterations_), nw = static_cast<double>(config_.warmup_iterations);
    const double full = std::max(1.0, std::round(static_cast<double>(config_.nominal_batch_size) / static_cast<double>(config_.batch_size)));
    if (ni > nw) return static_cast<int64_t>(full);
    auto& groups = optimizer_->param_groups();
    for (size_t j = 0; j < groups.size(); ++j) {
        auto& options = groups[j].options();
        options.set_lr(interpolate(ni, nw, group_is_bias_[j] ? 0.1 : 0.0, base_lr_));
        if (auto* sgd = dynamic_cast<torch::optim::SGDOptions*>(&options)) {
            sgd->momentum(interpolate(ni, nw, 0.8, config_.momentum));
        } else if (auto* adam = dynamic_cast<torch::optim::AdamOptions*>(&options)) {
            adam->betas({interpolate(ni, nw, 0.8, config_.beta1), config_.beta2});
        } else if (auto* adamw = dynamic_cast<torch::optim::AdamWOptions*>(&options)) {
            adamw->betas({interpolate(ni, nw, 0.8, config_.beta1), config_.beta2});
        }
    }
    return std::max<int64_t>(1, std::llround(interpolate(ni, nw, 1.0, full)));
}

void Trainer::update_average() {
    if (ema_.empty()) return;
    ++updates_;
    const double d = config_.ema_decay * (1 - std::exp(-static_cast<double>(updates_) / 2000.0));
    torch::NoGradGuard no_grad;
    for (auto& [live, average] : ema_) {
        average.mul_(d);
        average.add_(live.detach(), 1 - d);
    }
}

void Trainer::use_average(bool average) {
    if (ema_.empty() || average == averaged_) return;
    torch::NoGradGuard no_grad;
    if (average) {
        aside_.clear();
        for (auto& [live, avg] : ema_) {
            aside_.push_back(live.detach().clone());
            live.copy_(avg);
        }
    } else {
        for (size_t i = 0; i < ema_.size(); ++i) ema_[i].first.copy_(aside_[i]);
        aside_.clear();
    }
    averaged_ = average;
}

void Trainer::choose_memory_format(const ModelInput& input, int64_t images) {
    // Save what a forward pass in training mode changes (batch-norm statistics) and restore it afterwards:
    // the measurement must not touch the run, whose numbers stay reproducible under its seed.
    std::vector<std::pair<torch::Tensor, torch::Tensor>> saved;
    for (auto& b : model_->buffers(true)) saved.emplace_back(b, b.clone());
    auto time_format = [&](bool channels_last) {
        model_->set_channels_last(channels_last);
        double best = std::numeric_limits<double>::infinity();
        for (int k = 0; k < 3; ++k) {  // the first warms allocators and kernels up
            const auto started = std::chrono::steady_clock::now();
            auto output = model_->run(input);
            torch::Tensor total;
            for (auto& [name, value] : output.losses) total = total.defined() ? total + value : value;
            total.backward();
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            if (k > 0) best = std::min(best, seconds / static_cast<double>(images));
            optimizer_->zero_grad();
        }
        return best;
    };
    // The measurement's randomness (dropout) must not shift the run's random stream either.
    auto generator = at::detail::getDefaultCPUGenerator();
    at::Tensor rng_state;
    {
        std::lock_guard<std::mutex> lock(generator.mutex());
        rng_state = generator.get_state();
    }
    const double nchw = time_format(false), nhwc = time_format(true);
    {
        std::lock_guard<std::mutex> lock(generator.mutex());
        generator.set_state(rng_state);
    }
    {
        torch::NoGradGuard no_grad;
        for (auto& [buffer, copy] : saved) buffer.copy_(copy);
    }
    const bool last = nhwc < nchw;
    model_->set_channels_last(last);
    char text[160];
    std::snprintf(text, sizeof text, "%s: %.1f ms/image against %.1f ms/image %s", last ? "channels_last" : "contiguous",
                  1000 * std::min(nchw, nhwc), 1000 * std::max(nchw, nhwc), last ? "contiguous" : "channels_last");
    memory_note_ = text;
    measuring_ = false;
}

StepResult Trainer::step(Loader& loader) {
    StepResult result;
    const Batch* batch = loader.next();
    if (batch == nullptr || batch->size == 0) return result;
    if (averaged_) throw std::logic_error("the weight average is in the model: put the training weights back first");
    ModeGuard mode(*model_, /*train=*/true);
    if (config_.yolo_recipe) accumulate_ = prepare_yolo_step();
    else accumulate_ = config_.grad_accumulation_step;
    ++iterations_;
    auto input = to_model_input(*batch, loader.dataset(), device_);
    if (measuring_) choose_memory_format(input, batch->size);
    GeneratorScope scope(generator_);
    auto output = model_->run(input);
    torch::Tensor total;
    for (auto& [name, value] : output.losses) {
        result.losses.emplace_back(name, value.item<double>());
        total = total.defined() ? total + value : value;
    }
    if (!total.defined()) throw std::logic_error("the model returned no loss in training mode");
    // YOLOv5's losses are sums over the batch, accumulated as they are (Ultralytics does not divide them); in a
    // data-parallel run each process's sum is scaled by the processes, so the averaged gradient is the whole
    // batch's sum, as Ultralytics' `loss *= WORLD_SIZE`.
    if (config_.yolo_recipe) (group_ ? total * static_cast<double>(group_->size()) : total).backward();
    else (total / config_.grad_accumulation_step).backward();
    result.loss = total.item<double>();
    result.images = batch->size;
    if (group_) {  // the whole batch's losses: each process's weighted by its images
        std::vector<double> values{result.loss * static_cast<double>(result.images), static_cast<double>(result.images)};
        for (auto& [name, value] : result.losses) values.push_back(value * static_cast<double>(result.images));
        auto sums = torch::tensor(values, torch::kFloat64).to(device_);
        group_->all_reduce_sum(sums);
        const double images = sums[1].item<double>();
        result.loss = sums[0].item<double>() / images;
        for (size_t i = 0; i < result.losses.size(); ++i)
            result.losses[i].second = sums[static_cast<int64_t>(i) + 2].item<double>() / images;
        result.images = static_cast<int64_t>(std::llround(images));
    }
    if (++pending_ >= accumulate_) {
        apply_update();
        result.updated = true;
    }
    return result;
}

void Trainer::flush() {
    // YOLOv5's accumulation runs across epochs, as Ultralytics' does.
    if (pending_ == 0 || config_.yolo_recipe) return;
    apply_update();
}

ModelInput to_model_input(const Batch& batch, const Dataset& dataset, torch::Device device) {
    ModelInput in;
    const int64_t n = batch.size;
    in.images = torch::from_blob(const_cast<float*>(batch.images.data()), {n, 3, batch.height, batch.width})
                    .to(device, /*non_blocking=*/false, /*copy=*/true);
    for (int64_t k = 0; k < n; ++k) in.sizes.push_back({batch.heights[k], batch.widths[k]});
    const Task task = static_cast<Task>(dataset.task);
    if (is_classification(task)) {
        auto targets = torch::from_blob(const_cast<float*>(batch.class_targets.data()), {n, batch.target_width}).clone();
        in.class_targets = (task == Task::multiclass ? targets.reshape({-1}).to(torch::kLong) : targets).to(device);
        return in;
    }
    for (const auto& e : batch.examples) {
        ImageTargets t;
        const int64_t count = static_cast<int64_t>(e.labels.size());
        t.boxes = torch::from_blob(const_cast<float*>(e.boxes.data()), {count, 4}).clone().to(device);
        // Detectors count classes from 1: 0 is the background.
        t.labels = (torch::from_blob(const_cast<int64_t*>(e.labels.data()), {count}, torch::kLong).clone() + 1).to(device);
        t.crowd = torch::from_blob(const_cast<uint8_t*>(e.crowd.data()), {count}, torch::kUInt8).clone().to(torch::kBool).to(device);
        if (task == Task::segmentation) {
            // Each object's polygons rasterised at the image's size (the batch's padding is not the image's).
            auto masks = torch::zeros({count, e.height, e.width}, torch::kUInt8);
            for (int64_t k = 0; k < count; ++k) {
                if (static_cast<size_t>(k) >= e.polygons.size() || e.polygons[k].empty())
                    throw std::invalid_argument("an object of a segmentation batch has no polygon (image " +
                                                std::to_string(batch.indices[static_cast<size_t>(&e - batch.examples.data())]) + ")");
                rasterize_polygons(e.polygons[k], e.height, e.width, masks[k].data_ptr<uint8_t>());
            }
            t.masks = masks.to(device);
        }
        in.targets.push_back(std::move(t));
    }
    return in;
}

Prediction predict(Model& model, torch::Device device, Loader& loader) {
    torch::NoGradGuard no_grad;
    ModeGuard mode(model, /*train=*/false);
    Prediction p;
    p.task = model.task();
    p.num_classes = loader.dataset().num_classes;
    double loss_sum = 0;
    bool has_loss = false;
    struct View {
        int64_t source = -1;
        int width = 0, height = 0;
        torch::Tensor boxes, scores, labels;  // whole-image pixels; labels from 0
        torch::Tensor masks;                  // segmentation: n x 1 x M x M within the boxes
    };
    std::vector<View> views;
    while (const Batch* batch = loader.next()) {
        auto input = to_model_input(*batch, loader.dataset(), device);
        auto output = model.run(input);
        for (auto& [name, value] : output.losses) {
            loss_sum += value.item<double>() * static_cast<double>(batch->size);
            has_loss = true;
        }
        if (output.scores.defined()) {
            auto probs = output.scores.to(torch::kCPU, torch::kFloat32).contiguous();
            p.scores.insert(p.scores.end(), probs.data_ptr<float>(), probs.data_ptr<float>() + probs.numel());
        }
        for (size_t k = 0; k < output.detections.size(); ++k) {
            const auto& d = output.detections[k];
            // A tile's boxes move to the whole image's pixels; all are kept in pixels until views are merged.
            const bool tiled = !batch->full_widths.empty();
            View view;
            view.source = loader.dataset().samples[static_cast<size_t>(batch->indices[k])].source;
            view.width = tiled ? batch->full_widths[k] : batch->widths[k];
            view.height = tiled ? batch->full_heights[k] : batch->heights[k];
            auto offset = torch::tensor({static_cast<float>(tiled ? batch->offsets_x[k] : 0), static_cast<float>(tiled ? batch->offsets_y[k] : 0),
                                         static_cast<float>(tiled ? batch->offsets_x[k] : 0), static_cast<float>(tiled ? batch->offsets_y[k] : 0)});
            view.boxes = d.boxes.to(torch::kCPU, torch::kFloat32) + offset;
            view.scores = d.scores.to(torch::kCPU, torch::kFloat32);
            view.labels = d.labels.to(torch::kCPU, torch::kLong) - 1;
            if (d.masks.defined()) {
                if (loader.dataset().tile_nms_thresh > 0) throw std::invalid_argument("segmentation does not predict over tiles");
                view.masks = d.masks.to(torch::kCPU, torch::kFloat32);
            }
            views.push_back(std::move(view));
        }
        p.count += batch->size;
    }
    const auto& dataset = loader.dataset();
    if (dataset.tile_nms_thresh > 0) {
        // A tiled dataset: each image's views (the whole image, then its tiles) merged by per-class NMS.
        std::vector<std::vector<View>> by_image(static_cast<size_t>(dataset.source_count));
        for (auto& v : views) by_image.at(static_cast<size_t>(v.source)).push_back(std::move(v));
        views.clear();
        for (auto& group : by_image) {
            if (group.empty()) continue;
            View merged;
            merged.width = group[0].width;
            merged.height = group[0].height;
            std::vector<torch::Tensor> b, s, l;
            for (auto& v : group) b.push_back(v.boxes), s.push_back(v.scores), l.push_back(v.labels);
            merged.boxes = torch::cat(b);
            merged.scores = torch::cat(s);
            merged.labels = torch::cat(l);
            auto keep = batched_nms(merged.boxes, merged.scores, merged.labels, dataset.tile_nms_thresh)
                            .slice(0, 0, dataset.tile_max_detections);
            merged.boxes = merged.boxes.index({keep});
            merged.scores = merged.scores.index({keep});
            merged.labels = merged.labels.index({keep});
            views.push_back(std::move(merged));
        }
        p.count = static_cast<int64_t>(views.size());
    }
    for (auto& v : views) {
        Prediction::Detections out;
        out.width = v.width;
        out.height = v.height;
        auto scale = torch::tensor({1.0f / v.width, 1.0f / v.height, 1.0f / v.width, 1.0f / v.height});
        auto boxes = (v.boxes * scale).contiguous();
        out.boxes.assign(boxes.data_ptr<float>(), boxes.data_ptr<float>() + boxes.numel());
        auto scores = v.scores.contiguous();
        out.scores.assign(scores.data_ptr<float>(), scores.data_ptr<float>() + scores.numel());
        auto labels = v.labels.to(torch::kInt).contiguous();
        out.labels.assign(labels.data_ptr<int32_t>(), labels.data_ptr<int32_t>() + labels.numel());
        if (v.masks.defined()) {
            const int64_t n = v.masks.size(0);
            out.mask_size = v.masks.size(-1);
            auto masks = v.masks.contiguous();
            out.masks.assign(masks.data_ptr<float>(), masks.data_ptr<float>() + masks.numel());
            auto pixel_boxes = v.boxes.contiguous();
            out.pixel_boxes.assign(pixel_boxes.data_ptr<float>(), pixel_boxes.data_ptr<float>() + pixel_boxes.numel());
            const auto& settings = model.mask_settings;
            for (int64_t k = 0; k < n; ++k) {
                auto pasted = detection::paste_masks_in_image(v.masks.slice(0, k, k + 1), v.boxes.slice(0, k, k + 1), {v.height, v.width});
                auto binary = (pasted[0][0] > settings.pixel_score_thresh).to(torch::kUInt8).contiguous();
                auto parts = mask_to_polygons(binary.data_ptr<uint8_t>(), v.height, v.width, static_cast<int>(settings.max_polygon_points));
                for (auto& part : parts)
                    for (size_t i = 0; i < part.size(); ++i) part[i] /= static_cast<float>(i % 2 == 0 ? v.width : v.height);
                out.polygons.push_back(std::move(parts));
                out.rle.push_back(encode_rle(binary.data_ptr<uint8_t>(), v.height, v.width));
            }
        }
        p.detections.push_back(std::move(out));
    }
    p.mean_loss = has_loss && p.count > 0 ? loss_sum / static_cast<double>(p.count) : std::numeric_limits<double>::quiet_NaN();
    return p;
}

std::vector<uint32_t> encode_rle(const uint8_t* mask, int height, int width) {
    std::vector<uint32_t> counts;
    uint8_t current = 0;
    uint32_t run = 0;
    for (int x = 0; x < width; ++x) {
        for (int y = 0; y < height; ++y) {
            const uint8_t value = mask[static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)] != 0;
            if (value != current) {
                counts.push_back(run);
                run = 0;
                current = value;
            }
            ++run;
        }
    }
    counts.push_back(run);
    return counts;
}

std::vector<float> pasted_mask(const Prediction::Detections& d, int64_t detection) {
    const int64_t m = d.mask_size;
    auto mask = torch::from_blob(const_cast<float*>(d.masks.data()) + detection * m * m, {1, 1, m, m}).clone();
    auto box = torch::from_blob(const_cast<float*>(d.pixel_boxes.data()) + detection * 4, {1, 4}).clone();
    auto pasted = detection::paste_masks_in_image(mask, box, {d.height, d.width}).contiguous();
    return std::vector<float>(pasted.data_ptr<float>(), pasted.data_ptr<float>() + pasted.numel());
}

}  // namespace spool
