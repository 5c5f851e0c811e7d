#!/usr/bin/env bash
# The README's test command: installs what the tests need (idempotently), builds, and runs the tests.
#   scripts/test.sh            the fast tier (CI runs this: .ci/run); budget 35 minutes from a fresh clone
#   scripts/test.sh --long     the long tier: the suites named *LongTests (learning at real sizes, Slurm's real
#                              time limits, soak loops); budget 75 minutes; must pass before an issue that touches
#                              the engine, training, the runner or Slurm is resolved (docs/testing.md)
#   scripts/test.sh --all      both tiers
#   scripts/test.sh [--long|--all] [extra swift test arguments, e.g. --filter ParityTests]
# Each run ends with its 15 slowest tests, read from swift test's own output.
#   SPOOL_TEST_SHIFT_DAYS=400 scripts/test.sh   runs the tests with the wall clock moved 400 days ahead (no test
#                                               may depend on today's date; scripts/lib/shift_realtime.c)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

tier=fast
case "${1:-}" in
  --long) tier=long; shift ;;
  --all) tier=all; shift ;;
  --fast) shift ;;
esac
export SPOOL_TEST_TIER=$tier
started=$(date +%s)

scripts/setup.sh --test

# The reference stack for parity tests: Debian's torch and torchvision, plus timm (pure Python), pycocotools
# (COCO mAP) and OpenCV (score.py's segmentation polygons) in a venv that sees Debian's packages, and ruff
# (score.py's lint). numpy is pinned to Debian's: a newer one shadows it and breaks Debian's torch.
venv="$root/.venv-test"
if [[ ! -x "$venv/bin/python" || ! -x "$venv/bin/ruff" ]] || ! "$venv/bin/python" -c 'import timm, pycocotools.cocoeval, cv2' 2>/dev/null; then
  /usr/bin/python3 -m venv --system-site-packages "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check numpy==1.24.2
  "$venv/bin/pip" install -q --disable-pip-version-check --no-deps timm pycocotools ruff "opencv-python-headless<4.11"
fi

# The YOLOv5 reference: Ultralytics' yolov5 7.0 package on Debian's torch, without its torch pins (--no-deps);
# numpy pinned to Debian's, OpenCV and pandas below the releases that need a newer numpy.
yolo_venv="$root/.venv-yolo"
if [[ ! -x "$yolo_venv/bin/python" ]] || ! YOLO_CONFIG_DIR=/tmp "$yolo_venv/bin/python" -c 'import yolov5.utils.loss' 2>/dev/null; then
  /usr/bin/python3 -m venv --system-site-packages "$yolo_venv"
  echo "numpy==1.24.2" > "$yolo_venv/constraints.txt"
  "$yolo_venv/bin/pip" install -q --disable-pip-version-check -c "$yolo_venv/constraints.txt" numpy==1.24.2 \
    "opencv-python-headless<4.11" "pandas<2.1" "matplotlib<3.8" "seaborn<0.13" tqdm
  "$yolo_venv/bin/pip" install -q --disable-pip-version-check --no-deps yolov5==7.0.14 ultralytics thop
fi

export OPENBLAS_NUM_THREADS=1   # libtorch parallelises around BLAS calls
export HF_HUB_OFFLINE=1
set_up=$(date +%s)
swift build --build-tests
built=$(date +%s)
echo "test: set up (packages, reference venvs) in $((set_up - started)) s, built in $((built - set_up)) s"
# The BLAS kernels spool-trainer runs with (it forces AVX2/AVX-512 ones when Debian's OpenBLAS does not know the
# CPU and falls back to SSE3): the in-process engine tests and the Python references use the same.
if [[ -z "${OPENBLAS_CORETYPE:-}" ]]; then
  core=$(.build/debug/spool-trainer doctor --json | sed -n 's/.*"blas_kernels":"\([A-Za-z0-9_]*\)".*/\1/p')
  [[ -n "$core" ]] && export OPENBLAS_CORETYPE="$core" && echo "test: OpenBLAS kernels $core"
fi
preload=()
if [[ -n "${SPOOL_TEST_SHIFT_DAYS:-}" ]]; then
  shim="$root/.build/shift_realtime.so"
  cc -shared -fPIC -O2 -o "$shim" scripts/lib/shift_realtime.c -ldl
  export SPOOL_SHIFT_SECONDS=$((SPOOL_TEST_SHIFT_DAYS * 86400))
  preload=(env LD_PRELOAD="$shim")
  echo "test: the wall clock reads $("${preload[@]}" date -u +%F) for this run"
fi

log="$root/.build/test-$tier.log"          # the serial run: its times are each test's own
pure_log="$root/.build/test-$tier-pure.log" # the pure suites, in parallel: their times overlap
: > "$log"
: > "$pure_log"
status=0
# The pure suites (no engine, no child trainers, no daemons) run in parallel; everything else serially: the
# machine has few cores, and libtorch's thread count is process-wide.
pure='^(SpoolCoreTests|SpoolStoreTests|SpoolSweepTests|SpoolIngestTests|SpoolCommandTests)\.'
if (($#)); then
  "${preload[@]}" swift test --skip-build --no-parallel "$@" 2>&1 | tee -a "$log" || status=$?
elif [[ $tier == long ]]; then
  "${preload[@]}" swift test --skip-build --no-parallel --filter 'LongTests' 2>&1 | tee -a "$log" || status=$?
else
  "${preload[@]}" swift test --skip-build --parallel --filter "$pure" 2>&1 | tee -a "$pure_log" || status=$?
  "${preload[@]}" swift test --skip-build --no-parallel --skip "$pure" 2>&1 | tee -a "$log" || status=$?
fi
finished=$(date +%s)

echo
echo "test: the 15 slowest tests of the serial run (seconds; the pure suites ran in parallel, their times overlap):"
# Serial, a suite's tests follow its "Suite X started" line: each test is named with its suite.
awk '/Suite [A-Za-z0-9_]+ started/ { for (i = 1; i <= NF; i++) if ($i == "Suite") suite = $(i + 1) }
     / Test .* (passed|failed) after [0-9.]+ seconds/ && !/Test run with/ {
       match($0, / Test .* (passed|failed) after/); name = substr($0, RSTART + 6, RLENGTH - 6)
       sub(/ (passed|failed) after$/, "", name); sub(/ with [0-9]+ test cases?$/, "", name)
       match($0, /after [0-9.]+ seconds/); secs = substr($0, RSTART + 6, RLENGTH - 14)
       printf "%10.1f  %s/%s%s\n", secs, suite, name, ($0 ~ / failed after/ ? "  (failed)" : "")
     }' "$log" | sort -rn | head -n 15 || true  # head leaves early: sort's SIGPIPE is no failure
# One closing line over both runs, counted from each test's own line (a parameterised test counts once, as
# swift test counts it; a long-tier suite the fast tier skips is counted as skipped, not passed).
count() { cat "$pure_log" "$log" | grep -E " Test .* $1" | grep -vc -e 'Test run with' -e 'Test case ' || true; }
passed=$(count 'passed after [0-9.]+ seconds')
failed=$(count 'failed after [0-9.]+ seconds')
skipped=$(count 'skipped')
((status == 0)) || ((failed > 0)) || failed=1
echo "test: $tier tier: set up in $((set_up - started)) s, built in $((built - set_up)) s, tests ran $((finished - built)) s (log: ${log#"$root"/})"
echo "test: $passed passed, $failed failed, $skipped skipped"
exit $status
