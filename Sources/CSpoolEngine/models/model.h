// model.h — what every model of the engine provides, whatever its task.
//
// A model is a torch::nn::Module whose registered names equal the reference implementation's (torchvision,
// timm, Ultralytics), so that its parameters and buffers are the reference's state-dict keys and reference
// weight files load as they are. In training mode `run` returns named losses (the trainer sums them); in
// evaluation mode it returns predictions: class probabilities, or boxes with scores and labels.
#pragma once

#include "models/task.h"

#include <ATen/core/Generator.h>
#include <torch/nn/module.h>
#include <torch/types.h>

#include <array>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace spool {

/// How a model is built: its classes, and the settings of its task.
struct ModelConfig {
    Task task = Task::multiclass;
    int64_t num_classes = 1000;  // classes of the job (detection: without the background)
    int64_t image_size = 224;    // ViT builds its position embedding for this side
    // Detection and segmentation (torchvision's GeneralizedRCNNTransform and postprocessing).
    int64_t min_size = 600, max_size = 1333;
    double box_score_thresh = 0.3, box_nms_thresh = 0.5;
    int64_t box_detections_per_img = 100;
    /// FrozenBatchNorm2d in the backbone (a backbone that starts from ImageNet weights, as torchvision does);
    /// trainable BatchNorm when training from scratch.
    bool frozen_batch_norm = false;
    /// Backbone stages that train, counted from the top (torchvision's trainable_backbone_layers); -1: all.
    int64_t trainable_backbone_layers = -1;
    // YOLOv5: image_size is img_size (training side and evaluation letterbox), box_nms_thresh its box_iou_thresh.
    bool multi_scale = false;     // training batches resized to a random multiple of 32 in 50-150% of image_size
    std::vector<float> anchors;   // 9 anchors as 18 numbers (w, h pixels, P3 to P5); empty: Ultralytics' defaults
    // Segmentation outputs: a pasted mask's pixels above the threshold are the object's; polygons bounded.
    double mask_pixel_score_thresh = 0.5;
    int64_t max_polygon_points = 100;
};

/// How a segmentation model's masks become outputs (Azure's mask_pixel_score_threshold and
/// max_number_of_polygon_points).
struct MaskSettings {
    double pixel_score_thresh = 0.5;
    int64_t max_polygon_points = 100;
};

/// One image's ground truth, in the pixels of the image as the model receives it.
struct ImageTargets {
    torch::Tensor boxes;   // n x 4 float: x1, y1, x2, y2
    torch::Tensor labels;  // n int64: 1-based class ids (0 is the background)
    torch::Tensor crowd;   // n bool: ignored by losses and metrics
    torch::Tensor masks;   // n x H x W uint8 (segmentation)
};

/// A batch as the model receives it.
struct ModelInput {
    /// Classification: N x 3 x S x S normalised crops. Detection: N x 3 x H x W RGB in [0, 1], each image in
    /// the top-left corner of the padded batch.
    torch::Tensor images;
    /// Per image: its (height, width) inside the padding.
    std::vector<std::array<int64_t, 2>> sizes;
    /// Classification: N class ids (multiclass) or N x C multi-hot rows (multilabel).
    torch::Tensor class_targets;
    /// Detection and segmentation.
    std::vector<ImageTargets> targets;
};

/// One image's detections, in the pixels of the image as the model received it.
struct ImageDetections {
    torch::Tensor boxes;   // n x 4 float
    torch::Tensor scores;  // n float
    torch::Tensor labels;  // n int64, 1-based
    /// Segmentation: n x 1 x 28 x 28 probabilities within each box (torchvision pastes them into the image at
    /// once; Spool pastes one at a time, with paste_masks_in_image, so that a batch holds no n full-size maps).
    torch::Tensor masks;
};

struct ModelOutput {
    /// Training: every loss by name (summed by the trainer). Classification evaluation: "classification".
    std::vector<std::pair<std::string, torch::Tensor>> losses;
    /// Classification evaluation: N x C probabilities (softmax or sigmoid).
    torch::Tensor scores;
    /// Detection and segmentation evaluation.
    std::vector<ImageDetections> detections;
};

class Model : public torch::nn::Module {
public:
    virtual Task task() const = 0;

