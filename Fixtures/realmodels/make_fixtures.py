#!/usr/bin/env python3
"""Golden data for the real-model tier of the engine: SmolLM2-135M-Instruct as PyTorch/transformers
runs it, on the same tokens and windows the Swift engine uses.

Needs the imported folder (`compress import .cache/models/SmolLM2-135M-Instruct.Q4_1.gguf -o DIR`)
and transformers + torch (CPU). Writes `smollm2.json` beside this script: the token ids of a fixed
prompt and of a held-out text (tokenized by the `tokenizers` library with the folder's
tokenizer.json), the logits of the prompt's last 4 positions (first 64 vocabulary entries and the
full-row log-sum-exp), and the perplexity of 8 non-overlapping 256-token windows of the text.

Usage: make_fixtures.py IMPORTED_SMOLLM2_FOLDER SHAKESPEARE_TEXT_FOLDER
"""
import json
import math
import os
import sys

import torch
from tokenizers import Tokenizer
from transformers import LlamaForCausalLM

PROMPT = "The quality of mercy is not strained; it droppeth as the gentle rain from heaven.\n12 + 30 = 42"
TEXT = "julius_caesar_gut.txt"  # held out: not one of the calibration comedies
CONTEXT, WINDOWS = 256, 8


def main() -> None:
    folder, texts = sys.argv[1], sys.argv[2]
    torch.manual_seed(0)
    tokenizer = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    model = LlamaForCausalLM.from_pretrained(folder, torch_dtype=torch.float32).eval()
    prompt_ids = tokenizer.encode(PROMPT, add_special_tokens=False).ids
    with open(os.path.join(texts, TEXT), encoding="utf-8") as handle:
        text = handle.read()
    text_ids = tokenizer.encode(text, add_special_tokens=False).ids
    with torch.no_grad():
        logits = model(torch.tensor([prompt_ids])).logits[0].double()  # (T, V)
        total, count = 0.0, 0
        for w in range(WINDOWS):
            window = torch.tensor([text_ids[w * CONTEXT:(w + 1) * CONTEXT]])
            out = model(window).logits[0, :-1].double()
            targets = window[0, 1:]
            total -= torch.log_softmax(out, dim=-1).gather(1, targets[:, None]).sum().item()
            count += CONTEXT - 1
    result = {
        "prompt": PROMPT,
        "prompt_ids": prompt_ids,
        "text": TEXT,
        "text_token_count": len(text_ids),
        "text_ids_head": text_ids[:CONTEXT * WINDOWS],
        "context": CONTEXT,
        "windows": WINDOWS,
        "perplexity": math.exp(total / count),
        "logits_last4_first64": logits[-4:, :64].tolist(),
        "logsumexp_last4": torch.logsumexp(logits[-4:], dim=-1).tolist(),
        "torch": torch.__version__,
    }
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "smollm2.json"), "w") as handle:
        json.dump(result, handle, separators=(",", ":"))
        handle.write("\n")
    print(f"perplexity {result['perplexity']:.6f} over {count} predictions")


if __name__ == "__main__":
    main()
