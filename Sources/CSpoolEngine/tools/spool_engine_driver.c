/*
 * spool_engine_driver — trains a model a few steps through the C ABI alone, on generated images.
 *
 * Usage: spool_engine_driver [--device cpu|cuda|cuda:N] [--model resnet18] [--steps 30] [--size 64]
 * Prints the runtime, the loss per step and validation accuracy; exits non-zero when the loss does not
 * fall or accuracy stays at chance. This is the check that runs on GPU machines that have no Swift.
 */
#include "spool_engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHECK(call)                                                                         \
    do {                                                                                    \
        spool_status s_ = (call);                                                           \
        if (s_ != SPOOL_OK) {                                                               \
            fprintf(stderr, "%s failed (status %d): %s\n", #call, (int)s_, spool_last_error()); \
            return 1;                                                                       \
        }                                                                                   \
    } while (0)

/* Class 0: a bright square on the left half; class 1: on the right half. Written as binary PPM. */
static int write_image(const char *path, int cls, int size, unsigned seed) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    fprintf(f, "P6\n%d %d\n255\n", size, size);
    srand(seed);
    int side = size / 3;
    int x0 = (cls == 0 ? 0 : size / 2) + rand() % (size / 2 - side + 1);
    int y0 = rand() % (size - side + 1);
    for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x) {
            int in = x >= x0 && x < x0 + side && y >= y0 && y < y0 + side;
            unsigned char px[3];
            for (int c = 0; c < 3; ++c) px[c] = (unsigned char)(in ? 200 + rand() % 56 : rand() % 60);
            fwrite(px, 1, 3, f);
        }
    fclose(f);
    return 0;
}

int main(int argc, char **argv) {
    const char *device = "cpu", *model_name = "resnet18";
    int steps = 30, size = 64, count = 64;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--device")) device = argv[i + 1];
        else if (!strcmp(argv[i], "--model")) model_name = argv[i + 1];
        else if (!strcmp(argv[i], "--steps")) steps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--size")) size = atoi(argv[i + 1]);
        else { fprintf(stderr, "unknown option %s\n", argv[i]); return 2; }
    }
    CHECK(spool_runtime_set_threads(0));
    CHECK(spool_runtime_seed(7));
    spool_runtime_info info;
    CHECK(spool_runtime_get_info(&info));
    printf("libtorch %s, %d threads, BLAS %s, CUDA devices %d\n", info.torch_version, info.intra_op_threads,
           info.blas, info.cuda_device_count);

    char dir[] = "/tmp/spool-driver-XXXXXX";
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    char **paths = calloc((size_t)count, sizeof(char *));
    float *targets = calloc((size_t)count, sizeof(float));
    for (int i = 0; i < count; ++i) {
        paths[i] = malloc(256);
        snprintf(paths[i], 256, "%s/img%03d.ppm", dir, i);
        targets[i] = (float)(i % 2);
        if (write_image(paths[i], i % 2, size, (unsigned)i * 7919u + 1u) != 0) { perror(paths[i]); return 1; }
    }
    const int n_train = count * 3 / 4;

    spool_model_params mp = spool_model_default_params();
    mp.name = model_name;
    mp.num_classes = 2;
    mp.image_size = size;
    mp.device = device;
    spool_model *model = NULL;
    CHECK(spool_model_create(&mp, &model));

    spool_loader_params lp = spool_loader_default_params();
    lp.batch_size = 8;
    lp.crop_size = size;
    lp.resize_size = size;
    lp.train = 1;
    lp.scale_min = 0.9f; /* keep the square in view: the label depends on where it is */
    lp.hflip_prob = 0.0f;
    lp.seed = 1;
    spool_loader *train = NULL, *valid = NULL;
    CHECK(spool_loader_create((const char *const *)paths, targets, n_train, 1, &lp, &train));
    lp.train = 0;
    CHECK(spool_loader_create((const char *const *)paths + n_train, targets + n_train, count - n_train, 1, &lp, &valid));

    spool_trainer_params tp = spool_trainer_default_params();
    tp.optimizer = SPOOL_OPT_ADAM;
    tp.learning_rate = 1e-3;
    spool_trainer *trainer = NULL;
    CHECK(spool_trainer_create(model, &tp, &trainer));

    double first = -1, last = 0, window = 0;
    int done = 0, epoch = 0;
    while (done < steps) {
        CHECK(spool_loader_start_epoch(train, epoch++));
        for (;;) {
            spool_step_result r;
            CHECK(spool_trainer_step(trainer, train, &r));
            if (r.images == 0 || done >= steps) break;
            if (first < 0) first = r.loss;
            last = r.loss;
            window = done < 5 ? r.loss : 0.8 * window + 0.2 * r.loss;
            printf("step %3d  loss %.4f\n", ++done, r.loss);
        }
    }
    float *probs = calloc((size_t)count * 2, sizeof(float));
    int64_t evaluated = 0;
    double val_loss = 0;
    CHECK(spool_loader_start_epoch(valid, 0));
    CHECK(spool_evaluate(model, valid, SPOOL_TASK_MULTICLASS, probs, (int64_t)count * 2, &evaluated, &val_loss));
    int correct = 0;
    for (int64_t i = 0; i < evaluated; ++i)
        correct += ((probs[2 * i + 1] > probs[2 * i]) ? 1 : 0) == (int)targets[n_train + i];
    double accuracy = (double)correct / (double)evaluated;
    printf("first loss %.4f, last %.4f (smoothed %.4f); validation loss %.4f, accuracy %.3f on %lld images\n", first,
           last, window, val_loss, accuracy, (long long)evaluated);

    spool_trainer_free(trainer);
    spool_loader_free(train);
    spool_loader_free(valid);
    spool_model_free(model);
    for (int i = 0; i < count; ++i) { remove(paths[i]); free(paths[i]); }
    rmdir(dir);
    free(paths); free(targets); free(probs);
    if (!(window < first)) { fprintf(stderr, "FAIL: the loss did not fall\n"); return 1; }
    if (!(accuracy > 0.5)) { fprintf(stderr, "FAIL: accuracy at chance\n"); return 1; }
    printf("OK\n");
    return 0;
}
