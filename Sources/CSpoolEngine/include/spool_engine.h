/*
 * spool_engine.h — the whole C ABI of Spool's libtorch engine.
 *
 * This header is the one door between Swift (or any C caller) and the C++ engine.
 * Conventions, after PyTorch's AOTInductor shim, tch-rs and llama.cpp:
 *  - every function returns a spool_status and writes results through out-parameters;
 *  - on failure, spool_last_error() returns a thread-local message (libtorch's own text included);
 *  - no C++ exception crosses this boundary;
 *  - handles are opaque and each has a matching *_free (which accepts NULL);
 *  - results of variable size come back as a handle with accessors and a *_free (spool_prediction);
 *  - parameter structs come with *_default_params(); a changed signature becomes a new *_v2 function;
 *  - what differs by model family travels as that family's own option block (JSON), which the family validates;
 *  - SPOOL_ENGINE_ABI_VERSION changes with any incompatible change; callers check spool_abi_version().
 */
#ifndef SPOOL_ENGINE_H
#define SPOOL_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SPOOL_ENGINE_ABI_VERSION 6

typedef enum spool_status {
    SPOOL_OK = 0,
    SPOOL_ERR_INVALID_ARGUMENT = 1, /* a bad name, size or value from the caller */
    SPOOL_ERR_IO = 2,               /* a file could not be read, written or decoded */
    SPOOL_ERR_TORCH = 3,            /* libtorch raised (c10::Error) */
    SPOOL_ERR_OUT_OF_MEMORY = 4,    /* host or device allocation failed */
    SPOOL_ERR_WEIGHTS = 5,          /* a weights file cannot be read or does not fit the model */
    SPOOL_ERR_HEAD_SHAPE = 6,       /* a weights file fits the model but for its head's size (other classes) */
    SPOOL_ERR_INTERNAL = 9
} spool_status;

/* The four tasks of the specification. */
typedef enum spool_task {
    SPOOL_TASK_MULTICLASS = 0,
    SPOOL_TASK_MULTILABEL = 1,
    SPOOL_TASK_OBJECT_DETECTION = 2,
    SPOOL_TASK_INSTANCE_SEGMENTATION = 3
} spool_task;

/* The ABI version this library implements (SPOOL_ENGINE_ABI_VERSION when it was built). */
int32_t spool_abi_version(void);

/* The message of the last failure on this thread ("" if none). Valid until the next failing call. */
const char *spool_last_error(void);
void spool_string_free(char *s);

/* ---------------------------------------------------------------- runtime */

typedef struct spool_runtime_info {
    char torch_version[32];
    int32_t abi_version;
    int32_t intra_op_threads;
    int32_t cuda_available;
    int32_t cuda_device_count;
    char blas[64];          /* e.g. "OpenBLAS" as libtorch reports it */
    char kernels[256];      /* NMS and RoIAlign: "torchvision PATH" or "ATen fallback" */
} spool_runtime_info;

spool_status spool_runtime_get_info(spool_runtime_info *out);
/* Sets libtorch's intra-op threads (and OpenCV's). n <= 0 picks the number of cores. */
spool_status spool_runtime_set_threads(int32_t n);
/* Seeds libtorch's generators (CPU and CUDA). */
spool_status spool_runtime_seed(uint64_t seed);
/* Configuration text of libtorch (BLAS, CPU capability, CUDA); caller frees with spool_string_free. */
spool_status spool_runtime_config(char **out);

/* ---------------------------------------------------------------- models */

typedef struct spool_model spool_model;

/* What every model is built from; the options of its family come beside it as one JSON block. */
typedef struct spool_model_spec {
    const char *name;      /* Spool model name: "resnet18", "vitb16r224", "fasterrcnn_resnet50_fpn", ... */
    int32_t task;          /* spool_task */
    int32_t num_classes;   /* the job's classes (detection: without the background) */
    const char *device;    /* "cpu", "cuda", "cuda:1" (NULL: "cpu") */
} spool_model_spec;

