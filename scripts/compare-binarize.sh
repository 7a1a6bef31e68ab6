#!/usr/bin/env bash
# Binarization of the block linears, one ingredient at a time, next to 2-bit GPTQ: plain signs, the
# low-rank residual (plain SVD without data, whitened with it), error feedback, salient weights,
# all together, and BiPFT's single scale per matrix. Prints a Markdown table (docs/binarize.md).
#
#   scripts/compare-binarize.sh minilm    all-MiniLM-L6-v2: calibration 256 lines of four comedies
#                                         (seq-len 128); scored by the mean cosine of sentence
#                                         embeddings to the original's on 200 sonnet lines and on
#                                         200 Hamlet lines (both held out)
#   scripts/compare-binarize.sh smollm2   SmolLM2-135M: calibration SAMPLES × SEQ_LEN token ids of
#                                         six comedies (seed SEED); perplexity on Julius Caesar
#
# Settings: SAMPLES (32), SEQ_LEN (512), SEED (0), SALIENT (0.03), RANK (8), COMPRESS (the binary:
# .build/release/compress), MAX_WINDOWS (all of the text), ORIGINAL_PERPLEXITY (the original's,
# when known: skips its evaluation), SCRATCH (a fresh temporary folder).
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:?usage: scripts/compare-binarize.sh minilm|smollm2}"
SAMPLES="${SAMPLES:-32}"; SEQ_LEN="${SEQ_LEN:-512}"; SEED="${SEED:-0}"; SALIENT="${SALIENT:-0.03}"; RANK="${RANK:-8}"
SCRATCH="${SCRATCH:-$(mktemp -d)}"
texts=.cache/text/shakespeare
compress="${COMPRESS:-.build/release/compress}"
[ -f .cache/models/SmolLM2-135M-Instruct.Q4_1.gguf ] && [ -d "$texts" ] || scripts/fetch-models.sh
[ -n "${COMPRESS:-}" ] || swift build -c release --product compress >/dev/null

case "$which" in
  minilm)
    model=.cache/models/all-MiniLM-L6-v2
    python3 - "$texts" "$SCRATCH" <<'PY'
import json, sys
texts, scratch = sys.argv[1:]
def lines(play):
    return [l.strip() for l in open(f"{texts}/{play}_gut.txt", encoding="utf-8").read().split("\n") if len(l.strip()) > 25]
comedies = sum((lines(p) for p in ["tempest", "twelfth_night", "midsummer_nights_dream", "as_you_like_it"]), [])
step = len(comedies) // 256
with open(f"{scratch}/calibration.jsonl", "w") as f:
    f.write("\n".join(json.dumps({"text": comedies[i]}) for i in range(0, len(comedies), step)[:256]))
open(f"{scratch}/sonnets.txt", "w").write("\n".join(lines("sonnets")[100:300]))
open(f"{scratch}/hamlet.txt", "w").write("\n".join(lines("hamlet")[500:700]))
PY
    data=(--calibration "$SCRATCH/calibration.jsonl" --samples 256 --seq-len 128)
    header="| configuration | bits per weight | model.safetensors MB | mean cosine (sonnets) | mean cosine (Hamlet) | compress s |"
    score() {
      for held in sonnets hamlet; do
        "$compress" eval "$1" --data "$SCRATCH/$held.txt" --reference "$model" --json |
          python3 -c 'import json, sys; print("%.3f" % json.load(sys.stdin)["mean_cosine"])'
      done | paste -sd'|' | sed 's/|/ | /'
    }
    original="| original | 32 | $(python3 -c "import os; print('%.1f' % (os.path.getsize('$model/model.safetensors') / 1e6))") | 1 | 1 | |"
    ;;
  smollm2)
    model=.cache/models/SmolLM2-135M-Instruct
    [ -f "$model/model.safetensors" ] || "$compress" import "$model.Q4_1.gguf" -o "$model" >/dev/null
    python3 Fixtures/models/make_calibration.py "$model" "$texts" "$SCRATCH/calibration.safetensors" \
      --samples "$SAMPLES" --seq-len "$SEQ_LEN" --seed "$SEED" >/dev/null
    data=(--calibration "$SCRATCH/calibration.safetensors")
    header="| configuration | bits per weight | model.safetensors MB | perplexity | compress s |"
    score() {
      "$compress" eval "$1" --data "$texts/julius_caesar_gut.txt" --context 512 ${MAX_WINDOWS:+--max-windows "$MAX_WINDOWS"} --json |
        python3 -c 'import json, sys; print("%.3f" % json.load(sys.stdin)["value"])'
    }
    original="| original | 32 | $(python3 -c "import os; print('%.1f' % (os.path.getsize('$model/model.safetensors') / 1e6))") | ${ORIGINAL_PERPLEXITY:-$(score "$model")} | |"
    ;;
  *) echo "usage: scripts/compare-binarize.sh minilm|smollm2" >&2; exit 2 ;;
esac

# The compressed block linears' bits per weight (every stored part: signs, scales, residual
# factors, salient weights; GPTQ's codes, scales and zeros) and the weights file's size in MB.
figures() {
  python3 - "$1" <<'PY'
import json, os, sys
report = json.load(open(sys.argv[1] + ".report.json"))
tensors = [t for t in report["tensors"] if t["layers"]]
bits = sum(t["bytes_after"] * 8 for t in tensors) / sum(t["shape"][0] * t["shape"][1] for t in tensors)
print("%.2f %.1f" % (bits, os.path.getsize(os.path.join(sys.argv[1], "model.safetensors")) / 1e6))
PY
}
run() {  # run LABEL DATA(yes|no) PASS: compresses, prints a table row
  local label="$1" calibrated="$2" pass="$3"
  local out="$SCRATCH/$(echo "$label" | tr -c 'a-zA-Z0-9.\n' '-')"
  local options=(); [ "$calibrated" = yes ] && options=("${data[@]}")
  local start=$SECONDS
  "$compress" "$model" --pass "$pass" -o "$out" "${options[@]}" --quiet
  local seconds=$((SECONDS - start))
  read -r bits size < <(figures "$out")
  echo "| $label | $bits | $size | $(score "$out") | $seconds |"
  rm -rf "$out" "$out.report.json"
}

echo "$which: binarized block linears; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%d)"
echo
echo "$header"
echo "|$(printf -- '---|%.0s' $(seq $(($(tr -dc '|' <<<"$header" | wc -c) - 1))))"
echo "$original"
run "plain (no data)" no "binarize:residual-rank=0"
run "plain, scale=matrix (no data)" no "binarize:residual-rank=0,scale=matrix"
run "+ residual rank $RANK, SVD (no data)" no "binarize:residual-rank=$RANK"
run "+ residual rank $RANK, whitened" yes "binarize:residual-rank=$RANK"
run "+ feedback" yes "binarize:residual-rank=0,feedback=true"
run "+ salient $SALIENT" yes "binarize:residual-rank=0,salient=$SALIENT"
run "feedback + residual $RANK" yes "binarize:residual-rank=$RANK,feedback=true"
run "feedback + residual $RANK + salient $SALIENT" yes "binarize:residual-rank=$RANK,feedback=true,salient=$SALIENT"
run "gptq 2-bit g128" yes "gptq:bits=2,group-size=128"
run "gptq 2-bit per row" yes "gptq:bits=2,group-size=-1"
