#!/usr/bin/env bash
# The README's run command: installs what Spool needs, builds it, and trains the example bundle.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

scripts/setup.sh
swift build -c release
bin=$(swift build -c release --show-bin-path)

"$bin/spoolctl" doctor || true
run="examples/runs/shapes-$(date +%Y%m%d-%H%M%S)"
"$bin/spoolctl" train examples/shapes --out "$run"
echo
echo "Scoring three images with the trained model:"
"$bin/spoolctl" predict --model "$run/model" examples/shapes/images/0000.png examples/shapes/images/0001.png \
  examples/shapes/images/0002.png --top 2
echo
echo "Model: $run/model   Metrics: $run/metrics.json   Log: $run/train.log"
