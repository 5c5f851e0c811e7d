#!/usr/bin/env bash
# Installs, idempotently, every Debian package that building, running and testing Spool needs.
# Usage: scripts/setup.sh [--test]   (--test adds the reference stack used by the parity tests)
set -euo pipefail

runtime=(
  libtorch-dev libopenblas0-pthread          # the engine; OpenBLAS: the reference BLAS is ~30x slower
  libopencv-imgcodecs-dev libopencv-imgproc-dev  # image decoding (JPEG, PNG, BMP, TIFF, WebP) and resizing
  nlohmann-json3-dev                          # JSON in the C++ engine (safetensors headers)
  libgloo-dev                                 # gloo's headers: data-parallel collectives on the CPU (libtorch's c10d)
  libsqlite3-dev libarchive-dev libinotifytools0-dev
  cmake pkg-config zstd
  tzdata                                      # schedules read their time zone's rules (daylight saving)
)
testing=(
  python3-torchvision python3-torch python3-sklearn python3-venv python3-pil python3-numpy
  python3-skimage    # scikit-image's sample photographs: real photos for the YOLOv5 letterbox parity test
  libarchive-tools   # bsdtar: the unpack benchmark's reference and hostile-archive tests
  chromium           # headless: renders outbox/<id>/report.html (JobReportTests: console, screenshot, DOM)
  slurm-wlm munge    # a one-node Slurm on localhost for the Slurm executor's tests (scripts/slurm/local-cluster.sh)
)

want=("${runtime[@]}")
if [[ "${1:-}" == "--test" ]]; then want+=("${testing[@]}"); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# libtorch must use OpenBLAS, not the slow reference BLAS that a clean install may pick.
if command -v update-alternatives >/dev/null; then
  for alt in libblas.so.3-x86_64-linux-gnu liblapack.so.3-x86_64-linux-gnu; do
    target=$(update-alternatives --list "$alt" 2>/dev/null | grep openblas-pthread | head -n1 || true)
    [[ -n "$target" ]] && ${SUDO:-} update-alternatives --set "$alt" "$target" >/dev/null 2>&1 || true
  done
fi

# SwiftPM refuses absolute header paths: the engine finds libtorch's C++ API through this link.
root=$(cd "$(dirname "$0")/.." && pwd)
link="$root/Sources/CSpoolEngine/include-torch-api"
if [[ -z "${SPOOL_LIBTORCH:-}" && ! -e "$link" ]]; then
  ln -sfn /usr/include/torch/csrc/api/include "$link"
fi
echo "setup: ok"
