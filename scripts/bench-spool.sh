#!/usr/bin/env bash
# The spool's benchmark (docs/benchmarks.md): drop-to-PENDING latency for a ~10 MB bundle, unpack throughput
# against `bsdtar -x` on the same archives, `spoolctl status` over 10,000 jobs, and the idle daemon's CPU.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
command -v bsdtar >/dev/null || { apt-get install -y -qq libarchive-tools >/dev/null; }
swift build -c release
exec /usr/bin/python3 scripts/bench/spool_bench.py "$(swift build -c release --show-bin-path)"
