#!/usr/bin/env bash
# Object detection training and scoring: Spool against torchvision's reference loop (scripts/bench/detect_reference.py)
# on the same generated images, model, batch and threads, measured in the same run. Prints images/s and peak
# memory of both sides and their ratios (targets: throughput >= 1.0x, memory <= 1.0x), and scoring images/s.
#   scripts/bench-detect.sh
#   BENCH_MODEL=retinanet_resnet50_fpn BENCH_SIDE=256 scripts/bench-detect.sh
#   BENCH_MODEL=maskrcnn_resnet18_fpn scripts/bench-detect.sh     (instance segmentation: generated polygons)
#   BENCH_NO_BUILD=1   use the release binaries already built
# Both sides: backbone from scratch (trainable BatchNorm, all layers), SGD, horizontal flip as the only
# augmentation (Spool's crop, expand and photometric switched off: the reference has none), the first epoch a
# warm-up, OPENBLAS_NUM_THREADS=1 and the same OpenBLAS kernels and malloc settings.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
model=${BENCH_MODEL:-fasterrcnn_resnet18_fpn}
side=${BENCH_SIDE:-160}
train_images=${BENCH_IMAGES:-48}
valid_images=32
epochs=3
batch=2
threads=${BENCH_THREADS:-$(nproc)}
python=${BENCH_PYTHON:-/usr/bin/python3}
work=${BENCH_DIR:-$(mktemp -d /tmp/spool-bench-detect.XXXXXX)}
mkdir -p "$work"
malloc_tunables="glibc.malloc.mmap_threshold=4294967295:glibc.malloc.trim_threshold=4294967295"

source scripts/lib/bench_build.sh

task=image_object_detection example=detection
if [[ $model == maskrcnn* ]]; then task=image_instance_segmentation example=segmentation; fi
data="$work/data"
if [[ ! -f "$data/settings.yaml" ]]; then
  "$spoolctl" example --task "$example" --out "$data" --images $((train_images + valid_images)) --size "$side" --seed 1 >/dev/null
  head -n "$train_images" "$data/train.jsonl" >"$data/train.part"
  tail -n "$valid_images" "$data/train.jsonl" >"$data/valid.jsonl"
  mv "$data/train.part" "$data/train.jsonl"
  cat >"$data/settings.yaml" <<YAML
task: $task
training_data: {path: train.jsonl}
validation_data: {path: valid.jsonl}
training_parameters:
  model_name: $model
  number_of_epochs: $epochs
  evaluation_frequency: $epochs
  early_stopping: 0
  training_batch_size: $batch
  validation_batch_size: $batch
  learning_rate: 0.005
  optimizer: sgd
  momentum: 0.9
  weight_decay: 0.0001
  min_size: $side
  max_size: $side
  augmentation_crop: 0
  augmentation_expand: 0
  augmentation_photometric: 0
YAML
fi

echo "bench: $model at ${side}px, $train_images training images x $epochs epochs (1st: warm-up), batch $batch, $threads threads, OpenBLAS ${OPENBLAS_CORETYPE:-auto}" >&2
rm -rf "$work/spool"
echo "bench: spool ..." >&2
"$python" scripts/bench/memwatch.py --out "$work/spool.mem.json" -- env GLIBC_TUNABLES="$malloc_tunables" \
  "$spoolctl" train "$data" --out "$work/spool" --threads "$threads" --seed 0 --quiet
echo "bench: torchvision ..." >&2
"$python" scripts/bench/memwatch.py --out "$work/torchvision.mem.json" -- env GLIBC_TUNABLES="$malloc_tunables" \
  "$python" scripts/bench/detect_reference.py --bundle "$data" --model "$model" --size "$side" --batch "$batch" \
  --epochs "$epochs" --workers 2 --threads "$threads" --out "$work/torchvision.json"

# Scoring: spoolctl predict, one image a batch; its start-up and model load are taken out by timing 1 image and
# all of them, both after a warm-up run.
mapfile -t images < <(sed -n 's/.*"image_url": "\([^"]*\)".*/\1/p' "$data/valid.jsonl" | sed "s|^|$data/|")
predict() { "$spoolctl" predict --model "$work/spool/model" --batch-size 1 --json "$@" >/dev/null; }
predict "${images[0]}"
t0=$(date +%s.%N); predict "${images[0]}"; t1=$(date +%s.%N); predict "${images[@]}"; t2=$(date +%s.%N)
spool_scoring=$("$python" -c "print((${#images[@]} - 1) / (($t2 - $t1) - ($t1 - $t0)))")

"$python" - "$work" "$spool_scoring" "$model" "$side" <<'PY'
import json, sys
work, spool_scoring, model, side = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
load = lambda p: json.load(open(p))
metrics, smem = load(f"{work}/spool/metrics.json"), load(f"{work}/spool.mem.json")
measured = metrics["history"][1:]
s_ips = sum(h["images_per_second"] * h["seconds"] for h in measured) / sum(h["seconds"] for h in measured)
tv, tmem = load(f"{work}/torchvision.json"), load(f"{work}/torchvision.mem.json")
t_ips = tv["images_per_second"]
s_mb, t_mb = smem["peak_tree_pss_mb"], tmem["peak_tree_pss_mb"]
rows = [
    ("training images/s (decode, augmentation, step)", f"{s_ips:.2f}", f"{t_ips:.2f}", f"{s_ips / t_ips:.2f}x", ">= 1.0x"),
    ("peak memory, MB (PSS of the process tree)", f"{s_mb:.0f}", f"{t_mb:.0f}", f"{s_mb / t_mb:.2f}x", "<= 1.0x"),
    ("scoring images/s (batch 1, decode included)", f"{spool_scoring:.2f}", f"{tv['scoring_images_per_second']:.2f}",
     f"{spool_scoring / tv['scoring_images_per_second']:.2f}x", ""),
]
print(f"{model} at {side}px; per-epoch img/s spool {[round(h['images_per_second'], 2) for h in metrics['history']]}, "
      f"torchvision {[round(h['images_per_second'], 2) for h in tv['history']]}; other CPU during runs: "
      f"spool {smem['other_cpu_seconds']:.0f} s, torchvision {tmem['other_cpu_seconds']:.0f} s")
print("| measure | spool | torchvision | ratio | target |")
print("|---|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r) + " |")
json.dump({"model": model, "side": side, "spool_images_per_second": s_ips, "torchvision_images_per_second": t_ips,
           "spool_peak_mb": s_mb, "torchvision_peak_mb": t_mb, "spool_scoring_images_per_second": spool_scoring,
           "torchvision_scoring_images_per_second": tv["scoring_images_per_second"]},
          open(f"{work}/result.json", "w"), indent=1)
PY
