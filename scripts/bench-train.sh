#!/usr/bin/env bash
# Training benchmark: Spool against torchvision's Python training loop, on the same images, the same
# machine and the same thread count. Prints, per model and image size, both throughputs (images/s, end to
# end: decode + augment + forward + backward + optimiser step) and both peak memories, as ratios against
# the targets (Spool >= 1.2x torchvision's throughput, <= 1.0x its peak memory). docs/benchmarks.md says
# what is measured, how, and what the numbers were.
#
#   scripts/bench-train.sh                 # everything: about 6-7 minutes on 2 cores, build included
#
# Besides the reference loop as torchvision writes it (DataLoader workers restarted every epoch), it also
# runs the same loop with persistent_workers=True, a one-word change a Python user can make, and prints
# Spool's ratios against that too (BENCH_PERSISTENT=0 skips it).
#
# Environment (all optional):
#   BENCH_MODELS="resnet18 mobilenetv2"    models to run
#   BENCH_SIZES="224 64"                   training crop sizes (224: 256 px JPEGs; 64: 80 px JPEGs)
#   BENCH_THREADS=N                        libtorch threads for both sides (default: nproc)
#   BENCH_REPEAT=N                         runs per side and configuration, alternating; medians reported (1)
#   BENCH_PERSISTENT=0|1                   also run torchvision with persistent DataLoader workers (1)
#   BENCH_SPOOL_ENV="K=V ..."              extra environment for Spool's runs (e.g. to try a malloc setting)
#   BENCH_TORCHVISION_ENV="K=V ..."        extra environment for torchvision's runs (default: Spool's malloc
#                                          setting, GLIBC_TUNABLES as spool-trainer sets it, so that both
#                                          sides allocate alike; BENCH_TORCHVISION_ENV=" " for glibc's defaults)
#   BENCH_DIR=DIR                          where data, runs and results go (default: a new /tmp folder)
#   BENCH_PYTHON=/usr/bin/python3          the Python that has Debian's torch and torchvision
#   BENCH_NO_BUILD=1                       benchmark the release binaries already built (no swift build)
#   BENCH_LOCK=/tmp/spool-build.lock       the whole benchmark (build included) runs under flock on this
#                                          file, so no build or other benchmark shares the cores with it;
#                                          BENCH_LOCK=none when the caller already holds the lock
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

lock=${BENCH_LOCK:-/tmp/spool-build.lock}
if [[ "$lock" != none && -z "${BENCH_LOCK_HELD:-}" ]]; then
  echo "bench: waiting for the lock $lock ..." >&2
  BENCH_LOCK_HELD=1 exec flock "$lock" "$0" "$@"
fi

models=(${BENCH_MODELS:-resnet18 mobilenetv2})
sizes=(${BENCH_SIZES:-224 64})
threads=${BENCH_THREADS:-$(nproc)}
repeat=${BENCH_REPEAT:-1}
persistent=${BENCH_PERSISTENT:-1}
read -r -a spool_env <<<"${BENCH_SPOOL_ENV:-}"
# spool-trainer's malloc setting (TrainerEnvironment.mallocTunables), for both sides unless told otherwise.
malloc_tunables="glibc.malloc.mmap_threshold=4294967295:glibc.malloc.trim_threshold=4294967295"
read -r -a torchvision_env <<<"${BENCH_TORCHVISION_ENV:-GLIBC_TUNABLES=$malloc_tunables}"
python=${BENCH_PYTHON:-/usr/bin/python3}
work=${BENCH_DIR:-$(mktemp -d /tmp/spool-bench.XXXXXX)}
mkdir -p "$work"
batch=16

# Data per crop size: source image side, training images (a multiple of the batch, so every batch of both
# sides is full), epochs (the first is a warm-up, not measured). 16 more images are the validation set,
# which Spool evaluates once, after the last epoch (outside the timed training phase).
declare -A image_side=([224]=256 [64]=80)
declare -A train_images=([224]=128 [64]=512)
declare -A epochs=([224]=3 [64]=3)
valid_images=16

"$python" -c 'import torch, torchvision, PIL' 2>/dev/null || {
  echo "bench: $python cannot import torch, torchvision and PIL; run scripts/setup.sh --test (Debian's python3-torchvision)" >&2
  exit 1
}

