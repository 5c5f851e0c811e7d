#!/usr/bin/env bash
# The README's test command: installs what the tests need (idempotently), builds, and runs every test.
#   scripts/test.sh [extra swift test arguments, e.g. --filter ParityTests]
#   SPOOL_TEST_SHIFT_DAYS=400 scripts/test.sh   runs the tests with the wall clock moved 400 days ahead (no test
#                                               may depend on today's date; scripts/lib/shift_realtime.c)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

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
swift build --build-tests
# The BLAS kernels spool-trainer runs with (it forces AVX2/AVX-512 ones when Debian's OpenBLAS does not know the
# CPU and falls back to SSE3): the in-process engine tests and the Python references use the same.
if [[ -z "${OPENBLAS_CORETYPE:-}" ]]; then
  core=$(.build/debug/spool-trainer doctor --json | sed -n 's/.*"blas_kernels":"\([A-Za-z0-9_]*\)".*/\1/p')
  [[ -n "$core" ]] && export OPENBLAS_CORETYPE="$core" && echo "test: OpenBLAS kernels $core"
fi
# Serial: the machine has few cores, and libtorch's thread count is process-wide.
if [[ -n "${SPOOL_TEST_SHIFT_DAYS:-}" ]]; then
  shim="$root/.build/shift_realtime.so"
  cc -shared -fPIC -O2 -o "$shim" scripts/lib/shift_realtime.c -ldl
  export SPOOL_SHIFT_SECONDS=$((SPOOL_TEST_SHIFT_DAYS * 86400))
  echo "test: the wall clock reads $(LD_PRELOAD="$shim" date -u +%F) for this run"
  LD_PRELOAD="$shim" swift test --skip-build --no-parallel "$@"
else
  swift test --skip-build --no-parallel "$@"
fi
