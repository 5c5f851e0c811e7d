/*
 * spool_engine.h — the whole C ABI of Spool's libtorch engine.
 *
 * This header is the one door between Swift (or any C caller) and the C++ engine.
 * Conventions, after PyTorch's AOTInductor shim, tch-rs and llama.cpp:
 *  - every function returns a spool_status and writes results through out-parameters;
 *  - on failure, spool_last_error() returns a thread-local message (libtorch's own text included);
 *  - no C++ exception crosses this boundary;
 *  - handles are opaque and each has a matching *_free (which accepts NULL);
 *  - parameter structs come with *_default_params(); a changed signature becomes a new *_v2 function.
 */
#ifndef SPOOL_ENGINE_H
#define SPOOL_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SPOOL_ENGINE_ABI_VERSION 1

typedef enum spool_status {
    SPOOL_OK = 0,
    SPOOL_ERR_INVALID_ARGUMENT = 1, /* a bad name, size or value from the caller */
    SPOOL_ERR_IO = 2,               /* a file could not be read, written or decoded */
    SPOOL_ERR_TORCH = 3,            /* libtorch raised (c10::Error) */
    SPOOL_ERR_OUT_OF_MEMORY = 4,    /* host or device allocation failed */
    SPOOL_ERR_WEIGHTS = 5,          /* a weights file does not match the model */
    SPOOL_ERR_INTERNAL = 9
} spool_status;

/* The message of the last failure on this thread ("" if none). Valid until the next failing call. */
const char *spool_last_error(void);

/* ---------------------------------------------------------------- runtime */

typedef struct spool_runtime_info {
    char torch_version[32];
    int32_t abi_version;
    int32_t intra_op_threads;
    int32_t cuda_available;
    int32_t cuda_device_count;
    char blas[64];          /* e.g. "OpenBLAS" as libtorch reports it */
} spool_runtime_info;

spool_status spool_runtime_get_info(spool_runtime_info *out);
/* Sets libtorch's intra-op threads (and OpenCV's). n <= 0 picks the number of cores. */
spool_status spool_runtime_set_threads(int32_t n);
/* Seeds libtorch's generators (CPU and CUDA). */
spool_status spool_runtime_seed(uint64_t seed);
/* Configuration text of libtorch (BLAS, CPU capability, CUDA); caller frees with spool_string_free. */
spool_status spool_runtime_config(char **out);
void spool_string_free(char *s);

/* ---------------------------------------------------------------- models */

typedef struct spool_model spool_model;

typedef struct spool_model_params {
    const char *name;      /* Spool model name: "resnet18", "vitb16r224", ... */
    int32_t num_classes;
    int32_t image_size;    /* ViT position embeddings are built for this size (default 224) */
    const char *device;    /* "cpu", "cuda", "cuda:1" */
} spool_model_params;

spool_model_params spool_model_default_params(void);
spool_status spool_model_create(const spool_model_params *params, spool_model **out);
void spool_model_free(spool_model *model);

/* Names the engine knows, one per line; caller frees with spool_string_free. */
spool_status spool_model_names(char **out);

typedef struct spool_load_report {
    int64_t loaded;        /* tensors copied into the model */
    int64_t skipped_head;  /* classifier-head tensors left as initialised (replace_head) */
    int64_t unexpected;    /* tensors in the file the model does not have (ignored when replace_head) */
} spool_load_report;

/*
 * Loads weights (safetensors, or a torch.save'd plain dict) whose names are the reference's state-dict
 * keys. With replace_head != 0, the classifier head is kept as initialised (a new head for the job's
 * classes); otherwise every model tensor must be present with the same shape.
 */
spool_status spool_model_load(spool_model *model, const char *path, int32_t replace_head,
                              spool_load_report *report);
/* Saves every parameter and buffer as safetensors under the reference's names. */
spool_status spool_model_save(spool_model *model, const char *path);
/* Freezes the first n layer groups of the backbone (see docs/hyperparameters.md). */
spool_status spool_model_freeze(spool_model *model, int32_t groups);
spool_status spool_model_num_parameters(spool_model *model, int64_t *total, int64_t *trainable);
/* The number of layer groups layers_to_freeze may name for this model. */
spool_status spool_model_num_layer_groups(spool_model *model, int32_t *out);

/*
 * Forward in evaluation mode on a contiguous NCHW float32 batch already normalised.
 * Writes shape[0] * num_classes logits to out_logits (capacity in floats).
 */
spool_status spool_model_forward(spool_model *model, const float *input, const int64_t shape[4],
                                 float *out_logits, int64_t capacity);

typedef struct spool_gradient_report {
    int64_t parameters;        /* trainable parameter tensors */
    int64_t without_gradient;  /* of those, how many backward did not reach (no gradient) */
    int64_t non_finite;        /* how many have NaN or infinite values in their gradient */
    double loss;               /* the cross-entropy used (against class 0) */
    int32_t outputs_finite;    /* 1 when every logit is finite */
} spool_gradient_report;

/*
 * A self-check: one training-mode forward and backward on the given batch; reports which parameters
 * received a gradient. missing_names (optional) receives the names without one, one a line (free with
 * spool_string_free). Gradients are cleared afterwards.
 */
spool_status spool_model_gradient_check(spool_model *model, const float *input, const int64_t shape[4],
                                        spool_gradient_report *report, char **missing_names);