scripts/setup.sh >/dev/null
if [[ "${BENCH_NO_BUILD:-0}" != 1 ]]; then
  echo "bench: building Spool (swift build -c release; log in $work/build.log)" >&2
  if ! swift build -c release >"$work/build.log" 2>&1; then
    grep -E "error:" "$work/build.log" | sort -u | head -n 20 >&2
    echo "bench: the release build failed (log: $work/build.log). BENCH_NO_BUILD=1 benchmarks the binaries already built." >&2
    exit 1
  fi
fi
bin=$(swift build -c release --show-bin-path)
spoolctl="$bin/spoolctl"
[[ -x "$spoolctl" && -x "$bin/spool-trainer" ]] || { echo "bench: no spoolctl and spool-trainer in $bin" >&2; exit 1; }
# The BLAS kernels spool-trainer runs with (it forces AVX2/AVX-512 ones when OpenBLAS does not know the CPU):
# torchvision gets the same, or the comparison would measure OpenBLAS's CPU detection.
if [[ -z "${OPENBLAS_CORETYPE:-}" ]]; then
  blas_core=$("$bin/spool-trainer" doctor --json | sed -n 's/.*"blas_kernels":"\([A-Za-z0-9_]*\)".*/\1/p')
  [[ -n "$blas_core" ]] && export OPENBLAS_CORETYPE="$blas_core"
fi

echo "bench: work folder $work; $threads libtorch threads per side; OPENBLAS_NUM_THREADS=1; load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
{
  echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "software: $(ldd --version | head -n1 | sed 's/^ldd //'); $("$python" -c 'import sys, torch, torchvision, PIL; print(f"Python {sys.version.split()[0]}, torch {torch.__version__}, torchvision {torchvision.__version__}, Pillow {PIL.__version__}")')"
  echo "spool: commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- Sources Package.swift 2>/dev/null || echo ' (the working tree has uncommitted changes)'), spool-trainer built $(date -u -r "$bin/spool-trainer" '+%Y-%m-%d %H:%M UTC')$([[ "${BENCH_NO_BUILD:-0}" == 1 ]] && echo ' (BENCH_NO_BUILD: not rebuilt)')"
  [[ -n "${BENCH_SPOOL_ENV:-}" ]] && echo "spool extra environment: $BENCH_SPOOL_ENV"
  echo "torchvision extra environment: ${torchvision_env[*]:-none}"
  echo "OpenBLAS kernels (both sides): ${OPENBLAS_CORETYPE:-chosen by OpenBLAS}"
} >"$work/environment.txt"

# One bundle per image side: Spool's generated shapes (JPEG), split into train.jsonl and valid.jsonl.
make_bundle() {  # crop
  local crop=$1 side=${image_side[$1]} n=${train_images[$1]} e=${epochs[$1]}
  local dir="$work/data-$crop"
  local total=$((n + valid_images))
  local per_class=$(((total + 2) / 3))
  [[ -f "$dir/settings.yaml" ]] && return 0
  rm -rf "$dir"
  "$spoolctl" example --out "$dir" --per-class "$per_class" --size "$side" --formats jpg >/dev/null
  head -n "$n" "$dir/train.jsonl" >"$dir/train.part"
  sed -n "$((n + 1)),$((n + valid_images))p" "$dir/train.jsonl" >"$dir/valid.jsonl"
  mv "$dir/train.part" "$dir/train.jsonl"
  local resize=$crop; ((crop == 224)) && resize=256
  cat >"$dir/settings.yaml" <<EOF
task: image_classification
training_data: {path: train.jsonl}
validation_data: {path: valid.jsonl}
limits: {timeout_minutes: 60, max_trials: 1}
training_parameters:
  number_of_epochs: $e
  evaluation_frequency: $e
  early_stopping: 0
  training_batch_size: $batch
  validation_batch_size: $batch
  train_crop_size: $crop
  valid_resize_size: $resize
  valid_crop_size: $crop
  optimizer: sgd
  learning_rate: 0.01
  momentum: 0.9
  nesterov: 1
  weight_decay: 0.0001
EOF
}

run_spool() {  # model crop rep
  local m=$1 crop=$2 rep=$3 out="$work/runs/spool-$1-$2-$3"
  rm -rf "$out"
  mkdir -p "$work/runs"
  "$python" scripts/bench/memwatch.py --out "$out.mem.json" -- \
    env OPENBLAS_NUM_THREADS=1 "${spool_env[@]}" "$spoolctl" train "$work/data-$crop" --out "$out" --threads "$threads" --seed 0 \
    --quiet --set model_name="$m" >"$out.stdout" 2>"$out.stderr" || {
    echo "bench: spool $m ${crop}px failed; see $out.stderr" >&2
    tail -n 20 "$out.stderr" >&2
    exit 1
  }
}

