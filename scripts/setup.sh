#!/usr/bin/env bash
# Sets up a fresh Debian machine: system libraries, the Python packages the interop checks and
# fixture scripts use, the real models and texts (into .cache/), and a release build of `compress`.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! pkg-config --exists openblas libzstd 2>/dev/null || ! command -v zstd >/dev/null; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq libopenblas-dev libzstd-dev pkg-config zstd >/dev/null
fi
python3 -m pip install --quiet --disable-pip-version-check numpy safetensors
scripts/fetch-models.sh
swift build -c release --product compress
echo "ready: .build/release/compress"
