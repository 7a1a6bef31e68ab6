#!/usr/bin/env python3
"""Golden data for Tests/CompressionTests/GPTQGoldenTests.swift.

Runs gptq_reference.py (a torch float32 port of the authors' fasterquant, with this project's
changes marked there) on two fixed layers:
  * "l256": W (64, 256) and H (256, 256) from 1024 synthetic tokens;
  * "l576": W (64, 576) and H (576, 576) from 2048 synthetic tokens (group 128 leaves a last group
    of 64 columns).
Activations have realistic structure: 8 latent factors mixed into every channel (correlated
columns), channel 3 and every 17th channel ×8 (large-magnitude channels), and channel 5 always 0
(a dead column). H = 2/n XᵀX is computed in float64, and stored as float32 (exactly symmetric) as
its packed lower triangle (row i holds columns 0...i) to keep the files small.

Every array is a raw little-endian .bin file; manifest.json lists dtype and shape of each and the
cases. Deterministic (fixed seeds, one torch thread): `python3 make_fixtures.py` in this folder
rewrites byte-identical files.
"""
import json
import os

import numpy as np
import torch

from gptq_reference import fasterquant

torch.set_num_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
manifest = {"arrays": {}, "cases": []}


def save(name, array):
    dtype = {np.float32: "f32", np.uint8: "u8", np.int32: "i32"}[array.dtype.type]
    array = np.ascontiguousarray(array)
    with open(os.path.join(HERE, name + ".bin"), "wb") as f:
        f.write(array.astype(array.dtype.newbyteorder("<")).tobytes())
    manifest["arrays"][name] = {"file": name + ".bin", "dtype": dtype, "shape": list(array.shape)}
    return name


def activations(columns, tokens, seed, dead=5):
    rng = np.random.default_rng(seed)
    mixing = rng.standard_normal((8, columns))
    z = rng.standard_normal((tokens, 8))
    x = 0.5 * rng.standard_normal((tokens, columns)) + 0.3 * z @ mixing
    x[:, 3] *= 8
    x[:, ::17] *= 8
    x[:, dead] = 0
    return x


def layer(name, rows, columns, tokens, seed):
    rng = np.random.default_rng(seed)
    w = (0.02 * rng.standard_normal((rows, columns))).astype(np.float32)
    w.flat[7::997] *= 6
    x = activations(columns, tokens, seed + 1)
    h = 2.0 / tokens * (x.T @ x)
    h = ((h + h.T) / 2).astype(np.float32)
    lower = h[np.tril_indices(columns)]
    save(name + ".weight", w)
    save(name + ".hessian_lower", lower.astype(np.float32))
    return w, h


def case(name, layer_name, w, h, bits, group, sym, actorder=False, static_groups=False):
    minimum_zero = 0 if sym else 1
    out = fasterquant(torch.from_numpy(w), torch.from_numpy(h), bits, sym,
                      groupsize=-1 if group is None else group, actorder=actorder,
                      static_groups=static_groups, minimum_zero=minimum_zero)
    manifest["cases"].append({
        "name": name, "layer": layer_name, "bits": bits, "group_size": group, "symmetric": sym,
        "act_order": actorder, "static_groups": static_groups, "minimum_zero": minimum_zero,
        "codes": save(name + ".codes", out["codes"].numpy().astype(np.uint8)),
        "scales": save(name + ".scales", out["scales"].numpy().astype(np.float32)),
        "zeros": save(name + ".zeros", out["zeros"].numpy().astype(np.int32)),
        "g_idx": save(name + ".g_idx", out["g_idx"].numpy().astype(np.int32)),
        "loss": out["loss"],
    })


w256, h256 = layer("l256", 64, 256, 1024, 2024)
w576, h576 = layer("l576", 64, 576, 2048, 576)
case("b4_g128_sym", "l256", w256, h256, 4, 128, True)
case("b4_g64_asym", "l256", w256, h256, 4, 64, False)
case("b3_g128_asym", "l256", w256, h256, 3, 128, False)
case("b2_row_asym", "l256", w256, h256, 2, None, False)
case("b8_g128_asym", "l256", w256, h256, 8, 128, False)
case("b4_g128_sym_act", "l256", w256, h256, 4, 128, True, actorder=True)
case("b4_g64_sym_act_static", "l256", w256, h256, 4, 64, True, actorder=True, static_groups=True)
case("b4_g128_asym_576", "l576", w576, h576, 4, 128, False)
case("b3_g128_sym_576_act", "l576", w576, h576, 3, 128, True, actorder=True)

with open(os.path.join(HERE, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=1, sort_keys=True)
    f.write("\n")
