#!/usr/bin/env python3
"""Writes a synthetic LLaMA model folder (config.json, model.safetensors, tokenizer) of any depth,
for the memory benchmark (scripts/benchmark-memory.sh): random float32 weights (std 0.02, norms
1), SmolLM2's tokenizer and vocabulary. The file is written tensor by tensor, so making a
checkpoint larger than memory needs only one tensor of memory.

  make_synthetic_llama.py TOKENIZER_FOLDER OUT_FOLDER --layers 40 [--hidden 1024 --intermediate 2816]
"""
import argparse
import json
import os
import shutil
import struct

import numpy as np


def tensor_specs(layers, hidden, intermediate, heads, kv_heads, vocabulary):
    head_dim = hidden // heads
    yield "model.embed_tokens.weight", (vocabulary, hidden)
    for i in range(layers):
        p = f"model.layers.{i}."
        yield p + "input_layernorm.weight", (hidden,)
        yield p + "self_attn.q_proj.weight", (heads * head_dim, hidden)
        yield p + "self_attn.k_proj.weight", (kv_heads * head_dim, hidden)
        yield p + "self_attn.v_proj.weight", (kv_heads * head_dim, hidden)
        yield p + "self_attn.o_proj.weight", (hidden, heads * head_dim)
        yield p + "post_attention_layernorm.weight", (hidden,)
        yield p + "mlp.gate_proj.weight", (intermediate, hidden)
        yield p + "mlp.up_proj.weight", (intermediate, hidden)
        yield p + "mlp.down_proj.weight", (hidden, intermediate)
    yield "model.norm.weight", (hidden,)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("tokenizer_folder")
    parser.add_argument("out")
    parser.add_argument("--layers", type=int, required=True)
    parser.add_argument("--hidden", type=int, default=1024)
    parser.add_argument("--intermediate", type=int, default=2816)
    parser.add_argument("--heads", type=int, default=16)
    parser.add_argument("--kv-heads", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    tokenizer = json.load(open(os.path.join(args.tokenizer_folder, "config.json")))
    vocabulary = tokenizer["vocab_size"]
    specs = list(tensor_specs(args.layers, args.hidden, args.intermediate, args.heads, args.kv_heads, vocabulary))
    header, offset = {}, 0
    for name, shape in specs:
        size = 4 * int(np.prod(shape))
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)

    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    with open(os.path.join(args.out, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(encoded)) + encoded)
        for name, shape in specs:
            if name.endswith("norm.weight"):
                values = np.ones(shape, dtype="<f4")
            else:
                values = (rng.standard_normal(shape, dtype=np.float32) * 0.02).astype("<f4")
            f.write(values.tobytes())

    config = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_act": "silu",
        "hidden_size": args.hidden, "intermediate_size": args.intermediate,
        "num_hidden_layers": args.layers, "num_attention_heads": args.heads,
        "num_key_value_heads": args.kv_heads, "head_dim": args.hidden // args.heads,
        "max_position_embeddings": 2048, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
        "tie_word_embeddings": True, "vocab_size": vocabulary, "torch_dtype": "float32",
        "bos_token_id": tokenizer.get("bos_token_id"), "eos_token_id": tokenizer.get("eos_token_id"),
    }
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(args.tokenizer_folder, name), args.out)
    print(f"{args.out}: {args.layers} layers, {offset / 2**30:.2f} GiB of float32 weights")


if __name__ == "__main__":
    main()
