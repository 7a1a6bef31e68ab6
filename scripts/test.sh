#!/usr/bin/env bash
# The test command: the Swift test suite in a release build (unit, golden, end-to-end and the
# real-model tiers, which fetch their models into .cache/ on first use), then the interop check
# that files written by `compress` open with the Python safetensors library.
# `-enable-testing` lets the tests that check internal kernels `@testable import` in release.
set -euo pipefail
cd "$(dirname "$0")/.."
swift test -c release -Xswiftc -enable-testing
python3 Fixtures/interop/check_outputs.py .build/release/compress