run_torchvision_persistent() { run_torchvision "$@" --persistent-workers; }

run_torchvision() {  # model crop rep [--persistent-workers]
  local m=$1 crop=$2 rep=$3 side=torchvision${4:+-persistent}
  local out="$work/runs/$side-$1-$2-$3"
  mkdir -p "$work/runs"
  "$python" scripts/bench/memwatch.py --out "$out.mem.json" -- \
    env OPENBLAS_NUM_THREADS=1 "${torchvision_env[@]}" "$python" scripts/bench/train_reference.py \
    --bundle "$work/data-$crop" --model "$m" --crop "$crop" --batch "$batch" --epochs "${epochs[$crop]}" \
    --warmup-epochs 1 --workers 2 --threads "$threads" ${4:-} --out "$out.json" >"$out.stdout" 2>"$out.stderr" || {
    echo "bench: $side $m ${crop}px failed; see $out.stderr" >&2
    tail -n 20 "$out.stderr" >&2
    exit 1
  }
}

started=$(date +%s)
for crop in "${sizes[@]}"; do
  [[ -n "${image_side[$crop]:-}" ]] || { echo "bench: size $crop is not one of ${!image_side[*]}" >&2; exit 1; }
  make_bundle "$crop"
done
for crop in "${sizes[@]}"; do
  for m in "${models[@]}"; do
    for ((rep = 1; rep <= repeat; rep++)); do
      # Alternate which side goes first, so a slow drift of the machine does not favour one side.
      sides=(spool torchvision)
      ((persistent)) && sides+=(torchvision_persistent)
      if ((rep % 2)); then order=("${sides[@]}"); else order=($(printf '%s\n' "${sides[@]}" | tac)); fi
      for side in "${order[@]}"; do
        echo "bench: $side $m ${crop}px (run $rep of $repeat) ..." >&2
        "run_$side" "$m" "$crop" "$rep"
      done
    done
  done
done
echo "bench: runs took $(($(date +%s) - started)) s; load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

BENCH_MODELS="${models[*]}" BENCH_SIZES="${sizes[*]}" BENCH_REPEAT=$repeat BENCH_THREADS=$threads BENCH_PERSISTENT=$persistent \
  "$python" - "$work" <<'PY'
import json, os, statistics, sys

work = sys.argv[1]
models, sizes = os.environ["BENCH_MODELS"].split(), [int(s) for s in os.environ["BENCH_SIZES"].split()]
repeat, threads = int(os.environ["BENCH_REPEAT"]), int(os.environ["BENCH_THREADS"])
persistent = os.environ["BENCH_PERSISTENT"] == "1"

def load(path):
    with open(path) as f:
        return json.load(f)

def spool_run(m, crop, rep):
    base = f"{work}/runs/spool-{m}-{crop}-{rep}"
    metrics, mem = load(f"{base}/metrics.json"), load(f"{base}.mem.json")
    history = metrics["history"]
    measured = history[1:]  # epoch 1 is the warm-up
    seconds = sum(h["seconds"] for h in measured)
    images = sum(h["images_per_second"] * h["seconds"] for h in measured)
    with open(f"{base}/train.log") as f:
        log = f.read().splitlines()
    threads_used = next((l.split(", ")[1] for l in log if " libtorch " in l), "?")
    # The memory format the trainer chose by measuring its first steps (or recalled from an earlier measurement).
    layout = metrics.get("memory_format") or next((l.split("memory format: ", 1)[1] for l in log if "memory format: " in l), "?")
    return {"ips": images / seconds, "mem": mem, "threads": threads_used, "layout": layout.split(" ")[0].rstrip(":,"),
            "epochs": [round(h["images_per_second"], 1) for h in history]}

def tv_run(side, m, crop, rep):
    base = f"{work}/runs/{side}-{m}-{crop}-{rep}"
    result, mem = load(f"{base}.json"), load(f"{base}.mem.json")
    return {"ips": result["images_per_second"], "mem": mem, "threads": f'{result["threads"]} threads', "layout": "contiguous",
            "epochs": [round(h["images_per_second"], 1) for h in result["history"]]}

def median(runs, key):
    return statistics.median(key(r) for r in runs)

