#!/usr/bin/env bash
# The GPTQ solver on a 4096×4096 layer (H from 2048 synthetic tokens) next to the machine's own
# sgemm rate and the torch CPU port of the authors' fasterquant, all in one run on this machine.
# Prints a Markdown section. Writes nothing into the repository unless given --record, which
# replaces the section between the benchmark markers of docs/gptq.md.
#   scripts/benchmark-gptq.sh [--record] [--rounds N]
# Needs `BenchmarkGPTQ.self` in the subcommand list of Sources/compress/Compress.swift.
set -euo pipefail
cd "$(dirname "$0")/.."
record=false
rounds=9
while [ $# -gt 0 ]; do
  case "$1" in
    --record) record=true ;;
    --rounds) rounds="$2"; shift ;;
    *) echo "usage: $0 [--record] [--rounds N]" >&2; exit 2 ;;
  esac
  shift
done
swift build -c release --product compress >/dev/null
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
python3 Fixtures/gptq/bench_reference.py write "$scratch/layer.safetensors"
swift_out="$(.build/release/compress benchmark-gptq "$scratch/layer.safetensors" --rounds "$rounds")"
torch_out="$(python3 Fixtures/gptq/bench_reference.py time "$scratch/layer.safetensors" --rounds 1)"
swift_seconds="$(sed -n 's/^swift_seconds=\([0-9.]*\).*/\1/p' <<<"$swift_out")"
torch_seconds="$(sed -n 's/^torch_seconds=\([0-9.]*\).*/\1/p' <<<"$torch_out")"
section="$(
  echo "### GPTQ solver, $(date -u +%Y-%m-%d)"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average at start: $(cut -d" " -f1-3 /proc/loadavg); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset (\`compress\` picks the kernels)}."
  echo "Command: \`scripts/benchmark-gptq.sh\` (4096×4096 weight, H from 2048 tokens, 4-bit group 128 symmetric)."
  echo
  grep -v '^swift_seconds=' <<<"$swift_out"
  echo
  echo "| solver | seconds | speed-up |"
  echo "|---|---|---|"
  echo "| torch CPU port of fasterquant (\`Fixtures/gptq/bench_reference.py\`, 1 round) | $torch_seconds | 1.00 |"
  awk -v s="$swift_seconds" -v t="$torch_seconds" 'BEGIN { printf "| gptqQuantize (median of '"$rounds"') | %s | %.2f |\n", s, t / s }'
  echo
  echo "torch: $(sed -n 's/^torch_seconds=[0-9.]* //p' <<<"$torch_out")"
)"
echo "$section"
if $record; then
  echo "$section" | scripts/replace-section.py docs/gptq.md benchmark
  echo "(recorded in docs/gptq.md)"
fi