/*
 * Builds a model from its spec and its family's options: a JSON object whose keys are the options of the
 * model's family (meta_architecture in spool_model_catalog, which lists each model's keys and defaults); NULL or
 * "{}" builds the family's defaults. The family validates the block: an unknown key, a wrong type or a value out
 * of range fails with SPOOL_ERR_INVALID_ARGUMENT, the message naming the model, the key, the value given and
 * what is allowed. The families and their keys:
 *   classifier       image_size (ViT's position embeddings are built for it; 224)
 *   two_stage_rcnn   min_size, max_size (resize so the shorter side is min_size, the longer <= max_size),
 *                    box_score_thresh, box_nms_thresh, box_detections_per_img, frozen_batch_norm (true:
 *                    FrozenBatchNorm2d in the backbone), trainable_backbone_layers (-1: all),
 *                    mask_pixel_score_thresh, max_polygon_points (Mask R-CNN's outputs)
 *   one_stage_dense  the same but the mask options (RetinaNet, FCOS)
 *   yolo             image_size (img_size, a multiple of 32), box_score_thresh, box_nms_thresh (box_iou_thresh),
 *                    box_detections_per_img, multi_scale (training batches resized to a random multiple of 32
 *                    in 50-150%), anchors (18 positive numbers: 9 anchors, w, h in pixels, P3 to P5; null: the
 *                    defaults)
 * (ABI 6 replaced spool_model_params, spool_model_default_params and spool_model_create, a flat union of every
 * family's options.)
 */
spool_status spool_model_create_v2(const spool_model_spec *spec, const char *options_json, spool_model **out);
void spool_model_free(spool_model *model);

/* The model table as JSON: [{name, tasks, family, library, architecture, meta_architecture, options}, ...]
 * (options: the keys spool_model_create_v2 takes for the model, with their defaults); free with spool_string_free. */
spool_status spool_model_catalog(char **out);

typedef struct spool_load_report {
    int64_t loaded;        /* tensors copied into the model */
    int64_t skipped_head;  /* head tensors left as initialised (replace_head) */
    int64_t unexpected;    /* tensors in the file the model does not have (ignored when replace_head) */
    int64_t missing;       /* model tensors not in the file (a backbone-only file leaves the rest as initialised) */
    int32_t backbone_only; /* 1 when a classifier's file filled a detector's backbone */
} spool_load_report;

/*
 * Loads weights (safetensors; PyTorch's .pth/.pt/.bin in the zip or legacy format) whose names are the
 * reference's state-dict keys. With replace_head != 0, the heads keep their initialisation (a new head for
 * the job's classes); otherwise every model tensor must be present with the same shape.
 */
spool_status spool_model_load(spool_model *model, const char *path, int32_t replace_head, spool_load_report *report);
/* Saves every parameter and buffer as safetensors under the reference's names. */
spool_status spool_model_save(spool_model *model, const char *path);
/* Freezes the first n layer groups (layers_to_freeze; see docs/hyperparameters.md). */
spool_status spool_model_freeze(spool_model *model, int32_t groups);
spool_status spool_model_num_parameters(spool_model *model, int64_t *total, int64_t *trainable);
/* The number of layer groups layers_to_freeze may name for this model. */
spool_status spool_model_num_layer_groups(spool_model *model, int32_t *out);
/*
 * Classifiers: logits in evaluation mode for a contiguous NCHW float32 batch already normalised (parity
 * checks against the references). Writes shape[0] * num_classes values to out_logits (capacity in floats).
 */
spool_status spool_model_forward(spool_model *model, const float *input, const int64_t shape[4], float *out_logits,
                                 int64_t capacity);
/*
 * The raw evaluation output of a batch the caller prepared: classifiers' logits (N x C), YOLOv5's decoded head
 * (N x anchors x (5 + C): cx, cy, w, h in input pixels, objectness, class probabilities) for an input whose sides
 * are multiples of 32. Writes *written values; fails when capacity is smaller. Other models: invalid argument.
 */
spool_status spool_model_forward_v2(spool_model *model, const float *input, const int64_t shape[4], float *out,
                                    int64_t capacity, int64_t *written);

/* ---------------------------------------------------------------- datasets */

typedef struct spool_dataset spool_dataset;

/* An empty dataset of one task; num_classes counts the job's classes. */
spool_status spool_dataset_create(int32_t task, int32_t num_classes, spool_dataset **out);
void spool_dataset_free(spool_dataset *dataset);
/* Adds an image (its annotations follow); index receives its position. */
spool_status spool_dataset_add_image(spool_dataset *dataset, const char *path, int64_t *index);
/* Classification: a class of the image (once for multiclass, once per positive label for multilabel). */
spool_status spool_dataset_add_class(spool_dataset *dataset, int64_t image, int32_t class_id);
/* Detection and segmentation: an object, its box normalised to the image (x1, y1, x2, y2 in [0, 1]). */
spool_status spool_dataset_add_object(spool_dataset *dataset, int64_t image, int32_t class_id, const float box[4],
                                      int32_t is_crowd, int64_t *object);
