#!/usr/bin/env bash
# Low-rank: (1) the factorizations of the GPTQ benchmark's 4096×4096 layer at half the parameters,
# each next to the GPTQ solve of the same W and H in the same round; (2) the engine's forward
# throughput on SmolLM2-135M dense and with every block linear factored (keep 0.8 and 0.5, plain
# SVD: the shapes, hence the speed, are those of every method), the three models in one run.
# Prints a Markdown section; with --record it replaces the `low-rank` section of docs/benchmarks.md.
#   scripts/benchmark-low-rank.sh [--record] [--rounds N]
set -euo pipefail
cd "$(dirname "$0")/.."
record=false
rounds=3
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
model=.cache/models/SmolLM2-135M-Instruct
[ -f .cache/models/SmolLM2-135M-Instruct.Q4_1.gguf ] || scripts/fetch-models.sh
[ -f "$model/model.safetensors" ] || "$compress" import "$model.Q4_1.gguf" -o "$model" >/dev/null
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
python3 Fixtures/gptq/bench_reference.py write "$scratch/layer.safetensors"
solver="$("$compress" benchmark-low-rank "$scratch/layer.safetensors" --rounds "$rounds")"
for keep in 0.8 0.5; do
  "$compress" "$model" --pass "low-rank:method=svd,keep=$keep" -o "$scratch/keep-$keep" --quiet
done
forward() { "$compress" benchmark-forward "$1" --batch 4 --length 128 --rounds 5; }
section="$(
  echo "### Low-rank, $(date -u +%Y-%m-%d)"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average at start: $(cut -d" " -f1-3 /proc/loadavg)."
  echo "Command: \`scripts/benchmark-low-rank.sh --rounds $rounds\`."
  echo
  echo "$solver"
  echo
  echo "SmolLM2-135M-Instruct forward (\`compress benchmark-forward MODEL --batch 4 --length 128 --rounds 5\`, median), the three models in this order, in one run:"
  echo
  echo "| model | block linear parameters | throughput |"
  echo "|---|---|---|"
  echo "| dense | 1.00 | $(forward "$model") |"
  echo "| factored, keep 0.8 | 0.80 | $(forward "$scratch/keep-0.8") |"
  echo "| factored, keep 0.5 | 0.50 | $(forward "$scratch/keep-0.5") |"
)"
echo "$section"
if $record; then
  echo "$section" | scripts/replace-section.py docs/benchmarks.md low-rank
  echo "(recorded in docs/benchmarks.md)"
fi
