#!/usr/bin/env python3
"""Golden data for the TensorCore tests, written deterministically from torch and numpy.

Run from the repository root:  python3 Fixtures/tensorcore/make_fixtures.py
Every output is a raw little-endian binary table (documented below) or a small JSON file; running
the script twice gives byte-identical files.

Float conversions (torch, CPU):
  decode_f16.bin, decode_bf16.bin   u32[65536]  float32 bits of every 16-bit pattern, in order
  decode_f8e4m3.bin, decode_f8e5m2.bin  u32[256] float32 bits of every 8-bit pattern, in order
  decode_f64_inputs.bin  u64[N]  float64 bit patterns;  decode_f64.bin  u32[N]  float32 bits
  encode_mantissas.bin   u32[M]  float32 mantissa fields; the encode inputs are, in this order,
                         for sign in (0, 1), for exponent in 0...255, for mantissa in the table:
                         bits = sign << 31 | exponent << 23 | mantissa     (N = 2 * 256 * M)
  encode_f16.bin, encode_bf16.bin       u16[N]  torch's `.to(dtype)` of each input
  encode_f8e4m3.bin, encode_f8e5m2.bin  u8[N]
Linear algebra (numpy, float64 on float32-representable inputs):
  linalg.json  {name: {"shape": [...], "data": [...]}} matrices for matmul, cholesky, svd, eigh
"""
import json
import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, array):
    data = np.ascontiguousarray(array)
    assert data.dtype.byteorder in ("<", "=", "|")
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data.tobytes())


def decode_tables():
    all16 = np.arange(65536, dtype=np.uint16).view(np.int16)
    for name, dtype in [("f16", torch.float16), ("bf16", torch.bfloat16)]:
        values = torch.from_numpy(all16.copy()).view(dtype).to(torch.float32)
        write(f"decode_{name}.bin", values.numpy().view(np.uint32).astype("<u4"))
    all8 = np.arange(256, dtype=np.uint8)
    for name, dtype in [("f8e4m3", torch.float8_e4m3fn), ("f8e5m2", torch.float8_e5m2)]:
        values = torch.from_numpy(all8.copy()).view(dtype).to(torch.float32)
        write(f"decode_{name}.bin", values.numpy().view(np.uint32).astype("<u4"))


def encode_mantissas():
    """Mantissa fields that put a rounding boundary of every target format under test."""
    patterns = [0, 1, 0x7FFFFF, 0x400000, 0x7FFFFE]
    for j in range(23):
        tie = 1 << j
        ones_above = (0x7FFFFF >> (j + 1)) << (j + 1)
        patterns += [tie, tie | (tie << 1), tie - 1, tie + 1]
        patterns += [ones_above | tie, ones_above | (tie - 1), ones_above | (tie + 1)]
    for kept_bits in (2, 3, 7, 10):  # e5m2, e4m3, bf16, f16
        shift = 23 - kept_bits
        for kept in sorted({0, 1, 2, 5, 6, (1 << kept_bits) - 2, (1 << kept_bits) - 1}):
            if kept >= 1 << kept_bits:
                continue
            half = 1 << (shift - 1)
            for low in (0, half - 1, half, half + 1, (1 << shift) - 1):
                patterns.append((kept << shift) | low)
    seen, unique = set(), []
    for p in patterns:
        p &= 0x7FFFFF
        if p not in seen:
            seen.add(p)
            unique.append(p)
    rng = np.random.default_rng(20240601)
    while len(unique) < 384:
        p = int(rng.integers(0, 1 << 23))
        if p not in seen:
            seen.add(p)
            unique.append(p)
    return np.array(unique, dtype=np.uint32)


def encode_tables():
    mantissas = encode_mantissas()
    write("encode_mantissas.bin", mantissas.astype("<u4"))
    sign = np.arange(2, dtype=np.uint32)[:, None, None] << 31
    exponent = np.arange(256, dtype=np.uint32)[None, :, None] << 23
    bits = (sign | exponent | mantissas[None, None, :]).reshape(-1)
    inputs = torch.from_numpy(bits.view(np.float32).copy())
    for name, dtype in [("f16", torch.float16), ("bf16", torch.bfloat16)]:
        out = inputs.to(dtype).view(torch.int16).numpy().view(np.uint16)
        write(f"encode_{name}.bin", out.astype("<u2"))
    for name, dtype in [("f8e4m3", torch.float8_e4m3fn), ("f8e5m2", torch.float8_e5m2)]:
        out = inputs.to(dtype).view(torch.uint8).numpy()
        write(f"encode_{name}.bin", out)


def decode_f64_table():
    """float64 -> float32: every exponent near float32's range, ties at float32's last bit, specials."""
    patterns = []
    low_mantissas = [0, 1, 1 << 28, (1 << 28) - 1, (1 << 28) + 1, (3 << 28), 0xFFFFFFFFFFFFF,
                     0x8000000000000, (0xFFFFFF << 29) | (1 << 28)]
    for exponent in list(range(1023 - 180, 1023 + 132)) + [0, 1, 2046, 2047]:
        for m in low_mantissas:
            patterns.append((exponent << 52) | m)
    rng = np.random.default_rng(7)
    patterns += [int(v) for v in rng.integers(0, 1 << 63, size=512, dtype=np.uint64)]
    bits = np.array(patterns, dtype=np.uint64)
    bits = np.concatenate([bits, bits | np.uint64(1 << 63)])
    values = torch.from_numpy(bits.view(np.float64).copy()).to(torch.float32)
    write("decode_f64_inputs.bin", bits.astype("<u8"))
    write("decode_f64.bin", values.numpy().view(np.uint32).astype("<u4"))


def matrix(rng, rows, cols):
    return rng.standard_normal((rows, cols)).astype(np.float32)


def entry(array):
    array = np.asarray(array)
    return {"shape": list(array.shape), "data": [float(v) for v in array.reshape(-1)]}


def linalg_golden():
    rng = np.random.default_rng(1234)
    a = matrix(rng, 5, 7)
    b = matrix(rng, 7, 3)
    x = matrix(rng, 9, 6)
    spd = (x.astype(np.float64).T @ x.astype(np.float64) + 0.5 * np.eye(6)).astype(np.float32)
    tall = matrix(rng, 8, 5)
    wide = matrix(rng, 4, 6)
    golden = {
        "matmul_a": entry(a), "matmul_b": entry(b),
        "matmul_c": entry(a.astype(np.float64) @ b.astype(np.float64)),
        "spd": entry(spd), "cholesky_lower": entry(np.linalg.cholesky(spd.astype(np.float64))),
        "spd_inverse": entry(np.linalg.inv(spd.astype(np.float64))),
        "eigen_values": entry(np.linalg.eigvalsh(spd.astype(np.float64))),
    }
    for name, m in [("tall", tall), ("wide", wide)]:
        u, s, vt = np.linalg.svd(m.astype(np.float64), full_matrices=False)
        golden[f"svd_{name}"] = entry(m)
        golden[f"svd_{name}_u"] = entry(u)
        golden[f"svd_{name}_s"] = entry(s)
        golden[f"svd_{name}_vt"] = entry(vt)
    with open(os.path.join(HERE, "linalg.json"), "w") as f:
        json.dump(golden, f, indent=None, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    decode_tables()
    encode_tables()
    decode_f64_table()
    linalg_golden()
