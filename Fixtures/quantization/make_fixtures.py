#!/usr/bin/env python3
"""Golden data for Tests/CompressionTests/Quant*.swift and GPTQLayout*.swift.

An independent numpy port of
  * the GPTQ reference min-max quantizer (IST-DASLab/gptq quant.py: Quantizer.find_params and
    quantize), with this project's one deliberate change: the scale is rounded to float16 BEFORE the
    zero point and the codes are computed, and the zero point is clamped to [minimum_zero, maxq];
  * AutoGPTQ's v1 `pack` (qlinear_cuda_old.QuantLinear.pack): the per-input-row codes recomputed as
    round((W + zero*scale) / scale), the qweight loop for 2/4/8 bits and the 10|1|10|1|10 loop for
    3 bits, `zeros -= 1`, and the same loops along the output dimension for qzeros.

Rounding is numpy's round-half-to-even (= torch.round); codes are round(w/s) + z, not round(w/s + z).
Every array is written as a raw little-endian .bin file; manifest.json lists dtype and shape of each.
Deterministic: run `python3 make_fixtures.py` in this folder; the output is byte-identical.
"""
import json
import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
manifest = {"arrays": {}, "cases": []}


def save(name, array):
    """Writes `array` as <name>.bin (little-endian) and records it in the manifest."""
    dtype = {np.float32: "f32", np.uint8: "u8", np.int32: "i32", np.uint16: "u16"}[array.dtype.type]
    array = np.ascontiguousarray(array)
    with open(os.path.join(HERE, name + ".bin"), "wb") as f:
        f.write(array.astype(array.dtype.newbyteorder("<")).tobytes())
    manifest["arrays"][name] = {"file": name + ".bin", "dtype": dtype, "shape": list(array.shape)}
    return name


# ---------------------------------------------------------------------------------------------
# quant.py, one group of every row at once (x: (rows, n) float32)


