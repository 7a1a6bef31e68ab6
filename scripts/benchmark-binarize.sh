#!/usr/bin/env bash
# Binarized models in the engine: forward throughput and peak memory of SmolLM2-135M and
# all-MiniLM-L6-v2, dense and with every block linear binarized (plain signs, and signs with a
# rank-8 residual; no data: the shapes, hence the speed, are those of every variant), each model's
# three forms in one run. The engine keeps the signs packed and decodes them block of rows by block
# of rows for sgemm (docs/binarize.md).
# Prints a Markdown section; with --record it replaces the `binarize` section of docs/benchmarks.md.
#   scripts/benchmark-binarize.sh [--record] [--rounds N]
set -euo pipefail
cd "$(dirname "$0")/.."
record=false
rounds=5
while [ $# -gt 0 ]; do
  case "$1" in
    --record) record=true ;;
    --rounds) rounds="$2"; shift ;;
    *) echo "usage: $0 [--record] [--rounds N]" >&2; exit 2 ;;
  esac
  shift
done
compress="${COMPRESS:-.build/release/compress}"
[ -n "${COMPRESS:-}" ] || swift build -c release --product compress >/dev/null
smollm=.cache/models/SmolLM2-135M-Instruct
minilm=.cache/models/all-MiniLM-L6-v2
[ -f "$smollm.Q4_1.gguf" ] && [ -d "$minilm" ] || scripts/fetch-models.sh
[ -f "$smollm/model.safetensors" ] || "$compress" import "$smollm.Q4_1.gguf" -o "$smollm" >/dev/null
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for name in smollm minilm; do
  model="${!name}"
  "$compress" "$model" --pass binarize:residual-rank=0 -o "$scratch/$name-plain" --quiet
  "$compress" "$model" --pass binarize:residual-rank=8 -o "$scratch/$name-residual" --quiet
done
# One row: throughput (median of the timed passes) and the whole process's peak resident memory.
row() {
  local label="$1" model="$2" batch="$3" length="$4"
  local out
  out="$( { /usr/bin/time -f "%M" "$compress" benchmark-forward "$model" --batch "$batch" --length "$length" --rounds "$rounds"; } 2>&1 )"
  echo "| $label | $(echo "$out" | head -1 | cut -d' ' -f1-2) | $(echo "$out" | tail -1 | awk '{printf "%.0f MiB", $1 / 1024}') |"
}
section="$(
  echo "### Binarized models in the engine, $(date -u +%Y-%m-%d)"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average at start: $(cut -d" " -f1-3 /proc/loadavg)."
  echo "Command: \`scripts/benchmark-binarize.sh --rounds $rounds\`: \`compress benchmark-forward MODEL --batch B --length L --rounds $rounds\` (median), peak resident memory of that process by \`/usr/bin/time\`; each model's three forms in this order, in one run."
  echo
  echo "| model | throughput | peak memory |"
  echo "|---|---|---|"
  row "SmolLM2-135M dense (F32), 4 × 128" "$smollm" 4 128
  row "SmolLM2-135M binarized, 4 × 128" "$scratch/smollm-plain" 4 128
  row "SmolLM2-135M binarized + residual 8, 4 × 128" "$scratch/smollm-residual" 4 128
  row "all-MiniLM-L6-v2 dense (F32), 16 × 128" "$minilm" 16 128
  row "all-MiniLM-L6-v2 binarized, 16 × 128" "$scratch/minilm-plain" 16 128
  row "all-MiniLM-L6-v2 binarized + residual 8, 16 × 128" "$scratch/minilm-residual" 16 128
)"
echo "$section"
if $record; then
  echo "$section" | scripts/replace-section.py docs/benchmarks.md binarize
  echo "(recorded in docs/benchmarks.md)"
fi
