#!/usr/bin/env bash
# How true `spoolctl validate`'s time per epoch is: for a few jobs (classification at two crop sizes, detection),
# the estimate `validate` prints against the second epoch of a real `spool-trainer train` of the same bundle on
# the same machine (its first epoch measures the memory format). Prints one line per job with the ratio.
# Usage: scripts/bench-estimate.sh        (BENCH_BIN=.build/debug to use a debug build: the engine is -O2 in both)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh >/dev/null
if [[ -n "${BENCH_BIN:-}" ]]; then bin=$BENCH_BIN; else swift build -c release; bin=$(swift build -c release --show-bin-path); fi
export OPENBLAS_NUM_THREADS=1
work=$(mktemp -d /tmp/spool-bench-estimate.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The seconds between two "epoch N/E:" log lines of a run's train.log (to the second).
epoch_seconds() {
  local log=$1 n=$2
  local a b
  a=$(grep -m1 "info epoch $((n - 1))/" "$log" | cut -c1-20)
  b=$(grep -m1 "info epoch $n/" "$log" | cut -c1-20)
  echo $(( $(date -d "$b" +%s) - $(date -d "$a" +%s) ))
}

run() {
  local name=$1 bundle=$2
  local estimate actual
  estimate=$("$bin/spoolctl" validate "$bundle" --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["seconds_per_epoch"])')
  "$bin/spool-trainer" train "$bundle" --out "$work/$name-run" >/dev/null 2>&1
  actual=$(epoch_seconds "$work/$name-run/train.log" 2)
  /usr/bin/python3 -c "import sys; e, a = float(sys.argv[2]), float(sys.argv[3]); print(f'{sys.argv[1]:<34} estimate {e:7.1f} s  measured {a:5.0f} s  ratio {e / max(a, 1):.2f}')" \
    "$name" "$estimate" "$actual"
}

for crop in 64 224; do
  "$bin/spoolctl" example --out "$work/shapes-$crop" --per-class 80 --size 96 >/dev/null
  sed -i -e "s/number_of_epochs: .*/number_of_epochs: 2/" -e "s/train_crop_size: .*/train_crop_size: $crop/" \
         -e "s/valid_crop_size: .*/valid_crop_size: $crop/" -e "s/valid_resize_size: .*/valid_resize_size: $crop/" \
         "$work/shapes-$crop/settings.yaml"
  run "resnet18, 240 images, crop $crop" "$work/shapes-$crop"
done
"$bin/spoolctl" example --task detection --out "$work/boxes" --images 40 --size 96 >/dev/null
sed -i "s/number_of_epochs: .*/number_of_epochs: 2/" "$work/boxes/settings.yaml"
run "fasterrcnn_resnet18_fpn, 40 images" "$work/boxes"
