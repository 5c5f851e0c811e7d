/*
 * spool-engine-driver — trains a model a few steps through the C ABI alone, on generated images: the engine's
 * check on machines without Swift (GPU machines), built by SwiftPM beside the rest and by the engine's CMake.
 *
 * Usage: spool-engine-driver [--device cpu|cuda|cuda:N] [--model resnet18] [--steps 30] [--size 64] [--nproc N]
 *
 * With --nproc N, N processes (forked here) train data-parallel through the engine's process group: gloo on the
 * CPU, NCCL on CUDA with one GPU per process. With fewer GPUs than processes it says whether NCCL was compiled
 * and runs the processes on the CPU over gloo instead. Prints the runtime, the loss per step (the whole batch's)
 * and validation accuracy; exits non-zero when the loss does not fall or accuracy stays at chance.
 */
#include "spool_engine.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK(call)                                                                                    \
    do {                                                                                               \
        spool_status s_ = (call);                                                                      \
        if (s_ != SPOOL_OK) {                                                                          \
            fprintf(stderr, "[rank %d] %s failed (status %d): %s\n", rank, #call, (int)s_, spool_last_error()); \
            return 1;                                                                                  \
        }                                                                                              \
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

/* A port free on 127.0.0.1 now (the kernel's choice), for the processes' rendezvous. */
static int free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        perror("free port");
        if (fd >= 0) close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

static spool_dataset *make_dataset(char **paths, const float *targets, int from, int to) {
    spool_dataset *d = NULL;
    if (spool_dataset_create(SPOOL_TASK_MULTICLASS, 2, &d) != SPOOL_OK) return NULL;
    for (int i = from; i < to; ++i) {
        int64_t index = 0;
        if (spool_dataset_add_image(d, paths[i], &index) != SPOOL_OK ||
            spool_dataset_add_class(d, index, (int32_t)targets[i]) != SPOOL_OK) {
            spool_dataset_free(d);
            return NULL;
        }
    }
    return d;
}

/* One process: rank of world (world 1: a run of its own). */
static int train(int rank, int world, int port, const char *device, const char *model_name, int steps, int size) {
    const int count = 64;
    spool_runtime_info info;
    CHECK(spool_runtime_get_info(&info));
    if (world > 1 && strncmp(device, "cuda", 4) == 0 && info.cuda_device_count < world) {
        if (rank == 0)
            printf("NCCL compiled: %s; %d processes need %d GPUs, this machine has %d: the processes run on the CPU "
                   "over gloo instead\n",
                   spool_process_group_has_nccl() ? "yes" : "no", world, world, info.cuda_device_count);
        device = "cpu";
    }
    char cuda_device[32];
    if (world > 1 && strcmp(device, "cuda") == 0) {  /* one GPU per process */
        snprintf(cuda_device, sizeof cuda_device, "cuda:%d", rank);
        device = cuda_device;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    CHECK(spool_runtime_set_threads(world > 1 ? (int32_t)(cores / world > 0 ? cores / world : 1) : 0));
    CHECK(spool_runtime_seed(7));
    CHECK(spool_runtime_get_info(&info));
    if (rank == 0)
        printf("libtorch %s, %d threads, BLAS %s, CUDA devices %d, device %s, %d process%s\n", info.torch_version,
               info.intra_op_threads, info.blas, info.cuda_device_count, device, world, world > 1 ? "es" : "");

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
    spool_dataset *train_set = make_dataset(paths, targets, 0, n_train), *valid_set = make_dataset(paths, targets, n_train, count);
    if (!train_set || !valid_set) { fprintf(stderr, "[rank %d] dataset: %s\n", rank, spool_last_error()); return 1; }

    spool_model_spec spec = {model_name, SPOOL_TASK_MULTICLASS, 2, device};
    char model_options[64];
    snprintf(model_options, sizeof model_options, "{\"image_size\": %d}", size); /* the classifier family's */
    spool_model *model = NULL;
    CHECK(spool_model_create_v2(&spec, model_options, &model));

    spool_loader_params lp = spool_loader_default_params();
    lp.batch_size = 16 / world > 0 ? 16 / world : 1; /* the whole batch is 16, shared by the processes */
    lp.crop_size = size;
    lp.resize_size = size;
    lp.train = 1;
    lp.scale_min = 0.9f; /* keep the square in view: the label depends on where it is */
    lp.hflip_prob = 0.0f;
    lp.seed = 1;
    lp.shard_rank = rank;
    lp.shard_count = world;
    spool_loader *train_loader = NULL, *valid_loader = NULL;
    CHECK(spool_loader_create(train_set, &lp, &train_loader));
    lp.train = 0;
    lp.shard_rank = 0;
    lp.shard_count = 1;
    CHECK(spool_loader_create(valid_set, &lp, &valid_loader));

    spool_trainer_params tp = spool_trainer_default_params();
    tp.optimizer = SPOOL_OPT_ADAM;
    tp.learning_rate = 1e-3;
    tp.memory_format = SPOOL_MEMORY_CONTIGUOUS;
    spool_trainer *trainer = NULL;
    CHECK(spool_trainer_create(model, &tp, &trainer));
    spool_process_group *group = NULL;
    if (world > 1) {
        spool_process_group_params gp = {rank, world, "127.0.0.1", port, 120.0, device};
        CHECK(spool_process_group_create(&gp, &group));
        CHECK(spool_trainer_set_process_group(trainer, group));
        if (rank == 0) printf("process group: %s, %d processes\n", spool_process_group_backend(group), world);
    }

    double first = -1, last = 0, window = 0;
    int done = 0, epoch = 0;
    while (done < steps) {
        CHECK(spool_loader_start_epoch(train_loader, epoch++));
        for (;;) {
            spool_step_result r;
            CHECK(spool_trainer_step(trainer, train_loader, &r));
            if (r.images == 0 || done >= steps) break;
            if (first < 0) first = r.loss;
            last = r.loss;
            window = done < 5 ? r.loss : 0.8 * window + 0.2 * r.loss;
            ++done;
            if (rank == 0) printf("step %3d  loss %.4f  (%lld images)\n", done, r.loss, (long long)r.images);
        }
    }
    int status = 0;
    if (rank == 0) {  /* rank 0 evaluates, as Spool's runs do */
        spool_prediction *prediction = NULL;
        CHECK(spool_loader_start_epoch(valid_loader, 0));
        CHECK(spool_predict(model, valid_loader, &prediction));
        int64_t evaluated = 0;
        double val_loss = 0;
        CHECK(spool_prediction_count(prediction, &evaluated));
        CHECK(spool_prediction_loss(prediction, &val_loss));
        int correct = 0;
        for (int64_t i = 0; i < evaluated; ++i) {
            float p[2];
            CHECK(spool_prediction_scores(prediction, i, p, 2));
            correct += ((p[1] > p[0]) ? 1 : 0) == (int)targets[n_train + i];
        }
        spool_prediction_free(prediction);
        double accuracy = evaluated > 0 ? (double)correct / (double)evaluated : 0;
        printf("first loss %.4f, last %.4f (smoothed %.4f); validation loss %.4f, accuracy %.3f on %lld images\n",
               first, last, window, val_loss, accuracy, (long long)evaluated);
        if (!(window < first)) { fprintf(stderr, "FAIL: the loss did not fall\n"); status = 1; }
        else if (!(accuracy > 0.5)) { fprintf(stderr, "FAIL: accuracy at chance\n"); status = 1; }
        else printf("OK\n");
    }
    spool_trainer_free(trainer);
    spool_process_group_free(group);
    spool_loader_free(train_loader);
    spool_loader_free(valid_loader);
    spool_dataset_free(train_set);
    spool_dataset_free(valid_set);
    spool_model_free(model);
    for (int i = 0; i < count; ++i) { remove(paths[i]); free(paths[i]); }
    rmdir(dir);
    free(paths);
    free(targets);
    return status;
}

int main(int argc, char **argv) {
    const char *device = "cpu", *model_name = "resnet18";
    int steps = 30, size = 64, nproc = 1;
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc) { fprintf(stderr, "%s needs a value\n", argv[i]); return 2; }
        if (!strcmp(argv[i], "--device")) device = argv[i + 1];
        else if (!strcmp(argv[i], "--model")) model_name = argv[i + 1];
        else if (!strcmp(argv[i], "--steps")) steps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--size")) size = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--nproc")) nproc = atoi(argv[i + 1]);
        else { fprintf(stderr, "unknown option %s\n", argv[i]); return 2; }
    }
    setvbuf(stdout, NULL, _IOLBF, 0); /* a line at a time, also into a pipe or a log */
    if (nproc < 1 || nproc > 16) { fprintf(stderr, "--nproc must be 1 to 16\n"); return 2; }
    if (nproc == 1) return train(0, 1, 0, device, model_name, steps, size);

    /* Fork before any libtorch call: a process that has started libtorch's threads or CUDA must not fork. */
    int port = free_port();
    if (port < 0) return 1;
    pid_t pids[16];
    for (int r = 0; r < nproc; ++r) {
        pids[r] = fork();
        if (pids[r] < 0) { perror("fork"); return 1; }
        if (pids[r] == 0) {  /* _exit does not flush stdio: a child's output would be lost in a pipe */
            int rc = train(r, nproc, port, device, model_name, steps, size);
            fflush(stdout);
            fflush(stderr);
            _exit(rc);
        }
    }
    int status = 0;
    for (int left = nproc; left > 0; --left) {
        int s = 0;
        pid_t pid = wait(&s);
        if (pid < 0) break;
        int failed = !WIFEXITED(s) || WEXITSTATUS(s) != 0;
        if (failed && status == 0) {  /* one process failed: the others would wait on it */
            status = 1;
            for (int r = 0; r < nproc; ++r)
                if (pids[r] != pid) kill(pids[r], SIGTERM);
        }
    }
    return status;
}
