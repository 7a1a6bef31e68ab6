#!/usr/bin/env python3
"""The benchmark layer for scripts/benchmark-gptq.sh, and the timing of the torch reference port.

  bench_reference.py write PATH [--rows 4096 --columns 4096 --tokens 2048]
      writes F32 `weight` (rows, columns) and `hessian` (columns, columns) to a safetensors file:
      W ~ N(0, 0.02²); H = 2/n XᵀX from n synthetic tokens with the structure of make_fixtures.py
      (8 latent factors, large channels, one dead channel). Seeded: the same file every time.
  bench_reference.py time PATH [--rounds 1 --bits 4 --group 128]
      times gptq_reference.fasterquant (torch CPU float32, torch's default thread count) on it
      and prints `torch_seconds=…` (the median) and the reference's loss.
"""
import argparse
import time

import numpy as np
import torch
from safetensors.numpy import load_file, save_file

from gptq_reference import fasterquant


def write(path, rows, columns, tokens):
    rng = np.random.default_rng(4096)
    w = (0.02 * rng.standard_normal((rows, columns), dtype=np.float32))
    mixing = rng.standard_normal((8, columns), dtype=np.float32)
    z = rng.standard_normal((tokens, 8), dtype=np.float32)
    x = 0.5 * rng.standard_normal((tokens, columns), dtype=np.float32) + 0.3 * z @ mixing
    x[:, 3] *= 8
    x[:, ::17] *= 8
    x[:, 5] = 0
    h = (2.0 / tokens) * (x.T.astype(np.float64) @ x.astype(np.float64))
    h = ((h + h.T) / 2).astype(np.float32)
    save_file({"weight": w, "hessian": h}, path)


def measure(path, rounds, bits, group):
    tensors = load_file(path)
    w = torch.from_numpy(tensors["weight"])
    h = torch.from_numpy(tensors["hessian"])
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        out = fasterquant(w, h, bits, True, groupsize=group)
        times.append(time.perf_counter() - start)
    times.sort()
    print(f"torch_seconds={times[len(times) // 2]:.4f} threads={torch.get_num_threads()} "
          f"loss={out['loss']:.6g}")


parser = argparse.ArgumentParser()
parser.add_argument("action", choices=["write", "time"])
parser.add_argument("path")
parser.add_argument("--rows", type=int, default=4096)
parser.add_argument("--columns", type=int, default=4096)
parser.add_argument("--tokens", type=int, default=2048)
parser.add_argument("--rounds", type=int, default=1)
parser.add_argument("--bits", type=int, default=4)
parser.add_argument("--group", type=int, default=128)
args = parser.parse_args()
if args.action == "write":
    write(args.path, args.rows, args.columns, args.tokens)
else:
    measure(args.path, args.rounds, args.bits, args.group)
