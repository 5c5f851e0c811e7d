#!/usr/bin/env bash
# Training benchmark: Spool against torchvision's Python training loop, on the same images, the same
# machine and the same thread count. Prints, per model and image size, both throughputs (images/s, end to
# end: decode + augment + forward + backward + optimiser step) and both peak memories, as ratios against
# the targets (Spool >= 1.2x torchvision's throughput, <= 1.0x its peak memory). docs/benchmarks.md says
# what is measured, how, and what the numbers were.
#
#   scripts/bench-train.sh                 # everything: about 5-6 minutes on 2 cores, build included
#
# Environment (all optional):
#   BENCH_MODELS="resnet18 mobilenetv2"    models to run
#   BENCH_SIZES="224 64"                   training crop sizes (224: 256 px JPEGs; 64: 80 px JPEGs)
#   BENCH_THREADS=N                        libtorch threads for both sides (default: nproc)
#   BENCH_REPEAT=N                         runs per side and configuration, alternating; medians reported (1)
#   BENCH_DIR=DIR                          where data, runs and results go (default: a new /tmp folder)
#   BENCH_PYTHON=/usr/bin/python3          the Python that has Debian's torch and torchvision
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

echo "bench: building Spool (release)" >&2
scripts/setup.sh >/dev/null
swift build -c release 2>&1 | tail -n 1 >&2
bin=$(swift build -c release --show-bin-path)
spoolctl="$bin/spoolctl"

echo "bench: work folder $work; $threads libtorch threads per side; OPENBLAS_NUM_THREADS=1; load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

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
    env OPENBLAS_NUM_THREADS=1 "$spoolctl" train "$work/data-$crop" --out "$out" --threads "$threads" --seed 0 \
    --quiet --set model_name="$m" >"$out.stdout" 2>"$out.stderr" || {
    echo "bench: spool $m ${crop}px failed; see $out.stderr" >&2
    tail -n 20 "$out.stderr" >&2
    exit 1
  }
}

