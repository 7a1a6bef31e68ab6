#!/usr/bin/env bash
# The pruning solvers on the 4096×4096 layer of the GPTQ benchmark (H from 2048 synthetic tokens),
# each SparseGPT solve next to the GPTQ solve of the same W and H in the same round, plus Wanda and
# the sparse-regularized solver's time per iteration. Prints a Markdown section; with --record it
# replaces the `prune-solver` section of docs/benchmarks.md.
#   scripts/benchmark-prune.sh [--record] [--rounds N]
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
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
python3 Fixtures/gptq/bench_reference.py write "$scratch/layer.safetensors"
out="$("$compress" benchmark-prune "$scratch/layer.safetensors" --rounds "$rounds")"
section="$(
  echo "### Pruning solvers, $(date -u +%Y-%m-%d)"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average at start: $(cut -d" " -f1-3 /proc/loadavg)."
  echo "Command: \`scripts/benchmark-prune.sh --rounds $rounds\` (the GPTQ benchmark's 4096×4096 weight and H; GPTQ 4-bit group 128 symmetric in the same rounds)."
  echo
  echo "$out"
)"
echo "$section"
if $record; then
  echo "$section" | scripts/replace-section.py docs/benchmarks.md prune-solver
  echo "(recorded in docs/benchmarks.md)"
fi