/* ---------------------------------------------------------------- data */

typedef struct spool_loader spool_loader;

typedef struct spool_loader_params {
    int32_t batch_size;
    int32_t train;            /* 1: training augmentation and shuffling; 0: resize + center crop, in order */
    int32_t crop_size;        /* output side in pixels */
    int32_t resize_size;      /* validation: shorter side before center crop */
    float mean[3];
    float std[3];
    /* training augmentation (torchvision semantics) */
    float scale_min, scale_max;   /* RandomResizedCrop area share */
    float ratio_min, ratio_max;   /* RandomResizedCrop aspect ratio */
    float hflip_prob;
    float brightness, contrast, saturation, hue; /* ColorJitter strengths; 0 disables each */
    int32_t drop_last;
    uint64_t seed;            /* shuffling and augmentation are reproducible under it */
    int32_t workers;          /* background decode threads (>= 1) */
    int32_t prefetch;         /* batches prepared ahead */
} spool_loader_params;

spool_loader_params spool_loader_default_params(void);

/*
 * A loader over `count` images. targets holds count * target_width floats: the class index
 * (target_width 1, multiclass) or a multi-hot row (multilabel).
 */
spool_status spool_loader_create(const char *const *paths, const float *targets, int64_t count,
                                 int32_t target_width, const spool_loader_params *params,
                                 spool_loader **out);
void spool_loader_free(spool_loader *loader);
/* Starts an epoch (shuffles with seed + epoch when training). */
spool_status spool_loader_start_epoch(spool_loader *loader, int64_t epoch);
spool_status spool_loader_num_batches(spool_loader *loader, int64_t *out);

typedef struct spool_batch_view {
    const float *images;      /* N x 3 x H x W, valid until the next spool_loader_next */
    const float *targets;     /* N x target_width */
    int64_t size;             /* N; 0 at the end of the epoch */
    int32_t height, width, target_width;
} spool_batch_view;

/* The next batch of the epoch (size 0 once the epoch is done). An unreadable image fails with SPOOL_ERR_IO. */
spool_status spool_loader_next(spool_loader *loader, spool_batch_view *out);

/* Decodes and preprocesses one image as validation does, into 3 x crop x crop floats. */
spool_status spool_image_preprocess(const char *path, const spool_loader_params *params, float *out,
                                    int64_t capacity);
/* Decodes only the header-free size: width and height of a decodable image, else SPOOL_ERR_IO. */
spool_status spool_image_probe(const char *path, int32_t *width, int32_t *height);

/*
 * Encodes 8-bit pixels (rows of width * channels bytes; channels 1 grey, 3 RGB, 4 RGBA) to an image file
 * whose format follows the extension (.png, .jpg, .bmp, .tif, .webp). For examples and tests.
 */
spool_status spool_image_write(const char *path, const uint8_t *pixels, int32_t width, int32_t height,
                               int32_t channels);

/* ---------------------------------------------------------------- training */

typedef enum spool_task_kind { SPOOL_TASK_MULTICLASS = 0, SPOOL_TASK_MULTILABEL = 1 } spool_task_kind;
typedef enum spool_optimizer_kind { SPOOL_OPT_SGD = 0, SPOOL_OPT_ADAM = 1, SPOOL_OPT_ADAMW = 2 } spool_optimizer_kind;

typedef struct spool_trainer spool_trainer;

typedef struct spool_trainer_params {
    int32_t task;                 /* spool_task_kind */
    int32_t optimizer;            /* spool_optimizer_kind */
    double learning_rate;
    double momentum;
    double weight_decay;
    int32_t nesterov;
    double beta1, beta2;
    int32_t amsgrad;
    int32_t grad_accumulation_step;
    const float *class_weights;   /* loss weights per class (NULL: none); copied */
    int32_t num_class_weights;
} spool_trainer_params;

spool_trainer_params spool_trainer_default_params(void);
/* The trainer borrows the model: free the trainer first. */
spool_status spool_trainer_create(spool_model *model, const spool_trainer_params *params, spool_trainer **out);
void spool_trainer_free(spool_trainer *trainer);
spool_status spool_trainer_set_learning_rate(spool_trainer *trainer, double lr);

typedef struct spool_step_result {
    double loss;          /* mean loss of the batch */
    int64_t images;       /* images in the batch; 0 when the epoch had no batch left */
    int32_t updated;      /* 1 when this step applied an optimizer update */
} spool_step_result;

/* Trains on the loader's next batch (forward, backward, and an update every grad_accumulation_step). */
spool_status spool_trainer_step(spool_trainer *trainer, spool_loader *loader, spool_step_result *out);
/* Applies a pending partial accumulation at the end of an epoch (no-op when none). */
spool_status spool_trainer_flush(spool_trainer *trainer);

/*
 * Runs the model in evaluation mode over the whole loader epoch (in order) and writes, per image,
 * num_classes probabilities (softmax for multiclass, sigmoid for multilabel). mean_loss receives the
 * loss against the targets. count receives the number of images.
 */
spool_status spool_evaluate(spool_model *model, spool_loader *loader, int32_t task, float *out_probs,
                            int64_t capacity, int64_t *count, double *mean_loss);

#ifdef __cplusplus
}
#endif

#endif /* SPOOL_ENGINE_H */
