#!/usr/bin/env python3
"""PyTorch/transformers forward throughput on the same shapes as `compress benchmark-forward`.

Usage: bench_torch.py MODEL_FOLDER BATCH LENGTH ROUNDS   (CPU, float32, torch threads = cores)
"""
import os
import statistics
import sys
import time

import torch
from transformers import AutoConfig, AutoModel, AutoModelForCausalLM


def main() -> None:
    folder, batch, length, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(os.cpu_count() or 1)
    config = AutoConfig.from_pretrained(folder)
    loader = AutoModelForCausalLM if config.model_type in ("llama", "gpt2") else AutoModel
    model = loader.from_pretrained(folder, torch_dtype=torch.float32).eval()
    generator = torch.Generator().manual_seed(0)
    tokens = torch.randint(0, config.vocab_size, (batch, length), generator=generator)
    with torch.no_grad():
        model(tokens)
        seconds = []
        for _ in range(rounds):
            start = time.perf_counter()
            model(tokens)
            seconds.append(time.perf_counter() - start)
    median = statistics.median(seconds)
    print(f"{batch * length / median:.1f} tokens/s (median of {rounds} passes of {batch}x{length} tokens, "
          f"{median:.3f} s each; torch {torch.__version__}, {torch.get_num_threads()} threads)")


if __name__ == "__main__":
    main()
