#!/usr/bin/env bash
# Read/write throughput of the safetensors reader and writer next to `cp` of the same file, in one
# run on this machine. Prints a Markdown section to paste into docs/benchmarks.md.
#   scripts/benchmark-io.sh [FILE]   (default: a 1 GiB synthetic F32/F16/BF16 checkpoint in /tmp)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product compress >/dev/null
file="${1:-/tmp/benchmark-1gib.safetensors}"
if [ ! -f "$file" ]; then
  python3 - "$file" <<'PY'
import sys
import numpy as np
from safetensors.numpy import save_file
rng = np.random.default_rng(0)
tensors = {}
for i in range(64):  # 64 × 4096×1024 F32 = 1 GiB
    tensors[f"model.layers.{i}.weight"] = rng.standard_normal((4096, 1024), dtype=np.float32)
save_file(tensors, sys.argv[1])
PY
fi
echo "### safetensors I/O, $(date -u +%Y-%m-%d)"
echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)."
echo "Command: \`scripts/benchmark-io.sh\` (\`compress benchmark-io $file --rounds 5\`)."
echo
.build/release/compress benchmark-io "$file" --rounds 5
