#!/usr/bin/env bash
# The sweep benchmark (docs/sweeps.md): the same seeded random sweep run with each early-termination policy
# and without one; prints the compute each policy saves (epochs and trial-seconds) and the best metric each
# reaches. Usage: scripts/bench-sweep.sh [TRIALS] [EPOCHS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
# BENCH_BIN=.build/debug measures a debug build already made (quicker; the ratios are what matter).
if [[ -n "${BENCH_BIN:-}" ]]; then bin=$BENCH_BIN; else swift build -c release; bin=$(swift build -c release --show-bin-path); fi
exec /usr/bin/python3 scripts/bench/sweep_bench.py "$bin" "${1:-12}" "${2:-8}"
