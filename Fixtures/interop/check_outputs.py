#!/usr/bin/env python3
"""Interop check: files written by `compress` must open with the Python `safetensors` library,
GPTQ-layout tensors must dequantize, with an independent numpy decoder of the AutoGPTQ v1
format, to what the tool's own report says, and sparse-bitmask tensors must decode, as
compressed-tensors decodes them (numpy's unpackbits, little bit order), to the dense pruned
weights, and binary tensors must decode, by the layout docs/binarize.md describes, to what
`compress decompress` writes.

Usage: check_outputs.py PATH/TO/compress      (run by scripts/test.sh; needs numpy, safetensors)
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from safetensors.numpy import load_file, save_file


def unpack_rows(words: np.ndarray, bits: int, count: int) -> np.ndarray:
    """Unpacks int32 words packed along axis 0 as one LSB-first bit stream into `count` rows.

    For 2, 4, 8 bits that is AutoGPTQ's `32/bits` values per word; for 3 bits its 10|1|10|1|10
    scheme, which is the same continuous bit stream."""
    words = words.astype(np.uint32).astype(np.uint64)
    mask = (1 << bits) - 1
    out = np.zeros((count,) + words.shape[1:], dtype=np.uint64)
    for k in range(count):
        word, offset = divmod(k * bits, 32)
        value = words[word] >> np.uint64(offset)
        if offset + bits > 32:
            value |= words[word + 1] << np.uint64(32 - offset)
        out[k] = value & np.uint64(mask)
    return out


def dequantize_gptq(tensors: dict, prefix: str, bits: int) -> np.ndarray:
    """W[i, o] = scales[g_idx[i], o] * (q[i, o] - (qzeros[g_idx[i], o] + 1)) as (out, in)."""
    qweight, qzeros = tensors[prefix + ".qweight"], tensors[prefix + ".qzeros"]
    scales, g_idx = tensors[prefix + ".scales"].astype(np.float32), tensors[prefix + ".g_idx"]
    columns = g_idx.shape[0]
    q = unpack_rows(qweight, bits, columns).astype(np.float32)                 # (in, out)
    zeros = unpack_rows(qzeros.T, bits, scales.shape[1]).T.astype(np.float32)   # (groups, out)
    zeros = (zeros + 1) % (1 << bits)
    return (scales[g_idx] * (q - zeros[g_idx])).T


def decode_bitmask(tensors: dict, prefix: str) -> np.ndarray:
    """compressed-tensors' sparse-bitmask: the values fill the bitmask's set positions row-major."""
    shape = [int(v) for v in tensors[prefix + ".shape"]]
    mask = np.unpackbits(tensors[prefix + ".bitmask"], axis=-1, count=shape[-1], bitorder="little").astype(bool)
    dense = np.zeros(shape, dtype=tensors[prefix + ".compressed"].dtype)
    dense[mask] = tensors[prefix + ".compressed"]
    offsets = np.concatenate([[0], np.cumsum(mask.sum(axis=1))[:-1]])
    assert np.array_equal(offsets, tensors[prefix + ".row_offsets"]), "row offsets"
    return dense


def decode_binary(tensors: dict, prefix: str, columns: int) -> np.ndarray:
    """docs/binarize.md: α·s + μ from the packed signs, the salient weights (CSR) in place, + B·A."""
    p = prefix + ".binary."
    signs = np.unpackbits(tensors[p + "bits"], axis=1, count=columns, bitorder="little").astype(np.float32) * 2 - 1
    alpha, mu = (tensors[p + k].astype(np.float32)[:, None] for k in ("alpha", "mu"))
    dense = (mu + alpha * signs).astype(np.float32)
    if p + "salient.row_offsets" in tensors:
        offsets = tensors[p + "salient.row_offsets"]
        columns_, codes = tensors[p + "salient.columns"].astype(np.int64), tensors[p + "salient.codes"].astype(np.float32)
        scale, minimum = (tensors[p + "salient." + k].astype(np.float32) for k in ("scale", "minimum"))
        for r in range(dense.shape[0]):
            span = slice(offsets[r], offsets[r + 1])
            dense[r, columns_[span]] = minimum[r] + codes[span] * scale[r]
    if p + "residual.A" in tensors:
        dense += tensors[p + "residual.B"].astype(np.float32) @ tensors[p + "residual.A"].astype(np.float32)
    return dense


def run(compress, *args):
    result = subprocess.run([compress, *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"compress {' '.join(args)} failed: {result.stderr}")


def main() -> int:
    compress = sys.argv[1]
    rng = np.random.default_rng(0)
    passed = failed = 0
    with tempfile.TemporaryDirectory() as work:
        original = {
            "model.layers.0.mlp.down_proj.weight": rng.standard_normal((64, 96)).astype(np.float32),
            "model.layers.0.self_attn.q_proj.weight": rng.standard_normal((96, 64)).astype(np.float32),
            "model.layers.0.input_layernorm.weight": np.ones(64, dtype=np.float32),
            "model.embed_tokens.weight": rng.standard_normal((50, 64)).astype(np.float32),
        }
        source = os.path.join(work, "in.safetensors")
        save_file(original, source, metadata={"format": "pt"})
        for bits, group, sym in [(2, 32, True), (3, 32, False), (4, -1, True), (4, 32, False), (5, 32, True), (8, 64, True)]:
            name = f"rtn bits={bits} group-size={group} sym={sym}"
            try:
                out = os.path.join(work, f"out{bits}{group}{sym}.safetensors")
                run(compress, source, "--pass", f"rtn:bits={bits},group-size={group},sym={str(sym).lower()}",
                    "-o", out, "--quiet")
                tensors = load_file(out)
                report = json.load(open(out + ".report.json"))
                errors = {t["name"]: t["relative_error"] for t in report["tensors"]}
                for weight in ["model.layers.0.mlp.down_proj.weight", "model.layers.0.self_attn.q_proj.weight"]:
                    w = original[weight]
                    w_hat = dequantize_gptq(tensors, weight[: -len(".weight")], bits)
                    error = np.linalg.norm(w - w_hat) / np.linalg.norm(w)
                    assert abs(error - errors[weight]) <= 1e-4 * max(1.0, errors[weight]), (error, errors[weight])
                assert np.array_equal(tensors["model.embed_tokens.weight"], original["model.embed_tokens.weight"])
                passed += 1
            except Exception as exc:  # report every case, then fail
                print(f"FAIL {name}: {exc}")
                failed += 1
        try:
            out = os.path.join(work, "cast.safetensors")
            run(compress, source, "--pass", "cast:dtype=f16,targets=*", "-o", out, "--quiet", "--zstd")
            subprocess.run(["zstd", "-q", "-d", out + ".zst", "-o", out], check=True)
            tensors = load_file(out)
            for key, value in original.items():
                assert tensors[key].dtype == np.float16 and np.array_equal(tensors[key], value.astype(np.float16))
            passed += 1
        except Exception as exc:
            print(f"FAIL cast+zstd: {exc}")
            failed += 1
        try:
            dense_out = os.path.join(work, "pruned.safetensors")
            sparse_out = os.path.join(work, "pruned-bitmask.safetensors")
            run(compress, source, "--pass", "prune:method=magnitude,pattern=2:4", "-o", dense_out, "--quiet")
            run(compress, source, "--pass", "prune:method=magnitude,pattern=2:4,storage=bitmask", "-o", sparse_out, "--quiet")
            dense, sparse = load_file(dense_out), load_file(sparse_out)
            for weight in ["model.layers.0.mlp.down_proj.weight", "model.layers.0.self_attn.q_proj.weight"]:
                w = dense[weight]
                assert np.array_equal(decode_bitmask(sparse, weight[: -len(".weight")]), w), weight
                assert ((w.reshape(w.shape[0], -1, 4) != 0).sum(axis=-1) <= 2).all(), weight  # 2:4 along the input
                kept = np.abs(original[weight]).reshape(w.shape[0], -1, 4)
                assert np.array_equal(w.reshape(kept.shape) != 0, kept >= np.sort(kept, axis=-1)[..., 2:3]), weight
            passed += 1
        except Exception as exc:
            print(f"FAIL prune 2:4 dense and sparse-bitmask: {exc}")
            failed += 1
        try:
            out = os.path.join(work, "binary.safetensors")
            dense_out = os.path.join(work, "binary-dense.safetensors")
            run(compress, source, "--pass", "binarize:residual-rank=4,salient=0.05", "-o", out, "--quiet")
            run(compress, "decompress", out, "-o", dense_out, "--quiet")
            tensors, dense = load_file(out), load_file(dense_out)
            for weight in ["model.layers.0.mlp.down_proj.weight", "model.layers.0.self_attn.q_proj.weight"]:
                decoded = decode_binary(tensors, weight[: -len(".weight")], original[weight].shape[1])
                assert np.allclose(decoded, dense[weight], rtol=1e-5, atol=1e-6), weight
                assert weight not in tensors and tensors[weight[:-7] + ".binary.bits"].dtype == np.uint8, weight
            passed += 1
        except Exception as exc:
            print(f"FAIL binarize: {exc}")
            failed += 1
        minilm = os.path.join(os.path.dirname(__file__), "..", "..", ".cache", "models", "all-MiniLM-L6-v2")
        if os.path.exists(os.path.join(minilm, "model.safetensors")):
            try:
                out = os.path.join(work, "minilm-rtn8")
                run(compress, minilm, "--pass", "rtn:bits=8", "-o", out, "--quiet")
                tensors = load_file(os.path.join(out, "model.safetensors"))
                reference = load_file(os.path.join(minilm, "model.safetensors"))
                config = json.load(open(os.path.join(out, "config.json")))["quantization_config"]
                assert config["bits"] == 8 and config["quant_method"] == "gptq", config
                for name, value in reference.items():
                    prefix = name[: -len(".weight")]
                    if prefix + ".qweight" in tensors:
                        w_hat = dequantize_gptq(tensors, prefix, 8)
                        assert np.linalg.norm(value - w_hat) / np.linalg.norm(value) < 0.01, name
                    else:
                        assert np.array_equal(tensors[name], value), name
                passed += 1
            except Exception as exc:
                print(f"FAIL all-MiniLM-L6-v2 rtn:bits=8: {exc}")
                failed += 1
    print(f"interop: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
