#!/usr/bin/env python3
"""Calibration token ids shared by this toolkit and the Python tools it is compared with.

Tokenizes six Shakespeare comedies (concatenated, as one text) with the model folder's own
tokenizer.json (the `tokenizers` library) and cuts SAMPLES windows of SEQ_LEN tokens at seeded
random offsets (numpy PCG64). Writes a safetensors file holding `input_ids` I64 [SAMPLES, SEQ_LEN]:
`compress --calibration FILE.safetensors` uses it as is, and so do the reference scripts.

Usage: make_calibration.py MODEL_FOLDER SHAKESPEARE_FOLDER OUT.safetensors [--samples 128]
       [--seq-len 512] [--seed 0] [--special]   (--special: wrap each window in the tokenizer's
       special tokens, e.g. BERT's [CLS] ... [SEP], inside SEQ_LEN)
"""
import argparse
import os

import numpy as np
from safetensors.numpy import save_file
from tokenizers import Tokenizer

COMEDIES = ["tempest", "twelfth_night", "midsummer_nights_dream", "merchant_of_venice",
            "as_you_like_it", "much_ado_about_nothing"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("texts")
    parser.add_argument("out")
    parser.add_argument("--samples", type=int, default=128)
    parser.add_argument("--seq-len", type=int, default=512)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--special", action="store_true")
    args = parser.parse_args()
    tokenizer = Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
    tokenizer.no_padding()  # MiniLM's tokenizer.json pads and truncates to 128
    tokenizer.no_truncation()
    text = "\n".join(open(os.path.join(args.texts, f"{name}_gut.txt"), encoding="utf-8").read()
                     for name in COMEDIES)
    ids = tokenizer.encode(text, add_special_tokens=False).ids
    prefix, suffix = [], []
    if args.special:
        plain = tokenizer.encode("hello", add_special_tokens=False).ids
        wrapped = tokenizer.encode("hello", add_special_tokens=True).ids
        start = next(i for i in range(len(wrapped)) if wrapped[i:i + len(plain)] == plain)
        prefix, suffix = wrapped[:start], wrapped[start + len(plain):]
    inner = args.seq_len - len(prefix) - len(suffix)
    rng = np.random.default_rng(args.seed)
    starts = rng.integers(0, len(ids) - inner, size=args.samples)
    rows = [prefix + ids[s:s + inner] + suffix for s in starts]
    save_file({"input_ids": np.array(rows, dtype=np.int64)}, args.out)
    print(f"{args.samples} × {args.seq_len} tokens from {len(ids)} → {args.out}")


if __name__ == "__main__":
    main()
