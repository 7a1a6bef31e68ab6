#!/usr/bin/env bash
# The test command: the Swift test suite (unit, golden, end-to-end and real-model tiers), then
# the interop check that files written by `compress` open with the Python safetensors library.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product compress
swift test
python3 Fixtures/interop/check_outputs.py .build/release/compress