run_torchvision() {  # model crop rep
  local m=$1 crop=$2 rep=$3 out="$work/runs/torchvision-$1-$2-$3"
  mkdir -p "$work/runs"
  "$python" scripts/bench/memwatch.py --out "$out.mem.json" -- \
    env OPENBLAS_NUM_THREADS=1 "$python" scripts/bench/train_reference.py --bundle "$work/data-$crop" \
    --model "$m" --crop "$crop" --batch "$batch" --epochs "${epochs[$crop]}" --warmup-epochs 1 --workers 2 \
    --threads "$threads" --out "$out.json" >"$out.stdout" 2>"$out.stderr" || {
    echo "bench: torchvision $m ${crop}px failed; see $out.stderr" >&2
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
      if ((rep % 2)); then order=(spool torchvision); else order=(torchvision spool); fi
      for side in "${order[@]}"; do
        echo "bench: $side $m ${crop}px (run $rep of $repeat) ..." >&2
        "run_$side" "$m" "$crop" "$rep"
      done
    done
  done
done
echo "bench: runs took $(($(date +%s) - started)) s; load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

BENCH_MODELS="${models[*]}" BENCH_SIZES="${sizes[*]}" BENCH_REPEAT=$repeat BENCH_THREADS=$threads \
  "$python" - "$work" <<'PY'
import glob, json, os, statistics, sys

work = sys.argv[1]
models, sizes = os.environ["BENCH_MODELS"].split(), [int(s) for s in os.environ["BENCH_SIZES"].split()]
repeat, threads = int(os.environ["BENCH_REPEAT"]), int(os.environ["BENCH_THREADS"])

def load(path):
    with open(path) as f:
        return json.load(f)

def spool_run(m, crop, rep):
    base = f"{work}/runs/spool-{m}-{crop}-{rep}"
    metrics, mem = load(f"{base}/metrics.json"), load(f"{base}.mem.json")
    measured = metrics["history"][1:]  # epoch 1 is the warm-up
    images = sum(h["images_per_second"] * h["seconds"] for h in measured)
    seconds = sum(h["seconds"] for h in measured)
    with open(f"{base}/train.log") as f:
        log_threads = next((l.split(", ")[1] for l in f if " libtorch " in l), "?")
    return {"ips": images / seconds, "mem": mem, "epochs": [round(h["images_per_second"], 1) for h in metrics["history"]],
            "threads": log_threads}

def tv_run(m, crop, rep):
    base = f"{work}/runs/torchvision-{m}-{crop}-{rep}"
    result, mem = load(f"{base}.json"), load(f"{base}.mem.json")
    return {"ips": result["images_per_second"], "mem": mem, "epochs": [round(h["images_per_second"], 1) for h in result["history"]],
            "threads": f'{result["threads"]} threads'}

rows, details, out = [], [], []
for crop in sizes:
    for m in models:
        s = [spool_run(m, crop, r) for r in range(1, repeat + 1)]
        t = [tv_run(m, crop, r) for r in range(1, repeat + 1)]
        med = lambda runs, f: statistics.median(f(r) for r in runs)
        s_ips, t_ips = med(s, lambda r: r["ips"]), med(t, lambda r: r["ips"])
        s_mem, t_mem = med(s, lambda r: r["mem"]["peak_tree_pss_mb"]), med(t, lambda r: r["mem"]["peak_tree_pss_mb"])
        tr, mr = s_ips / t_ips, s_mem / t_mem
        rows.append([m, f"{crop}", f"{s_ips:.1f}", f"{t_ips:.1f}", f"{tr:.2f}x", "yes" if tr >= 1.2 else "NO",
                     f"{s_mem:.0f}", f"{t_mem:.0f}", f"{mr:.2f}x", "yes" if mr <= 1.0 else "NO"])
        for side, runs in (("spool", s), ("torchvision", t)):
            for i, r in enumerate(runs, 1):
                mm = r["mem"]
                details.append([m, f"{crop}", side, f"{i}", r["threads"], " ".join(map(str, r["epochs"])),
                                f'{mm["root_max_rss_mb"]:.0f}', f'{mm["peak_tree_rss_mb"]:.0f}', f'{mm["peak_tree_pss_mb"]:.0f}',
                                f'{mm["max_processes"]}', f'{mm["user_seconds"]:.1f}', f'{mm["system_seconds"]:.1f}',
                                f'{mm["minor_page_faults"] / 1e6:.2f}', f'{mm["other_cpu_seconds"]:.1f}'])
        out.append({"model": m, "crop": crop, "spool_images_per_second": s_ips, "torchvision_images_per_second": t_ips,
                    "throughput_ratio": tr, "spool_peak_mb": s_mem, "torchvision_peak_mb": t_mem, "memory_ratio": mr,
                    "spool_runs": s, "torchvision_runs": t})

def table(header, body):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body)]
    line = lambda cells: "| " + " | ".join(str(c).rjust(w) for c, w in zip(cells, widths)) + " |"
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(r) for r in body])

detail_header = ["model", "px", "side", "run", "threads", "img/s per epoch (1st = warm-up)", "max RSS MB (time -v)",
                 "tree RSS MB", "tree PSS MB", "procs", "user s", "sys s", "minor faults (M)", "other CPU s"]
main_header = ["model", "px", "spool img/s", "torchvision img/s", "throughput ratio", ">= 1.2x",
               "spool peak MB", "torchvision peak MB", "memory ratio", "<= 1.0x"]
text = (f"Training throughput (batch 16, {threads} libtorch threads each, OPENBLAS_NUM_THREADS=1, "
        f"median of {repeat} run(s); peak MB = peak PSS of the whole process tree)\n\n"
        + table(main_header, rows) + "\n\nPer run:\n\n" + table(detail_header, details) + "\n")
with open(f"{work}/results.md", "w") as f:
    f.write(text)
with open(f"{work}/results.json", "w") as f:
    json.dump(out, f, indent=2)
print()
print(text)
print(f"(results.md, results.json and every run's output are in {work})")
PY
