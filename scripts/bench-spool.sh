#!/usr/bin/env bash
# The spool's benchmark (docs/benchmarks.md): drop-to-PENDING latency for a ~10 MB bundle, unpack throughput
# against `bsdtar -x` on the same archives, `spoolctl status` over 10,000 jobs, and the idle daemon's CPU.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
command -v bsdtar >/dev/null || { apt-get install -y -qq libarchive-tools >/dev/null; }
# BENCH_BIN=.build/debug measures a debug build already made (quicker; say so beside its numbers).
if [[ -n "${BENCH_BIN:-}" ]]; then bin=$BENCH_BIN; else swift build -c release; bin=$(swift build -c release --show-bin-path); fi
exec /usr/bin/python3 scripts/bench/spool_bench.py "$bin"