/* Segmentation: one part of an object's polygon, `points` (x, y) pairs normalised to the image. */
spool_status spool_dataset_add_polygon(spool_dataset *dataset, int64_t image, int64_t object, const float *xy,
                                       int32_t points);
spool_status spool_dataset_size(spool_dataset *dataset, int64_t *out);
/*
 * Tiled detection (small objects): a new dataset of views, each image whole and then the tiles of a cols x rows
 * grid overlapping by `overlap` (row by row). Training takes every view as a sample; a prediction over it merges
 * each image's views by per-class NMS at nms_thresh, keeping max_detections, and reports per image.
 */
spool_status spool_dataset_tile(const spool_dataset *dataset, int32_t cols, int32_t rows, double overlap, double nms_thresh,
                                int32_t max_detections, spool_dataset **out);

/* ---------------------------------------------------------------- loading */

typedef struct spool_loader spool_loader;

/* How a model takes its images (a model family's input: SpoolCore's ModelInput); it selects the transforms. */
typedef enum spool_input_kind {
    SPOOL_INPUT_CROP = 0,      /* classifiers: random resized crops in training, resize and centre crop otherwise */
    SPOOL_INPUT_RESIZE = 1,    /* torchvision's detectors: SSD-style augmentation in training; the model resizes */
    SPOOL_INPUT_LETTERBOX = 2  /* YOLOv5: mosaic and random affine into a letterbox_size square in training;
                                  evaluation images pass as they are (the model letterboxes them) */
} spool_input_kind;

typedef struct spool_loader_params {
    int32_t batch_size;
    int32_t train;            /* 1: training augmentation and shuffling; 0: the images in order, no augmentation */
    int32_t input_kind;       /* spool_input_kind: crop for classification datasets, resize or letterbox for
                                 detection, resize for segmentation; anything else fails naming what is allowed */
    /* classification */
    int32_t crop_size;        /* output side in pixels */
    int32_t resize_size;      /* validation: shorter side before center crop */
    float mean[3];
    float std[3];
    float scale_min, scale_max;   /* RandomResizedCrop area share */
    float ratio_min, ratio_max;   /* RandomResizedCrop aspect ratio */
    float hflip_prob;             /* every task */
    float brightness, contrast, saturation, hue; /* ColorJitter strengths (detection: photometric); 0 disables */
    /* detection and segmentation (training) */
    float expand_prob, expand_max; /* zoom out onto a canvas up to expand_max times larger */
    float crop_prob;               /* SSD's random crop around the boxes */
    float photometric_prob;        /* the colour jitter above, with this probability */
    /* the letterbox input: its side (a positive multiple of 32; 0 for the other inputs), mosaic with mosaic_prob,
       random affine (degrees, translate share, scale +/-, shear degrees), HSV gains, hflip_prob */
    int32_t letterbox_size;
    float mosaic_prob, degrees, translate, scale, shear;
    float hsv_h, hsv_s, hsv_v;
    int32_t drop_last;
    uint64_t seed;            /* shuffling and augmentation are reproducible under it */
    int32_t workers;          /* background decode threads (>= 1) */
    int32_t prefetch;         /* batches prepared ahead */
    /* data-parallel training: this process takes batch_size images of every batch of shard_count x batch_size
       (the same shuffled order and augmentation in every process); an incomplete last batch is dropped */
    int32_t shard_rank, shard_count;
} spool_loader_params;

spool_loader_params spool_loader_default_params(void);

/* A loader over a dataset (the loader keeps its own copy: the dataset may be freed). */
spool_status spool_loader_create(const spool_dataset *dataset, const spool_loader_params *params, spool_loader **out);
void spool_loader_free(spool_loader *loader);
/* Starts an epoch (shuffles with seed + epoch when training). */
spool_status spool_loader_start_epoch(spool_loader *loader, int64_t epoch);
spool_status spool_loader_num_batches(spool_loader *loader, int64_t *out);