ips = lambda r: r["ips"]
pss = lambda r: r["mem"]["peak_tree_pss_mb"]
main_rows, persistent_rows, details, out = [], [], [], []
for crop in sizes:
    for m in models:
        runs = {"spool": [spool_run(m, crop, r) for r in range(1, repeat + 1)],
                "torchvision": [tv_run("torchvision", m, crop, r) for r in range(1, repeat + 1)]}
        if persistent:
            runs["torchvision-persistent"] = [tv_run("torchvision-persistent", m, crop, r) for r in range(1, repeat + 1)]
        s_ips, s_mem = median(runs["spool"], ips), median(runs["spool"], pss)
        record = {"model": m, "crop": crop, "spool_images_per_second": s_ips, "spool_peak_mb": s_mem}
        for side, rows in (("torchvision", main_rows), ("torchvision-persistent", persistent_rows)):
            if side not in runs:
                continue
            t_ips, t_mem = median(runs[side], ips), median(runs[side], pss)
            tr, mr = s_ips / t_ips, s_mem / t_mem
            rows.append([m, crop, f"{s_ips:.1f}", f"{t_ips:.1f}", f"{tr:.2f}x", "yes" if tr >= 1.2 else "NO",
                         f"{s_mem:.0f}", f"{t_mem:.0f}", f"{mr:.2f}x", "yes" if mr <= 1.0 else "NO"])
            key = side.replace("-", "_")
            record.update({f"{key}_images_per_second": t_ips, f"{key}_peak_mb": t_mem,
                           f"throughput_ratio_vs_{key}": tr, f"memory_ratio_vs_{key}": mr})
        for side, side_runs in runs.items():
            for i, r in enumerate(side_runs, 1):
                mm = r["mem"]
                details.append([m, crop, side, i, r["threads"], r["layout"], " ".join(map(str, r["epochs"])),
                                f'{mm["root_max_rss_mb"]:.0f}', f'{mm["peak_tree_rss_mb"]:.0f}',
                                f'{mm["peak_tree_pss_mb"]:.0f}', mm["max_processes"], f'{mm["user_seconds"]:.1f}',
                                f'{mm["system_seconds"]:.1f}', f'{mm["minor_page_faults"] / 1e6:.2f}',
                                f'{mm["other_cpu_seconds"]:.1f}'])
        record["runs"] = runs
        out.append(record)

def table(header, body):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body)]
    line = lambda cells: "| " + " | ".join(str(c).rjust(w) for c, w in zip(cells, widths)) + " |"
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(r) for r in body])

def header(other):
    return ["model", "px", "spool img/s", f"{other} img/s", "throughput ratio", ">= 1.2x",
            "spool peak MB", f"{other} peak MB", "memory ratio", "<= 1.0x"]

detail_header = ["model", "px", "side", "run", "threads", "memory format", "img/s per epoch (1st: warm-up)", "max RSS MB (time -v)",
                 "tree RSS MB", "tree PSS MB", "procs", "user s", "sys s", "minor faults (M)", "other CPU s"]
with open(f"{work}/environment.txt") as f:
    environment = f.read()
text = (environment + f"\nTraining throughput, batch 16, {threads} libtorch threads a side, OPENBLAS_NUM_THREADS=1, "
        f"median of {repeat} run(s) a side; img/s over every epoch after the first; peak MB = peak PSS of the "
        "whole process tree.\n\nSpool against torchvision's training loop (DataLoader, 2 workers, restarted every epoch):\n\n"
        + table(header("torchvision"), main_rows) + "\n")
if persistent_rows:
    text += ("\nSpool against the same loop with DataLoader(persistent_workers=True):\n\n"
             + table(header("tv persistent"), persistent_rows) + "\n")
text += "\nPer run:\n\n" + table(detail_header, details) + "\n"
busy = [(f"{rec['model']} {rec['crop']}px {side} run {i}", r["mem"]) for rec in out
        for side, side_runs in rec["runs"].items() for i, r in enumerate(side_runs, 1)]
for name, mm in busy:
    share = mm["other_cpu_seconds"] / max(1e-9, mm["wall_seconds"] * mm["cores"])
    if share > 0.02:
        text += (f"\nWARNING: other processes used {mm['other_cpu_seconds']:.1f} CPU-s ({100 * share:.0f}% of the machine) "
                 f"during {name}: its numbers are disturbed; rerun when the machine is idle.")
with open(f"{work}/results.md", "w") as f:
    f.write(text)
with open(f"{work}/results.json", "w") as f:
    json.dump(out, f, indent=2)
print()
print(text)
print(f"(results.md, results.json and every run's output are in {work})")
PY
