#!/usr/bin/env bash
# Low-rank factorization of SmolLM2-135M: plain SVD, whitened and sequential at 20% and 40% fewer
# linear parameters (keep 0.8 and 0.6), sensitivity allocation, and low-rank + 4-bit GPTQ next to
# plain 3-bit GPTQ at about the same file size. Calibration: SAMPLES × SEQ_LEN token ids from six
# comedies (Fixtures/models/make_calibration.py, seed SEED); every result is scored by
# `compress eval` on Julius Caesar (held out). Prints a Markdown table (docs/low-rank.md).
#
# Settings: SAMPLES (64), SEQ_LEN (512), SEED (0), KEEPS ("0.8 0.6"), COMPRESS (the binary:
# .build/release/compress), MAX_WINDOWS (all of the text), QUANTIZED (true: the GPTQ rows),
# ORIGINAL_PERPLEXITY (the original's, when known: skips its evaluation),
# SCRATCH (a fresh temporary folder).
set -euo pipefail
cd "$(dirname "$0")/.."
SAMPLES="${SAMPLES:-64}"; SEQ_LEN="${SEQ_LEN:-512}"; SEED="${SEED:-0}"; KEEPS="${KEEPS:-0.8 0.6}"
QUANTIZED="${QUANTIZED:-true}"
SCRATCH="${SCRATCH:-$(mktemp -d)}"
model=.cache/models/SmolLM2-135M-Instruct
texts=.cache/text/shakespeare
compress="${COMPRESS:-.build/release/compress}"
[ -f .cache/models/SmolLM2-135M-Instruct.Q4_1.gguf ] && [ -d "$texts" ] || scripts/fetch-models.sh
[ -n "${COMPRESS:-}" ] || swift build -c release --product compress >/dev/null
[ -f "$model/model.safetensors" ] || "$compress" import "$model.Q4_1.gguf" -o "$model" >/dev/null
calibration="$SCRATCH/calibration.safetensors"
python3 Fixtures/models/make_calibration.py "$model" "$texts" "$calibration" --samples "$SAMPLES" \
  --seq-len "$SEQ_LEN" --seed "$SEED" >/dev/null

perplexity() { "$compress" eval "$1" --data "$texts/julius_caesar_gut.txt" --context 512 ${MAX_WINDOWS:+--max-windows "$MAX_WINDOWS"} --json |
  python3 -c 'import json, sys; print("%.3f" % json.load(sys.stdin)["value"])'; }
# The linears' parameters kept (factored r·(in+out), dense in·out) over their original count, and
# the weights file's size in MB.
figures() {
  python3 - "$1" <<'PY'
import json, os, sys
report = json.load(open(sys.argv[1] + ".report.json"))
kept = total = 0
for t in report["tensors"]:
    out, inputs = t["shape"]
    lr = [l for l in t.get("layers", []) if l["pass"] == "low-rank"]
    total += out * inputs
    if lr and lr[0]["figures"]["factored"] == 1:
        kept += lr[0]["figures"]["rank"] * (out + inputs)
    else:
        kept += out * inputs
print("%.3f %.1f" % (kept / total, os.path.getsize(os.path.join(sys.argv[1], "model.safetensors")) / 1e6))
PY
}
run() {  # run LABEL PASS... : compresses, prints a table row
  local label="$1"; shift
  local out="$SCRATCH/$(echo "$label" | tr -c 'a-zA-Z0-9.\n' '-')"
  local passes=(); for p in "$@"; do passes+=(--pass "$p"); done
  local data=(--calibration "$calibration"); [[ "$label" == svd* ]] && data=()  # the plain SVD takes no data
  local start=$SECONDS
  "$compress" "$model" "${passes[@]}" -o "$out" "${data[@]}" --quiet
  local seconds=$((SECONDS - start))
  read -r kept size < <(figures "$out")
  echo "| $label | $kept | $size | $(perplexity "$out") | $seconds |"
  rm -rf "$out"
}

echo "SmolLM2-135M-Instruct, calibration $SAMPLES × $SEQ_LEN (seed $SEED), perplexity on Julius Caesar (ctx 512)"
echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%d)"
echo
echo "| configuration | linear parameters kept | model.safetensors MB | perplexity | compress s |"
echo "|---|---|---|---|---|"
echo "| original | 1.000 | $(python3 -c "import os; print('%.1f' % (os.path.getsize('$model/model.safetensors') / 1e6))") | ${ORIGINAL_PERPLEXITY:-$(perplexity "$model")} | |"
for keep in $KEEPS; do
  run "svd keep=$keep" "low-rank:method=svd,keep=$keep"
  run "whitened keep=$keep" "low-rank:keep=$keep"
  run "sequential keep=$keep" "low-rank:sequential=true,keep=$keep"
  run "whitened sensitivity keep=$keep" "low-rank:allocation=sensitivity,keep=$keep"
done
if [ "$QUANTIZED" = true ]; then
  run "gptq 3-bit g128" "gptq:bits=3,group-size=128"
  run "whitened keep=0.75 + gptq 4-bit g128" "low-rank:keep=0.75,multiple=32" "gptq:bits=4,group-size=128"
  run "sequential keep=0.75 + gptq 4-bit g128" "low-rank:sequential=true,keep=0.75,multiple=32" "gptq:bits=4,group-size=128"
fi