typedef struct spool_batch_view {
    const float *images;      /* N x 3 x H x W, valid until the next spool_loader_next */
    const float *targets;     /* classification: N x target_width */
    const int32_t *heights;   /* per image, inside the padding (detection) */
    const int32_t *widths;
    int64_t size;             /* N; 0 at the end of the epoch */
    int32_t height, width, target_width;
    /* detection: each image's objects after its transforms, image after image (NULL for classification) */
    const int32_t *box_counts; /* N */
    const float *boxes;        /* x1, y1, x2, y2 in the image's pixels, 4 per object */
    const int32_t *labels;     /* class ids from 0 */
    /* segmentation: each object's polygon parts (part_counts, one per object as above), each part's length in
     * numbers (part_lengths) and its x, y, ... in the image's pixels, concatenated (polygon_points) */
    const int32_t *part_counts;
    const int32_t *part_lengths;
    const float *polygon_points;
} spool_batch_view;

/* The next batch of the epoch (size 0 once the epoch is done). An unreadable image fails with SPOOL_ERR_IO. */
spool_status spool_loader_next(spool_loader *loader, spool_batch_view *out);

/* Decodes and preprocesses one image as classification validation does, into 3 x crop x crop floats. */
spool_status spool_image_preprocess(const char *path, const spool_loader_params *params, float *out, int64_t capacity);
/* Decodes an image: its width and height, or SPOOL_ERR_IO (missing, truncated, not an image). */
spool_status spool_image_probe(const char *path, int32_t *width, int32_t *height);
/*
 * Encodes 8-bit pixels (rows of width * channels bytes; channels 1 grey, 3 RGB, 4 RGBA) to an image file
 * whose format follows the extension (.png, .jpg, .bmp, .tif, .webp). For examples and tests.
 */
spool_status spool_image_write(const char *path, const uint8_t *pixels, int32_t width, int32_t height, int32_t channels);
/*
 * Writes a copy of the image at `path` scaled down (area interpolation) so that its longer side is at most
 * max_side, EXIF orientation applied, to `out` (format from its extension); its size in *width, *height.
 */
spool_status spool_image_thumbnail(const char *path, const char *out, int32_t max_side, int32_t *width, int32_t *height);

/* ---------------------------------------------------------------- training */

typedef enum spool_optimizer_kind { SPOOL_OPT_SGD = 0, SPOOL_OPT_ADAM = 1, SPOOL_OPT_ADAMW = 2 } spool_optimizer_kind;
typedef enum spool_memory_format {
    SPOOL_MEMORY_AUTO = 0,          /* measure the first steps in both formats, keep the faster */
    SPOOL_MEMORY_CONTIGUOUS = 1,
    SPOOL_MEMORY_CHANNELS_LAST = 2
} spool_memory_format;

typedef struct spool_trainer spool_trainer;

/* Which optimiser schedule a training follows (a model family's TrainingSchedule). */
typedef enum spool_optimizer_schedule {
    SPOOL_SCHEDULE_PLAIN = 0,       /* one parameter group; an update every grad_accumulation_step batches, the loss
                                       divided by it; a partial accumulation applied at the end of an epoch */
    SPOOL_SCHEDULE_ULTRALYTICS = 1  /* Ultralytics' (YOLOv5's train.py): no decay on biases and BatchNorm weights, the
                                       decay scaled by the nominal batch; over warmup_iterations batches the biases'
                                       lr falls from 0.1 and the others' rises from 0, momentum rises from 0.8 and the
                                       accumulation grows to round(nominal_batch_size / batch_size) batches per update
                                       (kept across epochs); losses summed, not divided */
} spool_optimizer_schedule;

typedef struct spool_trainer_params {
    int32_t optimizer;            /* spool_optimizer_kind */
    double learning_rate;
    double momentum;
    double weight_decay;
    int32_t nesterov;
    double beta1, beta2;
    int32_t amsgrad;
    int32_t grad_accumulation_step;
    const float *class_weights;   /* classification loss weights per class (NULL: none); copied */
    int32_t num_class_weights;
    int32_t memory_format;        /* spool_memory_format */
    uint64_t seed;                /* the trainer's own generator (detection's samplers draw from it) */
    int32_t schedule;             /* spool_optimizer_schedule; the fields below are the Ultralytics schedule's */
    int64_t warmup_iterations;
    int64_t nominal_batch_size;
    int64_t batch_size;
    double ema_decay;             /* > 0: an exponential moving average of the weights (YOLOv5: 0.9999) */
} spool_trainer_params;

