#!/usr/bin/env bash
# Pruning end to end on SmolLM2-135M: this toolkit's `prune` pass (magnitude, wanda, sparsegpt,
# sparse-reg) and vLLM's llm-compressor (SparseGPTModifier, WandaPruningModifier), at 50 %
# unstructured and at 2:4, on the same calibration token ids (SAMPLES × SEQ_LEN from six comedies,
# Fixtures/models/make_calibration.py), each timed with /usr/bin/time -v, then every result
# scored by `compress eval` on Julius Caesar (held out). Prints a Markdown table; writes under
# $SCRATCH (default a temporary folder). The sparsity column is the fraction of exact zeros over
# the weights of the decoder layers' linears. llm-compressor runs only when $LLMC_PYTHON names a
# Python that has it (the environment of compare-gptq.sh, plus what its import still needs):
#   python3 -m venv --system-site-packages V && V/bin/pip install --no-deps llmcompressor==0.14.0.1 \
#     compressed-tensors==0.19.0 && V/bin/pip install loguru datasets transformers==5.17.0 && \
#     V/bin/pip install --no-deps psutil pyyaml requests pydantic pillow nvidia-ml-py accelerate
#   LLMC_PYTHON=V/bin/python scripts/compare-prune.sh
# Settings: SAMPLES (128), SEQ_LEN (512), SEED (0, the calibration windows' seed), METHODS (the
# toolkit's methods, "magnitude wanda sparsegpt sparse-reg"; magnitude takes no calibration),
# OURS (true; false skips this toolkit's runs and its build, but still needs the binary for
# `eval`), MAX_WINDOWS (all of the text), COMPRESS (the binary: .build/release/compress), CONFIGS
# ("u50 2of4"), MODIFIERS (llm-compressor's, "sparsegpt wanda"), ORIGINAL (true: score the input).
set -euo pipefail
cd "$(dirname "$0")/.."
SAMPLES="${SAMPLES:-128}"; SEQ_LEN="${SEQ_LEN:-512}"; SEED="${SEED:-0}"
METHODS="${METHODS:-magnitude wanda sparsegpt sparse-reg}"; OURS="${OURS:-true}"
CONFIGS="${CONFIGS:-u50 2of4}"; MODIFIERS="${MODIFIERS:-sparsegpt wanda}"; ORIGINAL="${ORIGINAL:-true}"
SCRATCH="${SCRATCH:-$(mktemp -d)}"
model=.cache/models/SmolLM2-135M-Instruct
texts=.cache/text/shakespeare
compress="${COMPRESS:-.build/release/compress}"
[ -f .cache/models/SmolLM2-135M-Instruct.Q4_1.gguf ] && [ -d "$texts" ] || scripts/fetch-models.sh
if [ "$OURS" = true ] && [ -z "${COMPRESS:-}" ]; then swift build -c release --product compress >/dev/null; fi
[ -f "$model/model.safetensors" ] || "$compress" import "$model.Q4_1.gguf" -o "$model" >/dev/null
calibration="$SCRATCH/calibration.safetensors"
python3 Fixtures/models/make_calibration.py "$model" "$texts" "$calibration" --samples "$SAMPLES" \
  --seq-len "$SEQ_LEN" --seed "$SEED" >/dev/null
export OMP_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE  # torch spins otherwise when a core is busy

timed() {  # timed NAME COMMAND...: runs it, prints "seconds peak_MiB"
  local name="$1"; shift
  /usr/bin/time -v -o "$SCRATCH/$name.time" "$@" >"$SCRATCH/$name.log" 2>&1
  awk -F': ' '/Elapsed/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i] }
    /Maximum resident/ { m = $2 / 1024 } END { printf "%.0f %.0f\n", s, m }' "$SCRATCH/$name.time"
}
perplexity() { "$compress" eval "$1" --data "$texts/julius_caesar_gut.txt" --context 512 ${MAX_WINDOWS:+--max-windows "$MAX_WINDOWS"} --json |
  python3 -c 'import json, sys; print("%.3f" % json.load(sys.stdin)["value"])'; }
sparsity() {  # fraction of exact zeros over the 2-D model.layers.* weights in a folder's *.safetensors
  python3 - "$1" <<'EOF'
import glob, os, sys
from safetensors import safe_open
zeros = total = 0
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.safetensors"))):
    with safe_open(path, "np") as f:
        for name in f.keys():
            if name.startswith("model.layers.") and name.endswith(".weight"):
                try:
                    w = f.get_tensor(name)
                except Exception:  # a dtype numpy cannot hold (BF16) or a packed tensor
                    continue
                if w.ndim == 2:
                    zeros += int((w == 0).sum())
                    total += w.size
print("%.4f" % (zeros / total) if total else "?")
EOF
}

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $(date -u +%Y-%m-%d);" \
  "calibration $SAMPLES × $SEQ_LEN, seed $SEED"
echo
echo "| run | wall s | peak MiB | sparsity | perplexity |"
echo "|---|---|---|---|---|"
[ "$ORIGINAL" = true ] && echo "| original | | | $(sparsity "$model") | $(perplexity "$model") |"
for config in $CONFIGS; do
  if [ "$config" = u50 ]; then shape="sparsity=0.5"; llmc_shape=(--sparsity 0.5 --mask-structure 0:0)
  else shape="pattern=2:4"; llmc_shape=(--sparsity 0.5 --mask-structure 2:4); fi
  if [ "$OURS" = true ]; then
    for method in $METHODS; do
      data=(--calibration "$calibration" --samples "$SAMPLES" --seq-len "$SEQ_LEN")
      [ "$method" = magnitude ] && data=()
      out="$SCRATCH/ours-$method-$config"
      read -r s m < <(timed "ours-$method-$config" "$compress" "$model" \
        --pass "prune:method=$method,$shape" "${data[@]}" -o "$out" --quiet)
      echo "| compress prune:method=$method,$shape | $s | $m | $(sparsity "$out") | $(perplexity "$out") |"
    done
  fi
  if [ -n "${LLMC_PYTHON:-}" ]; then
    for modifier in $MODIFIERS; do
      out="$SCRATCH/llmc-$modifier-$config"
      read -r s m < <(timed "llmc-$modifier-$config" "$LLMC_PYTHON" Fixtures/models/llmcompressor_prune.py \
        --model "$model" --calibration "$calibration" --samples "$SAMPLES" --max-seq-length "$SEQ_LEN" \
        --modifier "$modifier" "${llmc_shape[@]}" --out "$out")
      label=$([ "$modifier" = sparsegpt ] && echo SparseGPTModifier || echo WandaPruningModifier)
      echo "| llm-compressor $label ${llmc_shape[*]} | $s | $m | $(sparsity "$out/dense") |" \
        "$(perplexity "$out/dense") |"
    done
  fi
done
