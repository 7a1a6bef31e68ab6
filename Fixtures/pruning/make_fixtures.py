#!/usr/bin/env python3
"""Golden data for the SparseGPT solver of the `prune` pass.

Runs sparsegpt_reference.py (a torch float32 port of the authors' fasterprune, without a quantizer,
with this project's changes marked there: exact per-block counts, N:M = at most N non-zeros per M,
stable tie-breaking) on the two layers of ../gptq, so that no input is stored twice:
  * "l256": W (64, 256) and H (256, 256) from 1024 synthetic tokens;
  * "l576": W (64, 576) and H (576, 576) from 2048 synthetic tokens (blocks of 128 leave a last
    block of 64 columns).
Both have a dead column (5: H[5,5] == 0), large-magnitude channels and correlated columns; see
../gptq/make_fixtures.py. The inputs are read from ../gptq/LAYER.weight.bin (float32 (64, C)) and
../gptq/LAYER.hessian_lower.bin (float32, the packed lower triangle of H: row i holds columns
0...i) and listed in this manifest's "arrays" with those relative paths.

Cases (block size 128, percdamp 0.01 in all):
  u50_layer_256   unstructured 50 %, "layer" allocation, l256
  u50_layer_576   unstructured 50 %, "layer" allocation, l576
  u50_row_256     unstructured 50 %, "row" allocation, l256
  u70_layer_576   unstructured 70 %, "layer" allocation, l576 (floor(64·i2·0.7) is not whole)
  nm2_4_256       2:4 (at most 2 non-zeros in every 4 consecutive weights of a row), l256
  nm4_8_576       4:8, l576
"layer" prunes exactly floor(R·i2·s) − floor(R·i1·s) weights of block [i1, i2) (R = 64 rows), the
smallest scores w² / U[j,j]² of the block first (ties by row-major index in the block); "row"
prunes exactly floor(i2·s) − floor(i1·s) weights of every row of the block (ties by column). Each
case writes NAME.weight (float32 (64, C): the pruned and updated weight) and NAME.mask (u8 (64, C):
1 where the solver pruned; dead column 5 is zero in the weight but masked only where selected),
and records the Losses sum Σ (w − q)² / U[j,j]² / 2 as "loss". For the unstructured cases
"sparsity" is the fraction pruned and n, m are null; for N:M, n is the number of non-zeros kept
per group of m, "sparsity" is (m − n) / m and "allocation" is null.

Every array is a raw little-endian .bin file; manifest.json lists dtype, shape and file of each
(paths relative to this folder) and the cases. Deterministic (one torch thread, no randomness):
`python3 make_fixtures.py` in this folder rewrites byte-identical files.
"""
import json
import os

import numpy as np
import torch

from sparsegpt_reference import fasterprune

torch.set_num_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
GPTQ = os.path.join(HERE, "..", "gptq")
manifest = {"arrays": {}, "cases": []}


def save(name, array):
    dtype = {np.float32: "f32", np.uint8: "u8"}[array.dtype.type]
    array = np.ascontiguousarray(array)
    with open(os.path.join(HERE, name + ".bin"), "wb") as f:
        f.write(array.astype(array.dtype.newbyteorder("<")).tobytes())
    manifest["arrays"][name] = {"file": name + ".bin", "dtype": dtype, "shape": list(array.shape)}
    return name


def load(name):
    """An array of ../gptq, read through its manifest and listed in this one by relative path."""
    with open(os.path.join(GPTQ, "manifest.json")) as f:
        entry = json.load(f)["arrays"][name]
    assert entry["dtype"] == "f32", entry
    array = np.fromfile(os.path.join(GPTQ, entry["file"]), dtype="<f4").reshape(entry["shape"])
    manifest["arrays"][name] = dict(entry, file="../gptq/" + entry["file"])
    return array


def layer(name):
    w = load(name + ".weight")
    columns = w.shape[1]
    lower = load(name + ".hessian_lower")
    assert lower.size == columns * (columns + 1) // 2
    h = np.zeros((columns, columns), dtype=np.float32)
    h[np.tril_indices(columns)] = lower
    h = np.tril(h) + np.tril(h, -1).T
    return w, h


def case(name, layer_name, w, h, sparsity=None, allocation=None, n=None, m=None):
    out = fasterprune(torch.from_numpy(w), torch.from_numpy(h),
                      sparsity if m is None else (m - n) / m,
                      n=n or 0, m=m or 0, allocation=allocation or "layer",
                      blocksize=128, percdamp=0.01)
    manifest["cases"].append({
        "name": name, "layer": layer_name,
        "sparsity": sparsity if m is None else (m - n) / m, "allocation": allocation,
        "n": n, "m": m, "blocksize": 128, "percdamp": 0.01,
        "weight": save(name + ".weight", out["W"].numpy().astype(np.float32)),
        "mask": save(name + ".mask", out["mask"].numpy().astype(np.uint8)),
        "pruned": int(out["mask"].sum().item()),
        "loss": out["loss"],
    })


w256, h256 = layer("l256")
w576, h576 = layer("l576")
case("u50_layer_256", "l256", w256, h256, sparsity=0.5, allocation="layer")
case("u50_layer_576", "l576", w576, h576, sparsity=0.5, allocation="layer")
case("u50_row_256", "l256", w256, h256, sparsity=0.5, allocation="row")
case("u70_layer_576", "l576", w576, h576, sparsity=0.7, allocation="layer")
case("nm2_4_256", "l256", w256, h256, n=2, m=4)
case("nm4_8_576", "l576", w576, h576, n=4, m=8)

with open(os.path.join(HERE, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=1, sort_keys=True)
    f.write("\n")