spool_trainer_params spool_trainer_default_params(void);
/* The trainer borrows the model: free the trainer first. */
spool_status spool_trainer_create(spool_model *model, const spool_trainer_params *params, spool_trainer **out);
void spool_trainer_free(spool_trainer *trainer);
spool_status spool_trainer_set_learning_rate(spool_trainer *trainer, double lr);
/*
 * With ema_decay > 0: average 1 puts the weight average into the model (evaluate and save it), 0 puts the
 * training weights back (before the next step). *has_average (optional) says whether there is an average.
 */
spool_status spool_trainer_use_average(spool_trainer *trainer, int32_t average, int32_t *has_average);

#define SPOOL_MAX_LOSSES 8

typedef struct spool_step_result {
    double loss;          /* the sum of the named losses, for the batch */
    int64_t images;       /* images in the batch; 0 when the epoch had no batch left */
    int32_t updated;      /* 1 when this step applied an optimizer update */
    int32_t num_losses;
    char loss_names[SPOOL_MAX_LOSSES][32];  /* "classification"; "loss_classifier", "loss_box_reg", ... */
    double loss_values[SPOOL_MAX_LOSSES];
} spool_step_result;

/* Trains on the loader's next batch (forward, backward, and an update every grad_accumulation_step). */
spool_status spool_trainer_step(spool_trainer *trainer, spool_loader *loader, spool_step_result *out);
/* Applies a pending partial accumulation at the end of an epoch (no-op when none). */
spool_status spool_trainer_flush(spool_trainer *trainer);
/* The memory format in use and the measurement behind it ("" until chosen); free with spool_string_free. */
spool_status spool_trainer_memory_format(spool_trainer *trainer, char **out);
/*
 * The trainer's whole state, for a run that resumes bit for bit: the model's parameters and buffers, the
 * optimiser's state, the weight average, gradients accumulated but not applied, the step counters, the CPU
 * generators (the trainer's and libtorch's default) and the memory format. One safetensors file, fsynced and
 * renamed into place. Save with the training weights in the model (use_average 0). Load into a trainer made
 * with the same parameters over the same model (after spool_trainer_set_process_group: every rank loads the
 * same file); SPOOL_ERR_INVALID_ARGUMENT names what does not match.
 */
spool_status spool_trainer_save_state(spool_trainer *trainer, const char *path);
spool_status spool_trainer_load_state(spool_trainer *trainer, const char *path);

/* ---------------------------------------------------------------- data-parallel training */

/*
 * The processes of one data-parallel run (libtorch's c10d): rank 0 serves the rendezvous (a TCPStore at
 * host:port), the collectives run on gloo for the CPU and NCCL for CUDA. Creating one blocks until every rank
 * has joined or timeout_seconds pass; a collective waiting longer than timeout_seconds fails (SPOOL_ERR_TORCH),
 * as does one whose peer died.
 */
typedef struct spool_process_group spool_process_group;

typedef struct spool_process_group_params {
    int32_t rank;
    int32_t world_size;
    const char *host;         /* the rendezvous address (rank 0's) */
    int32_t port;
    double timeout_seconds;
    const char *device;       /* "cpu" (gloo) or "cuda[:N]" (NCCL) */
} spool_process_group_params;

spool_status spool_process_group_create(const spool_process_group_params *params, spool_process_group **out);
void spool_process_group_free(spool_process_group *group);
/* "gloo" or "nccl" (static storage). */
const char *spool_process_group_backend(const spool_process_group *group);
/* In place: the sums over the ranks of n doubles. */
spool_status spool_process_group_all_reduce(spool_process_group *group, double *values, int64_t n);
/* In place: rank root's n doubles on every rank. */
spool_status spool_process_group_broadcast(spool_process_group *group, double *values, int64_t n, int32_t root);
spool_status spool_process_group_barrier(spool_process_group *group);
/* 1 when this libtorch has NCCL (data-parallel on CUDA), else 0. */
int32_t spool_process_group_has_nccl(void);
/*
 * Makes the trainer data-parallel over the group, with DistributedDataParallel's semantics: rank 0's parameters
 * and buffers are broadcast now, gradients are averaged over the ranks before every update, batch norm
 * normalises with the whole batch's statistics (SyncBatchNorm), and each step's loss is the whole batch's. Call
 * before the first step; the memory format stays contiguous unless set. The trainer keeps the group.
 */
