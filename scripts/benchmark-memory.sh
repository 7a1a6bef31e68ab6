#!/usr/bin/env bash
# Peak memory of `compress … --pass gptq --calibration` against model depth, on synthetic LLaMA
# checkpoints (hidden 1024, intermediate 2816, SmolLM2's vocabulary; 10 and 40 layers, 0.6 and
# 2.0 GiB of float32) that Fixtures/models/make_synthetic_llama.py writes under
# .cache/synthetic/. The activation budget is 4 MiB, below the 16 MiB the calibration
# activations take, so they spill to disk. Each run is timed with /usr/bin/time -v.
# Prints a Markdown section; with --record, replaces the section between the memory markers of
# docs/benchmarks.md.
#   scripts/benchmark-memory.sh [--record] [--layers "10 40"]
set -euo pipefail
cd "$(dirname "$0")/.."
record=false
layers="10 40"
while [ $# -gt 0 ]; do
  case "$1" in
    --record) record=true ;;
    --layers) layers="$2"; shift ;;
    *) echo "usage: $0 [--record] [--layers \"10 40\"]" >&2; exit 2 ;;
  esac
  shift
done
smol=.cache/models/SmolLM2-135M-Instruct
texts=.cache/text/shakespeare
[ -f "$smol/tokenizer.json" ] && [ -d "$texts" ] || scripts/fetch-models.sh
swift build -c release --product compress >/dev/null
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cat "$texts"/twelfth_night_gut.txt "$texts"/as_you_like_it_gut.txt > "$scratch/calibration.txt"
pass="gptq:bits=4,group-size=128"
options=(--calibration "$scratch/calibration.txt" --samples 32 --seq-len 128 --memory-budget 4MiB)
rows=""
for n in $layers; do
  model=".cache/synthetic/llama-$n"
  [ -f "$model/model.safetensors" ] || python3 Fixtures/models/make_synthetic_llama.py "$smol" "$model" --layers "$n" >/dev/null
  /usr/bin/time -v -o "$scratch/time" .build/release/compress "$model" --pass "$pass" "${options[@]}" \
    -o "$scratch/out" --quiet
  read -r seconds peak < <(awk -F': ' '/Elapsed/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i] }
    /Maximum resident/ { m = $2 / 1024 } END { printf "%.0f %.0f\n", s, m }' "$scratch/time")
  input=$(stat -c %s "$model/model.safetensors")
  output=$(stat -c %s "$scratch/out/model.safetensors")
  rows+="$(awk -v n="$n" -v i="$input" -v o="$output" -v s="$seconds" -v p="$peak" \
    'BEGIN { printf "| %d | %.0f | %.0f | %d | %d | %.2f |", n, i / 1048576, o / 1048576, s, p, p * 1048576 / i }')"$'\n'
  rm -rf "$scratch/out"
done
section="$(
  echo "### GPTQ memory against depth, $(date -u +%Y-%m-%d)"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average at start: $(cut -d" " -f1-3 /proc/loadavg)."
  echo "Command: \`scripts/benchmark-memory.sh\`: \`compress .cache/synthetic/llama-N --pass $pass ${options[*]/$scratch\//}\` on synthetic LLaMA checkpoints (hidden 1024, intermediate 2816, float32)."
  echo
  echo "| layers | checkpoint MiB | output MiB | wall s | peak RSS MiB | peak / checkpoint |"
  echo "|---|---|---|---|---|---|"
  printf "%s" "$rows"
)"
echo "$section"
if $record; then
  echo "$section" | scripts/replace-section.py docs/benchmarks.md memory
  echo "(recorded in docs/benchmarks.md)"
fi