    /// Training mode: named losses. Evaluation mode: predictions.
    virtual ModelOutput run(const ModelInput& input) = 0;

    /// Prefixes of the task heads: re-initialised for a job's own classes (replace_head), so their tensors
    /// are skipped when reference weights are loaded.
    virtual std::vector<std::string> head_prefixes() const = 0;

    /// Layer groups for `layers_to_freeze`, in order: each lists the name prefixes of one group.
    virtual std::vector<std::vector<std::string>> layer_groups() const = 0;

    /// Where an ImageNet classifier's names sit in this model: "" for classifiers, "backbone.body." for
    /// torchvision's detectors (so an ImageNet ResNet file starts a detector's backbone).
    virtual std::string backbone_prefix() const { return ""; }

    /// Where that classifier's file keeps the backbone's tensors, replaced by backbone_prefix() when it is loaded:
    /// "" (the names as they are: ResNet) or "features." (MobileNet, whose detector body holds `features`' blocks).
    virtual std::string classifier_backbone_prefix() const { return ""; }

    /// A reference file's tensors (by this model's names) brought to this model's layout where the reference's
    /// differs; called before they are loaded. RetinaNet drops torchvision's background slot.
    virtual void adapt_reference_state(std::map<std::string, torch::Tensor>& file) const {}

    /// The raw output of evaluation for a batch the caller prepared (parity checks): classifiers' logits,
    /// YOLOv5's decoded head (N x anchors x (5 + C)). Other models throw std::invalid_argument.
    virtual torch::Tensor forward_raw(const torch::Tensor& images);

    /// Whether a parameter was frozen when the model was built (and `layers_to_freeze` must not unfreeze it).
    bool frozen_by_design(const std::string& name) const { return frozen_by_design_.count(name) > 0; }

    /// Whether the model's kernels take channels-last tensors (convolutional networks; not RoI kernels), so the
    /// trainer may measure which layout is faster.
    virtual bool supports_channels_last() const { return is_classification(task()); }

    /// Segmentation models: how their masks become outputs.
    MaskSettings mask_settings;

    /// Converts 4-D parameters and buffers to channels-last memory (or back): chosen per model by measuring.
    void set_channels_last(bool channels_last);
    bool channels_last() const { return channels_last_; }

protected:
    /// Records the parameters frozen so far as frozen by design (detectors call it once built).
    void record_frozen_by_design() {
        for (const auto& p : named_parameters(true))
            if (!p.value().requires_grad()) frozen_by_design_.insert(p.key());
    }

private:
    bool channels_last_ = false;
    std::set<std::string> frozen_by_design_;
};

/// Puts a model in training or evaluation mode for a scope and restores its mode on every exit.
class ModeGuard {
public:
    ModeGuard(torch::nn::Module& module, bool train) : module_(module), was_training_(module.is_training()) {
        module_.train(train);
    }
    ~ModeGuard() { module_.train(was_training_); }
    ModeGuard(const ModeGuard&) = delete;
    ModeGuard& operator=(const ModeGuard&) = delete;

private:
    torch::nn::Module& module_;
    bool was_training_;
};

/// The generator of a model's random draws during a training step (detection's balanced samplers): the
/// trainer's own for the span of the step, so that a step is reproducible under the trainer's seed whatever
/// other threads of the process draw; libtorch's default generator outside a scope.
class GeneratorScope {
public:
    explicit GeneratorScope(at::Generator generator) : previous_(slot()) { slot() = std::move(generator); }
    ~GeneratorScope() { slot() = std::move(previous_); }
    GeneratorScope(const GeneratorScope&) = delete;
    GeneratorScope& operator=(const GeneratorScope&) = delete;

    /// The scope's generator, or none (libtorch's default).
    static c10::optional<at::Generator> current() {
        const auto& g = slot();
        return g.defined() ? c10::optional<at::Generator>(g) : c10::nullopt;
    }

private:
    static at::Generator& slot() {
        thread_local at::Generator generator;
        return generator;
    }
    at::Generator previous_;
};

/// Every parameter and buffer under its reference name.
std::vector<std::pair<std::string, torch::Tensor>> named_tensors(torch::nn::Module& module);

}  // namespace spool