spool_status spool_trainer_set_process_group(spool_trainer *trainer, spool_process_group *group);

/* ---------------------------------------------------------------- prediction */

typedef struct spool_prediction spool_prediction;

/* Runs the model in evaluation mode over one whole loader epoch, in order. */
spool_status spool_predict(spool_model *model, spool_loader *loader, spool_prediction **out);
void spool_prediction_free(spool_prediction *prediction);
spool_status spool_prediction_count(const spool_prediction *prediction, int64_t *out);
/* The mean loss against the loader's targets (classification); NaN when the task computes none. */
spool_status spool_prediction_loss(const spool_prediction *prediction, double *out);
/* Classification: the image's num_classes probabilities (softmax or sigmoid). */
spool_status spool_prediction_scores(const spool_prediction *prediction, int64_t image, float *out, int64_t capacity);
/* Detection: how many detections the image has, and its size in pixels. */
spool_status spool_prediction_num_detections(const spool_prediction *prediction, int64_t image, int64_t *count,
                                             int32_t *width, int32_t *height);
/* Detection: boxes (count x 4, x1 y1 x2 y2 normalised to the image), scores and class ids (from 0). */
spool_status spool_prediction_detections(const spool_prediction *prediction, int64_t image, float *boxes,
                                         float *scores, int32_t *labels, int64_t capacity);
/* Segmentation: a detection's mask pasted into its image (height x width probabilities, row-major). */
spool_status spool_prediction_mask(const spool_prediction *prediction, int64_t image, int64_t detection, float *out,
                                   int64_t capacity);
/* Segmentation: a detection's polygons (its mask above the pixel threshold): `num_parts` parts of
 * `part_lengths[i]` numbers each (x, y, ... normalised to the image), `num_points` numbers in all, concatenated
 * into `points`. With NULL buffers, only the counts. */
spool_status spool_prediction_polygons(const spool_prediction *prediction, int64_t image, int64_t detection,
                                       float *points, int64_t points_capacity, int64_t *part_lengths,
                                       int64_t parts_capacity, int64_t *num_points, int64_t *num_parts);
/* Segmentation: a detection's binary mask as COCO's uncompressed RLE (run lengths, column-major, from a run of
 * zeros): `length` counts. With NULL `counts`, only the length. */
spool_status spool_prediction_mask_rle(const spool_prediction *prediction, int64_t image, int64_t detection,
                                       uint32_t *counts, int64_t capacity, int64_t *length);
/* Rasterises polygons (`num_parts` parts of `part_lengths[i]` numbers, x, y, ... in pixels from the image's
 * top-left edge) into `mask` (height x width, row-major): 1 on the pixels a part covers (OpenCV fillPoly: vertices rounded to pixel centres). */
spool_status spool_rasterize_polygons(const float *points, const int64_t *part_lengths, int64_t num_parts,
                                      int32_t height, int32_t width, uint8_t *mask);
/* The outer boundaries of a binary mask's regions as polygons, each at most `max_points` points, in pixels
 * (x, y, ...); counts as spool_prediction_polygons. */
spool_status spool_mask_polygons(const uint8_t *mask, int32_t height, int32_t width, int32_t max_points, float *points,
                                 int64_t points_capacity, int64_t *part_lengths, int64_t parts_capacity,
                                 int64_t *num_points, int64_t *num_parts);

/* ---------------------------------------------------------------- self-checks */

typedef struct spool_gradient_report {
    int64_t parameters;        /* trainable parameter tensors */
    int64_t without_gradient;  /* of those, how many backward did not reach (no gradient) */
    int64_t non_finite;        /* how many have NaN or infinite values in their gradient */
    double loss;               /* the summed training loss of the batch */
    int32_t outputs_finite;    /* 1 when every loss is finite */
} spool_gradient_report;

/*
 * One training-mode forward and backward on the loader's next batch; reports which parameters received a
 * gradient. missing_names (optional) receives the names without one, one a line (free with
 * spool_string_free). Gradients are cleared afterwards; nothing is updated.
 */
spool_status spool_model_gradient_check(spool_model *model, spool_loader *loader, spool_gradient_report *report,
                                        char **missing_names);

#ifdef __cplusplus
}
#endif

#endif /* SPOOL_ENGINE_H */
