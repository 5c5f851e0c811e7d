# Sourced by scripts/bench-*.sh after they set $work: builds Spool in release (unless BENCH_NO_BUILD=1), sets
# $bin and $spoolctl, and runs with the OpenBLAS kernels spool-trainer picks (the references get the same) and
# one OpenBLAS thread (libtorch parallelises around BLAS calls).
if [[ "${BENCH_NO_BUILD:-0}" != 1 ]]; then
  echo "bench: building Spool (swift build -c release; log in $work/build.log)" >&2
  swift build -c release >"$work/build.log" 2>&1 || { echo "bench: the release build failed (log: $work/build.log)" >&2; exit 1; }
fi
bin=$(swift build -c release --show-bin-path)
spoolctl="$bin/spoolctl"
if [[ -z "${OPENBLAS_CORETYPE:-}" ]]; then
  core=$("$bin/spool-trainer" doctor --json | sed -n 's/.*"blas_kernels":"\([A-Za-z0-9_]*\)".*/\1/p')
  [[ -n "$core" ]] && export OPENBLAS_CORETYPE="$core"
fi
export OPENBLAS_NUM_THREADS=1
