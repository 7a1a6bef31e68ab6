#!/usr/bin/env python3
"""Writes the safetensors interop fixtures with the Python `safetensors` library.

Deterministic: fixed seeds, fixed metadata. Run from anywhere:
    python3 Fixtures/safetensors/make_fixtures.py
Writes, next to this script:
    all_dtypes.safetensors       every dtype, a scalar, an empty tensor, __metadata__ (torch writer)
    numpy.safetensors            numpy writer, no metadata
    all_dtypes.safetensors.zst   zstd stream of all_dtypes.safetensors (zstd CLI, level 3)
    sharded/model-0000{1,2}-of-00002.safetensors + model.safetensors.index.json
    expected.json                per file: tensor -> dtype, shape, bytes (hex), metadata
"""
import json
import os
import subprocess

import numpy as np
import torch
from safetensors.numpy import save_file as save_numpy
from safetensors.torch import save_file as save_torch

HERE = os.path.dirname(os.path.abspath(__file__))


def torch_tensors():
    g = torch.Generator().manual_seed(1234)
    base = torch.randn(2, 3, generator=g)
    return {
        "f64": base.to(torch.float64),
        "f32": base.clone(),
        "f16": base.to(torch.float16),
        "bf16": base.to(torch.bfloat16),
        "f8_e4m3": base.to(torch.float8_e4m3fn),
        "f8_e5m2": base.to(torch.float8_e5m2),
        "i64": torch.tensor([[-(2**40), 7]], dtype=torch.int64),
        "i32": torch.tensor([-5, 0, 2**30], dtype=torch.int32),
        "i16": torch.tensor([-300, 300], dtype=torch.int16),
        "i8": torch.tensor([-128, 127, 0], dtype=torch.int8),
        "u64": torch.tensor([2**40 + 3], dtype=torch.uint64),
        "u32": torch.tensor([[1, 2], [3, 2**31]], dtype=torch.uint32),
        "u16": torch.tensor([65535, 1], dtype=torch.uint16),
        "u8": torch.tensor([0, 255, 9], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
        "scalar": torch.tensor(3.5, dtype=torch.float32),
        "empty": torch.zeros(0, 4, dtype=torch.float32),
        "model.layers.0.self_attn.q_proj.weight": torch.randn(4, 4, generator=g),
    }


def describe(path):
    """dtype, shape and raw bytes of every tensor, read back with the reference reader."""
    from safetensors import safe_open

    entries = {}
    with safe_open(path, framework="pt") as f:
        metadata = f.metadata()
        for name in f.keys():
            t = f.get_tensor(name)
            raw = t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
            entries[name] = {
                "dtype": str(f.get_slice(name).get_dtype()),
                "shape": list(t.shape),
                "hex": raw.hex(),
            }
    return {"metadata": metadata, "tensors": entries}


def main():
    expected = {}
    # One key only: the reference writer orders __metadata__ keys by hash, not deterministically.
    meta = {"note": "fixture: ünïcode \"quoted\"\n"}
    path = os.path.join(HERE, "all_dtypes.safetensors")
    save_torch(torch_tensors(), path, metadata=meta)
    expected["all_dtypes.safetensors"] = describe(path)

    rng = np.random.default_rng(7)
    npath = os.path.join(HERE, "numpy.safetensors")
    save_numpy({"b": rng.standard_normal((3, 2)).astype(np.float32),
                "a": np.arange(5, dtype=np.int64), "c": np.array(True)}, npath)
    expected["numpy.safetensors"] = describe(npath)

    zpath = path + ".zst"
    subprocess.run(["zstd", "-q", "-f", "-3", "--no-progress", path, "-o", zpath], check=True)

    shard_dir = os.path.join(HERE, "sharded")
    os.makedirs(shard_dir, exist_ok=True)
    g = torch.Generator().manual_seed(99)
    parts = [
        {"model.embed.weight": torch.randn(3, 4, generator=g), "model.norm.weight": torch.ones(4)},
        {"lm_head.weight": torch.randn(2, 4, generator=g).to(torch.float16)},
    ]
    weight_map, total = {}, 0
    for i, part in enumerate(parts, start=1):
        name = f"model-{i:05d}-of-{len(parts):05d}.safetensors"
        save_torch(part, os.path.join(shard_dir, name), metadata={"format": "pt"})
        expected["sharded/" + name] = describe(os.path.join(shard_dir, name))
        for key, t in part.items():
            weight_map[key] = name
            total += t.numel() * t.element_size()
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    with open(os.path.join(shard_dir, "model.safetensors.index.json"), "w") as f:
        f.write(json.dumps(index, indent=2, sort_keys=True) + "\n")

    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
