#!/usr/bin/env bash
# The README's run command: installs what Spool needs, builds it, and runs Spool's main jobs on the embedded
# default spool (./spool): the classification and object detection example bundles are submitted, trained by
# the daemon (--once), and their models in the outbox score a few images.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

scripts/setup.sh
swift build -c release
bin=$(swift build -c release --show-bin-path)
export PATH="$bin:$PATH"

spoolctl doctor || true
[[ -f examples/shapes/settings.yaml ]] || spoolctl example --out examples/shapes
# Object detection: 96 px shapes with their boxes, a small Faster R-CNN (a few minutes on 2 cores).
[[ -f examples/boxes/settings.yaml ]] || spoolctl example --task detection --out examples/boxes --images 40 --size 96
spoolctl init --spool spool
spoolctl submit --spool spool examples/shapes
spoolctl submit --spool spool examples/boxes
spoolctl serve --once --spool spool
echo
spoolctl status --spool spool
detector=$(grep -l '"image_object_detection"' spool/outbox/j-*/model/model.json 2>/dev/null | head -n1 || true)
if [[ -n "$detector" ]]; then
  echo
  echo "Object detection: boxes found in two images by $(dirname "$detector"):"
  spoolctl predict --model "$(dirname "$detector")" examples/boxes/images/0000.png examples/boxes/images/0001.png
fi
outbox=$(grep -l '"image_classification"' spool/outbox/j-*/model/model.json 2>/dev/null | head -n1 | xargs -r dirname | xargs -r dirname || true)
if [[ -n "$outbox" ]]; then
  echo
  echo "Scoring three images with $outbox/model:"
  spoolctl predict --model "$outbox/model" examples/shapes/images/0000.png examples/shapes/images/0001.png \
    examples/shapes/images/0002.png --top 2
  echo
  echo "Batch scoring the example's images with spoolctl score:"
  spoolctl score --model "$outbox/model" examples/shapes/images --jsonl spool/scores.jsonl
  echo
  echo "Outbox: $outbox"
  echo "  model/ (weights.safetensors, model.json, score.py), metrics.json, trials.csv, trials.json,"
  echo "  report.html (open it in a browser), job.json, job.log, train.log"
  echo "A second run of this script finds the same bundle already trained: it is reported as a duplicate in"
  echo "spool/failed/, as it should be."
fi
