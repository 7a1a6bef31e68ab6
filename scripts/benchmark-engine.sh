#!/usr/bin/env bash
# Forward throughput of the engine next to PyTorch on the same machine, shapes and models, in one
# run: all-MiniLM-L6-v2 (16 × 128 tokens) and SmolLM2-135M (1 × 512 tokens, imported from its GGUF).
# The engine runs once as a user starts it (OPENBLAS_CORETYPE unset: `compress` restarts itself
# with faster kernels when OpenBLAS fell back to generic ones, see TensorCore/BLASKernels.swift)
# and once per OPENBLAS_CORETYPE in CORETYPES (default "Prescott Haswell": the generic kernels
# OpenBLAS 0.3.21 picks on CPUs it does not know, and AVX2).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product compress >/dev/null
scripts/fetch-models.sh >/dev/null
smollm=.cache/models/SmolLM2-135M-Instruct
[ -f "$smollm/model.safetensors" ] || .build/release/compress import .cache/models/SmolLM2-135M-Instruct.Q4_1.gguf -o "$smollm" >/dev/null
echo "### engine forward throughput, $(date -u +%Y-%m-%d)"
echo
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs). Command: \`scripts/benchmark-engine.sh\`."
echo
echo "| model | shape | engine | tokens/s |"
echo "|---|---|---|---|"
for spec in ".cache/models/all-MiniLM-L6-v2 16 128" "$smollm 1 512"; do
  set -- $spec
  name=$(basename "$1")
  row() { echo "| $name | $2×$3 | $4 | $(echo "$5" | cut -d' ' -f1) |"; }
  row "$1" "$2" "$3" "PyTorch $(python3 -c 'import torch; print(torch.__version__)')" "$(python3 Fixtures/realmodels/bench_torch.py "$1" "$2" "$3" 5 2>/dev/null)"
  row "$1" "$2" "$3" "swift (OPENBLAS_CORETYPE unset)" "$(.build/release/compress benchmark-forward "$1" --batch "$2" --length "$3" --rounds 5)"
  for core in ${CORETYPES:-Prescott Haswell}; do
    row "$1" "$2" "$3" "swift (OPENBLAS_CORETYPE=$core)" "$(OPENBLAS_CORETYPE=$core .build/release/compress benchmark-forward "$1" --batch "$2" --length "$3" --rounds 5)"
  done
done
