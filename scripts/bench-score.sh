#!/usr/bin/env bash
# The scoring benchmark: `spoolctl score` throughput against torchvision's Python evaluation loop on the same
# images, model and threads; and `spoolctl serve-model` requests per second at 1 and 8 concurrent clients.
# Usage: scripts/bench-score.sh [IMAGES] [SIZE]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh --test >/dev/null
if [[ -n "${BENCH_BIN:-}" ]]; then bin=$BENCH_BIN; else swift build -c release; bin=$(swift build -c release --show-bin-path); fi
export OPENBLAS_NUM_THREADS=1
exec /usr/bin/python3 scripts/bench/score_bench.py "$bin" "${1:-256}" "${2:-224}"