def find_params(x, bits, sym, minimum_zero):
    maxq = 2**bits - 1
    xmin = np.minimum(x.min(axis=1), np.float32(0))
    xmax = np.maximum(x.max(axis=1), np.float32(0))
    if sym:
        xmax = np.maximum(np.abs(xmin), xmax)
        negative = xmin < 0
        xmin[negative] = -xmax[negative]
    both_zero = (xmin == 0) & (xmax == 0)
    xmin[both_zero] = -1
    xmax[both_zero] = +1
    scale = (xmax - xmin) / np.float32(maxq)
    # The deliberate difference: the checkpoint stores F16 scales, so round the scale first.
    scale = scale.astype(np.float16).astype(np.float32)
    scale = np.clip(scale, np.float32(2.0**-24), np.float32(65504))
    if sym:
        zero = np.full_like(scale, (maxq + 1) // 2)
    else:
        zero = np.round(-xmin / scale)
    zero = np.clip(zero, max(0, minimum_zero), maxq).astype(np.float32)
    return scale.astype(np.float32), zero


def quantize(x, scale, zero, maxq):
    q = np.clip(np.round(x / scale[:, None]) + zero[:, None], 0, maxq)
    # Cross-check the division and rounding against torch (torch.round is half-to-even too).
    qt = torch.clamp(torch.round(torch.from_numpy(x) / torch.from_numpy(scale)[:, None])
                     + torch.from_numpy(zero)[:, None], 0, maxq)
    assert np.array_equal(q, qt.numpy())
    return q.astype(np.float32)


def rtn(w, bits, group_size, sym, minimum_zero):
    rows, cols = w.shape
    gs = cols if group_size is None else group_size
    groups = (cols + gs - 1) // gs
    maxq = 2**bits - 1
    codes = np.zeros((rows, cols), np.float32)
    scales = np.zeros((groups, rows), np.float32)
    zeros = np.zeros((groups, rows), np.float32)
    for g in range(groups):
        x = w[:, g * gs:(g + 1) * gs]
        s, z = find_params(x.copy(), bits, sym, minimum_zero)
        codes[:, g * gs:(g + 1) * gs] = quantize(x, s, z, maxq)
        scales[g], zeros[g] = s, z
    g_idx = np.array([c // gs for c in range(cols)], np.int32)
    dequant = np.zeros_like(w)
    for c in range(cols):
        g = g_idx[c]
        dequant[:, c] = scales[g] * (codes[:, c] - zeros[g])
    return codes, scales, zeros, g_idx, dequant


# ---------------------------------------------------------------------------------------------
# AutoGPTQ qlinear_cuda_old.QuantLinear.pack, ported loop for loop


def pack_words(values, bits, axis_len):
    """The AutoGPTQ packing loop over the first axis of `values` (uint32, (n, m)) -> (n*bits/32, m)."""
    out = np.zeros((axis_len // 32 * bits if bits == 3 else axis_len * bits // 32,
                    values.shape[1]), np.uint32)
    i = 0
    row = 0
    while row < out.shape[0]:
        if bits in [2, 4, 8]:
            for j in range(i, i + (32 // bits)):
                out[row] |= values[j] << (bits * (j - i))
            i += 32 // bits
            row += 1
        elif bits == 3:
            for j in range(i, i + 10):
                out[row] |= values[j] << (3 * (j - i))
            i += 10
            out[row] |= values[i] << 30
            row += 1
            out[row] |= (values[i] >> 2) & 1
            i += 1
            for j in range(i, i + 10):
                out[row] |= values[j] << (3 * (j - i) + 1)
            i += 10
            out[row] |= values[i] << 31
            row += 1
            out[row] |= (values[i] >> 1) & 0x3
            i += 1
            for j in range(i, i + 10):
                out[row] |= values[j] << (3 * (j - i) + 2)
            i += 10
            row += 1
    return out


def autogptq_pack(dequant, scales, zeros, g_idx, bits):
    """(W (out, in), scales (G, out), zeros (G, out), g_idx) -> qweight, qzeros, scales (F16 bits)."""
    scales16 = scales.astype(np.float16)
    scale_zeros = zeros * scales
    intweight = []
    for idx in range(dequant.shape[1]):
        g = g_idx[idx]
        col = np.round((dequant[:, idx] + scale_zeros[g]) / scales16[g].astype(np.float32))
        intweight.append(col.astype(np.int64)[:, None])
    intweight = np.concatenate(intweight, axis=1).T.copy().astype(np.uint32)  # (in, out)
    qweight = pack_words(intweight, bits, intweight.shape[0]).view(np.int32)
    z = zeros.astype(np.int64) - 1  # v1: zeros -= 1
    assert (z >= 0).all(), "v1 zero underflow: quantize asymmetric schemes with minimum_zero 1"
    z = z.astype(np.uint32).T.copy()  # pack along the output dim: loop over rows of z^T
    qzeros = pack_words(z, bits, z.shape[0]).T.copy().view(np.int32)  # (G, out*bits/32)
    return intweight.T, qweight, qzeros, scales16.view(np.uint16)


# ---------------------------------------------------------------------------------------------
# inputs


def matrix_a(rng):
    """(64, 96): gaussian rows of varied scale plus the special rows of the reference quirks."""
    w = rng.standard_normal((64, 96)).astype(np.float32)
    w *= np.exp(rng.uniform(-3, 0, size=(64, 1))).astype(np.float32)
    w[0] = 0  # all zero -> xmin, xmax = -1, +1
    w[1] = np.abs(w[1]) + np.float32(0.05)  # no negative value: sym keeps xmin = 0; asym zero 0
    w[2] = -np.abs(w[2])  # no positive value
    w[3] = np.float32(0.3)  # constant
    w[4, 32:64] = 0  # one all-zero group
    w[5, :32] = np.abs(w[5, :32])  # one non-negative group
    return w


def matrix_b(rng):
    """(96, 576): a typical weight (std 0.02) with a few outliers; 576 = 4*128 + 64."""
    w = (rng.standard_normal((96, 576)) * 0.02).astype(np.float32)
    rows = rng.integers(0, 96, size=12)
    cols = rng.integers(0, 576, size=12)
    w[rows, cols] *= 20
    return w


def matrix_ties(rng, symmetric):
    """(32, 64): entries k*h on a 4-bit grid (h a power of two per row) whose groups of 32 span
    exactly 30 steps, so the refit scale is 2h and every odd k sits on an exact .5 tie."""
    w = np.zeros((32, 64), np.float32)
    for r in range(32):
        h = np.float32(2.0 ** -(4 + r % 4))
        for g in range(2):
            a = 15 if symmetric else int(rng.integers(2, 29))
            k = rng.integers(-a, 30 - a + 1, size=32)
            k[rng.permutation(32)[:2]] = [-a, 30 - a]  # both ends present
            w[r, g * 32:(g + 1) * 32] = k.astype(np.float32) * h
    return w


# ---------------------------------------------------------------------------------------------


def add_case(name, input_name, w, bits, group_size, sym, minimum_zero, pack=True, dequant=True):
    codes, scales, zeros, g_idx, deq = rtn(w, bits, group_size, sym, minimum_zero)
    case = {"name": name, "input": input_name, "bits": bits, "group_size": group_size,
            "symmetric": sym, "minimum_zero": minimum_zero,
            "codes": save(f"{name}.codes", codes.astype(np.uint8)),
            "scales": save(f"{name}.scales", scales.astype(np.float16).view(np.uint16)),
            "zeros": save(f"{name}.zeros", zeros.astype(np.int32)),
            "g_idx": save(f"{name}.g_idx", g_idx)}
    x_over_s = w / scales[g_idx].T
    case["exact_ties"] = int((np.abs(x_over_s - np.floor(x_over_s)) == 0.5).sum())
    other = np.clip(np.round(x_over_s + zeros[g_idx].T), 0, 2**bits - 1)
    case["differences_with_round_w_over_s_plus_z"] = int((other != codes).sum())
    if case["differences_with_round_w_over_s_plus_z"]:
        case["codes_round_w_over_s_plus_z"] = save(f"{name}.codes_alt", other.astype(np.uint8))
    if dequant:
        case["dequantized"] = save(f"{name}.dequantized", deq)
    if pack:
        intweight, qweight, qzeros, scales16 = autogptq_pack(deq, scales, zeros, g_idx, bits)
        assert np.array_equal(intweight, codes), f"{name}: AutoGPTQ's recomputed codes differ"
        case["qweight"] = save(f"{name}.qweight", qweight)
        case["qzeros"] = save(f"{name}.qzeros", qzeros)
        assert np.array_equal(scales16, scales.astype(np.float16).view(np.uint16))
    manifest["cases"].append(case)


def main():
    for f in os.listdir(HERE):
        if f.endswith(".bin"):
            os.remove(os.path.join(HERE, f))
    rng = np.random.default_rng(20240611)
    a, b = matrix_a(rng), matrix_b(rng)
    ties_asym, ties_sym = matrix_ties(rng, False), matrix_ties(rng, True)
    save("a.weight", a)
    save("b.weight", b)
    save("ties_asym.weight", ties_asym)
    save("ties_sym.weight", ties_sym)
    for bits in [2, 3, 4, 8]:
        add_case(f"a_b{bits}_g32_sym", "a.weight", a, bits, 32, True, 0)
        add_case(f"a_b{bits}_g32_asym", "a.weight", a, bits, 32, False, 1)
    add_case("a_b4_row_sym", "a.weight", a, 4, None, True, 0)
    add_case("a_b4_g32_asym_min0", "a.weight", a, 4, 32, False, 0, pack=False)
    add_case("b_b4_g128_sym", "b.weight", b, 4, 128, True, 0, dequant=False)
    add_case("b_b4_g128_asym", "b.weight", b, 4, 128, False, 1, dequant=False)
    add_case("b_b3_g128_asym", "b.weight", b, 3, 128, False, 1, dequant=False)
    add_case("b_b2_g128_sym", "b.weight", b, 2, 128, True, 0, dequant=False)
    add_case("b_b8_row_asym", "b.weight", b, 8, None, False, 1, dequant=False)
    add_case("ties_b4_g32_asym", "ties_asym.weight", ties_asym, 4, 32, False, 1)
    add_case("ties_b4_g32_sym", "ties_sym.weight", ties_sym, 4, 32, True, 0)
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    for case in manifest["cases"]:
        print(case["name"], "ties", case["exact_ties"],
              "diff vs round(w/s+z)", case["differences_with_round_w_over_s_plus_z"])


if __name__ == "__main__":
    main()
