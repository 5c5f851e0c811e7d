#!/usr/bin/env bash
# YOLOv5 training: Spool against Ultralytics' own training step (the yolov5 7.0 package on Debian's torch,
# scripts/bench/yolo_reference.py) on the same generated images, model, image size, batch and threads, measured
# in the same run. Prints images/s and peak memory of both sides and their ratios (targets: throughput >= 1.0x,
# memory <= 1.0x).
#   scripts/bench-yolo.sh
#   BENCH_SIDE=640 BENCH_BATCH=4 scripts/bench-yolo.sh
#   BENCH_NO_BUILD=1   use the release binaries already built
# Both sides: yolov5s from scratch, SGD, letterboxed images with a horizontal flip as the only augmentation
# (Spool's mosaic, affine and HSV switched off: the reference loop has none), an update every batch, the first
# epoch a warm-up, OPENBLAS_NUM_THREADS=1 and the same OpenBLAS kernels. Spool still does work the reference
# skips (its identity affine warp, the weight average after every update, the evaluation at the end is not
# timed): the ratio is conservative.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
side=${BENCH_SIDE:-320}
batch=${BENCH_BATCH:-8}
train_images=${BENCH_IMAGES:-48}
valid_images=8
epochs=3
threads=${BENCH_THREADS:-$(nproc)}
python=/usr/bin/python3
yolo_python=${BENCH_YOLO_PYTHON:-$root/.venv-yolo/bin/python}
work=${BENCH_DIR:-$(mktemp -d /tmp/spool-bench-yolo.XXXXXX)}
mkdir -p "$work"
malloc_tunables="glibc.malloc.mmap_threshold=4294967295:glibc.malloc.trim_threshold=4294967295"
[[ -x "$yolo_python" ]] || { echo "bench: $yolo_python is missing: run scripts/test.sh once (it makes .venv-yolo)" >&2; exit 1; }

source scripts/lib/bench_build.sh
export YOLO_CONFIG_DIR="$work/yolo-config"

data="$work/data"
if [[ ! -f "$data/settings.yaml" ]]; then
  "$spoolctl" example --task detection --out "$data" --images $((train_images + valid_images)) --size "$side" --seed 1 >/dev/null
  head -n "$train_images" "$data/train.jsonl" >"$data/train.part"
  tail -n "$valid_images" "$data/train.jsonl" >"$data/valid.jsonl"
  mv "$data/train.part" "$data/train.jsonl"
  cat >"$data/settings.yaml" <<YAML
task: image_object_detection
training_data: {path: train.jsonl}
validation_data: {path: valid.jsonl}
training_parameters:
  model_name: yolov5
  model_size: small
  img_size: $side
  number_of_epochs: $epochs
  evaluation_frequency: $epochs
  early_stopping: 0
  training_batch_size: $batch
  validation_batch_size: $batch
  nominal_batch_size: $batch
  learning_rate: 0.01
  optimizer: sgd
  augmentation_mosaic: 0
  augmentation_translate: 0
  augmentation_scale: 0
  augmentation_hsv_h: 0
  augmentation_hsv_s: 0
  augmentation_hsv_v: 0
YAML
fi

steps=$((epochs * train_images / batch))
echo "bench: yolov5s at ${side}px, $train_images training images x $epochs epochs (1st: warm-up), batch $batch, $threads threads, OpenBLAS ${OPENBLAS_CORETYPE:-auto}" >&2
rm -rf "$work/spool"
echo "bench: spool ..." >&2
"$python" scripts/bench/memwatch.py --out "$work/spool.mem.json" -- env GLIBC_TUNABLES="$malloc_tunables" \
  "$spoolctl" train "$data" --out "$work/spool" --threads "$threads" --seed 0 --quiet
echo "bench: ultralytics ..." >&2
"$python" scripts/bench/memwatch.py --out "$work/ultralytics.mem.json" -- env GLIBC_TUNABLES="$malloc_tunables" \
  "$yolo_python" scripts/bench/yolo_reference.py --images "$data" --img-size "$side" --batch "$batch" \
  --steps "$steps" --warmup $((train_images / batch)) --threads "$threads" --workers 2 >"$work/ultralytics.json"

"$python" - "$work" "$side" "$batch" <<'PY'
import json, sys
work, side, batch = sys.argv[1], sys.argv[2], sys.argv[3]
load = lambda p: json.load(open(p))
metrics, smem = load(f"{work}/spool/metrics.json"), load(f"{work}/spool.mem.json")
measured = metrics["history"][1:]
s_ips = sum(h["images_per_second"] * h["seconds"] for h in measured) / sum(h["seconds"] for h in measured)
ref = json.loads(open(f"{work}/ultralytics.json").read().strip().splitlines()[-1])
umem = load(f"{work}/ultralytics.mem.json")
u_ips = ref["images_per_second"]
s_mb, u_mb = smem["peak_tree_pss_mb"], umem["peak_tree_pss_mb"]
print(f"yolov5s at {side}px, batch {batch}; per-epoch img/s spool {[round(h['images_per_second'], 2) for h in metrics['history']]}; "
      f"other CPU during runs: spool {smem['other_cpu_seconds']:.0f} s, ultralytics {umem['other_cpu_seconds']:.0f} s")
print("| measure | spool | ultralytics | ratio | target |")
print("|---|---|---|---|---|")
print(f"| training images/s (decode, augmentation, step) | {s_ips:.2f} | {u_ips:.2f} | {s_ips / u_ips:.2f}x | >= 1.0x |")
print(f"| peak memory, MB (PSS of the process tree) | {s_mb:.0f} | {u_mb:.0f} | {s_mb / u_mb:.2f}x | <= 1.0x |")
json.dump({"side": side, "batch": batch, "spool_images_per_second": s_ips, "ultralytics_images_per_second": u_ips,
           "spool_peak_mb": s_mb, "ultralytics_peak_mb": u_mb}, open(f"{work}/result.json", "w"), indent=1)
PY
