// trainer.h — the optimiser and one training step for any model: the model returns its losses by name, the
// trainer sums them, steps the optimiser every grad_accumulation_step batches, and chooses the memory format
// that makes this model's step fastest on this machine (as cudnn.benchmark chooses kernels).
#pragma once

#include "data/loader.h"
#include "models/model.h"
#include "train/process_group.h"

#include <torch/optim/optimizer.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace spool {

enum class OptimizerKind { sgd = 0, adam = 1, adamw = 2 };
enum class MemoryFormatChoice { automatic = 0, contiguous = 1, channels_last = 2 };

struct TrainerConfig {
    OptimizerKind optimizer = OptimizerKind::sgd;
    double learning_rate = 0.01;
    double momentum = 0.9;
    double weight_decay = 1e-4;
    bool nesterov = true;
    double beta1 = 0.9, beta2 = 0.999;
    bool amsgrad = false;
    int grad_accumulation_step = 1;
    std::vector<float> class_weights;  // classification loss weights per class; empty: unweighted
    MemoryFormatChoice memory_format = MemoryFormatChoice::automatic;
    /// Seeds the trainer's own generator, which the model's random draws use during a step (detection's
    /// samplers): a run is reproducible under it whatever else the process draws.
    uint64_t seed = 0;
    /// YOLOv5's recipe (Ultralytics' train.py): no weight decay on biases and BatchNorm weights; during the
    /// first `warmup_iterations` batches the biases' learning rate falls from 0.1 and the others' rises from 0 to
    /// the scheduled one, momentum rises from 0.8, and the accumulation grows from 1 batch to the nominal batch;
    /// afterwards an update every round(nominal_batch_size / batch_size) batches, across epochs.
    bool yolo_recipe = false;
    int64_t warmup_iterations = 0;
    int64_t nominal_batch_size = 64;
    int64_t batch_size = 16;
    /// > 0: an exponential moving average of the weights, decay ema_decay x (1 - exp(-updates / 2000)).
    double ema_decay = 0;
};

struct StepResult {
    double loss = 0;  // the sum of the named losses
    int64_t images = 0;
    bool updated = false;
    std::vector<std::pair<std::string, double>> losses;
};

class Trainer {
public:
    Trainer(std::shared_ptr<Model> model, torch::Device device, TrainerConfig config);
    ~Trainer();
    /// Data-parallel over `group` (DistributedDataParallel's semantics): rank 0's parameters and buffers are
    /// broadcast now, gradients are averaged over the ranks before each update, batch norm uses the whole
    /// batch's statistics, and a step's loss and image count are the whole batch's. Before the first step.
    void set_process_group(std::shared_ptr<ProcessGroup> group);
    void set_learning_rate(double lr);
    /// With an EMA: puts its weights into the model (true; the training weights are kept aside) or the training
    /// weights back (false). Evaluation and saving use the average.
    void use_average(bool average);
    bool has_average() const { return !ema_.empty(); }
    StepResult step(Loader& loader);
    void flush();
    /// The memory format in use and why ("channels_last: 41 ms/image against 57 contiguous"); "" until chosen.
    const std::string& memory_format_note() const { return memory_note_; }

    /// Everything a run needs to go on as if it had never stopped (train/trainer_state.cpp): the model's
    /// parameters and buffers, the optimiser's state (momentum, Adam's moments, its groups' options), the
    /// weight average, gradients accumulated but not yet applied, the step, update and accumulation counters,
    /// the trainer's and libtorch's default CPU generators, and the memory format chosen. One safetensors
    /// file, written whole or not at all. The training weights must be in the model (not the average).
    void save_state(const std::string& path) const;
    /// Restores what save_state wrote, into a trainer made with the same configuration over the same model
    /// (and after set_process_group in a data-parallel run: every rank loads the same file). Throws
    /// std::invalid_argument naming what does not match.
    void load_state(const std::string& path);

private:
    /// Times forward and backward passes of this batch in both layouts, without changing the model (batch
    /// statistics restored, gradients cleared), and keeps the faster layout for the whole run.
    void choose_memory_format(const ModelInput& input, int64_t images);

    std::shared_ptr<Model> model_;
    torch::Device device_;
    TrainerConfig config_;
    /// YOLOv5's warm-up and accumulation for batch `iterations_`; returns the batches per update.
    int64_t prepare_yolo_step();
    void update_average();
    /// The mean of every trainable parameter's gradient over the ranks (one all-reduce of them all, flattened);
    /// a gradient no rank has stays undefined, as the optimisers then skip its parameter.
    void average_gradients();
    void apply_update();

    std::shared_ptr<ProcessGroup> group_;

    std::unique_ptr<torch::optim::Optimizer> optimizer_;
    int pending_ = 0;
    double base_lr_ = 0;
    int64_t iterations_ = 0, updates_ = 0, accumulate_ = 1;
    std::vector<int> group_is_bias_;
    std::vector<std::pair<torch::Tensor, torch::Tensor>> ema_;  // (model tensor, its average)
    std::vector<torch::Tensor> aside_;                          // the training weights while the average is in
    bool averaged_ = false;
    bool measuring_ = false;
    std::string memory_note_;
    at::Generator generator_;
};

/// A batch as tensors on `device`, for the model's task.
ModelInput to_model_input(const Batch& batch, const Dataset& dataset, torch::Device device);

/// What a model predicts over one loader epoch, in the loader's order.
struct Prediction {
    Task task = Task::multiclass;
    int64_t count = 0;
    int64_t num_classes = 0;
    std::vector<float> scores;  // classification: count x num_classes
    struct Detections {
        std::vector<float> boxes;     // n x 4, normalised to the image
        std::vector<float> scores;    // n
        std::vector<int32_t> labels;  // n, from 0
        int width = 0, height = 0;    // the image's size in pixels
        // Segmentation, per detection: its mask as the model gave it (mask_size x mask_size probabilities within
        // the box, pasted into the image on request: paste_masks_in_image with `pixel_boxes`), the pasted mask
        // above the model's pixel threshold as polygons (parts of x, y, ... normalised to the image) and as
        // COCO's uncompressed RLE (run lengths, column-major, starting with a run of zeros).
        int64_t mask_size = 0;
        std::vector<float> masks;       // n x mask_size x mask_size
        std::vector<float> pixel_boxes;  // n x 4, in pixels
        std::vector<std::vector<std::vector<float>>> polygons;
        std::vector<std::vector<uint32_t>> rle;
    };
    std::vector<Detections> detections;
    double mean_loss = 0;  // NaN when the task computes no evaluation loss
};

Prediction predict(Model& model, torch::Device device, Loader& loader);

/// COCO's uncompressed RLE of a binary mask (height x width, row-major): run lengths in column-major order,
/// the first a run of zeros (possibly empty).
std::vector<uint32_t> encode_rle(const uint8_t* mask, int height, int width);

/// A segmentation detection's mask pasted into its image: height x width probabilities, row-major.
std::vector<float> pasted_mask(const Prediction::Detections& d, int64_t detection);

/// The optimiser over the model's trainable parameters.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(Model& model, const TrainerConfig& config);

}  // namespace spool
