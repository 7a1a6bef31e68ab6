#!/usr/bin/env python3
"""Golden data for the GGUF module (Tests/GGUFTests). Deterministic; tests never run it.

    python3 Fixtures/gguf/make_fixtures.py            # (a) and (b): small files committed here
    python3 Fixtures/gguf/make_fixtures.py --real     # also (c), needs .cache/models (scripts/fetch-models.sh)

(a) dequant.gguf + dequant_expected.safetensors: for every type the reader dequantizes, random
    valid blocks (random bytes, finite F16 scales) as tensor `random.<TYPE>` and, where gguf-py can
    quantize, gaussian data quantized by gguf-py as `roundtrip.<TYPE>`; the expected float32 values
    come from `gguf.quants.dequantize` (Q8_K, which gguf-py lacks, from ggml's formula d * q).
(b) tiny_llama.gguf: a 2-layer llama (hidden 64, 4 heads, 2 KV heads, vocab 300, byte-level BPE,
    pre "smollm") written by gguf-py's GGUFWriter the way convert_hf_to_gguf.py writes one (q/k rows
    permuted), with Q8_0, Q4_1, F16 and F32 tensors. tiny_expected.safetensors holds every tensor of
    transformers' own GGUF loader (AutoModelForCausalLM.from_pretrained(gguf_file=...)) as float32;
    tiny_expected.json holds transformers' config and tokenizer facts; tiny_expected_tokenizer.json
    is the tokenizer.json the importer must write (SmolLM2's layout: Digits + ByteLevel).
(c) real_smollm2.json: SHA-256 of every tensor transformers' GGUF loader produces from the real
    SmolLM2-135M-Instruct Q4_1 GGUF (float32 little-endian bytes), with a few value slices.
"""
import hashlib
import json
import os
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf.quants import dequantize, quantize
from safetensors.numpy import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# (type, byte offsets of F16 scale fields inside one block)
QUANT_TYPES = [
    (T.Q4_0, [0]), (T.Q4_1, [0, 2]), (T.Q5_0, [0]), (T.Q5_1, [0, 2]), (T.Q8_0, [0]),
    (T.Q2_K, [80, 82]), (T.Q3_K, [108]), (T.Q4_K, [0, 2]), (T.Q5_K, [0, 2]), (T.Q6_K, [208]),
]
ROUNDTRIP_TYPES = [T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0, T.BF16, T.F16]


def random_blocks(rng, qtype, scale_offsets, n_blocks):
    block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
    raw = rng.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
    for offset in scale_offsets:
        # finite F16 scales of mixed sign and magnitude, some subnormal
        scales = (rng.standard_normal(n_blocks) * np.exp2(rng.integers(-18, 4, n_blocks))).astype(np.float16)
        raw[:, offset:offset + 2] = scales.view(np.uint8).reshape(n_blocks, 2)
    return raw


def q8_k_blocks(rng, n_blocks):
    d = (rng.standard_normal(n_blocks) * 0.01).astype(np.float32)
    qs = rng.integers(-128, 128, size=(n_blocks, 256), dtype=np.int8)
    bsums = qs.reshape(n_blocks, 16, 16).astype(np.int16).sum(axis=-1, dtype=np.int16)
    raw = np.concatenate([d.view(np.uint8).reshape(n_blocks, 4), qs.view(np.uint8), bsums.view(np.uint8).reshape(n_blocks, 32)], axis=1)
    values = (d[:, None] * qs.astype(np.float32)).astype(np.float32)
    return raw, values


def make_dequant(rng):
    writer = gguf.GGUFWriter(os.path.join(HERE, "dequant.gguf"), "dequant-fixture")
    expected = {}
    rows = 2
    for qtype, offsets in QUANT_TYPES:
        block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
        per_row = 4 if block_size == 256 else 8  # blocks per row
        raw = random_blocks(rng, qtype, offsets, rows * per_row).reshape(rows, per_row * type_size)
        name = f"random.{qtype.name}"
        writer.add_tensor(name, raw, raw_dtype=qtype)
        expected[name] = dequantize(raw, qtype).astype(np.float32).reshape(rows, per_row * block_size)
    raw, values = q8_k_blocks(rng, rows * 4)
    writer.add_tensor("random.Q8_K", raw.reshape(rows, -1), raw_dtype=T.Q8_K)
    expected["random.Q8_K"] = values.reshape(rows, 1024)
    # plain floats, with the special values a checkpoint can hold (no NaN: its payload is not compared)
    special = np.array([0.0, -0.0, np.inf, -np.inf, 6.0e-8, -6.0e-8, 65504.0, 1.0e-40], dtype=np.float32)
    base = rng.standard_normal((rows, 64)).astype(np.float32)
    base[0, :8] = special
    writer.add_tensor("random.F32", base)
    expected["random.F32"] = base
    f16 = base.astype(np.float16)
    writer.add_tensor("random.F16", f16)
    expected["random.F16"] = f16.astype(np.float32)
    bf16 = quantize(base, T.BF16)
    writer.add_tensor("random.BF16", bf16, raw_dtype=T.BF16)
    expected["random.BF16"] = dequantize(bf16, T.BF16).astype(np.float32).reshape(rows, 64)
    for qtype in ROUNDTRIP_TYPES:
        data = (rng.standard_normal((rows, 256)) * 0.05).astype(np.float32)
        packed = quantize(data, qtype)
        name = f"roundtrip.{qtype.name}"
        if qtype == T.F16:
            writer.add_tensor(name, packed)
        else:
            writer.add_tensor(name, packed, raw_dtype=qtype)
        expected[name] = dequantize(packed, qtype).astype(np.float32).reshape(rows, 256)
    write_gguf(writer)
    save_file(expected, os.path.join(HERE, "dequant_expected.safetensors"))


def write_gguf(writer):
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


# ---------------------------------------------------------------- (b) the tiny llama

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
USER_DEFINED = ["<think>"]
CHAT_TEMPLATE = "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}"


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def tiny_vocab():
    """3 control tokens, 256 byte symbols, 40 merges, 1 user-defined token: 300 tokens."""
    byte_symbols = [bytes_to_unicode()[b] for b in range(256)]
    words = ["Ġthe", "Ġand", "Ġto", "Ġof", "ing", "Ġis", "Ġit", "ĠHello", "Ġworld", "ĊĠ", "ĠĠ", "er", "on", "ou", "Ġthere", "Ġwonder", "Ġtoken", "Ġsister", "Ġcount"]
    vocab = SPECIALS + byte_symbols
    merges = []
    for word in words:
        pieces = list(word)
        while len(pieces) > 1 and len(merges) < 40:
            merged = pieces[0] + pieces[1]
            if merged not in vocab:
                merges.append(f"{pieces[0]} {pieces[1]}")
                vocab.append(merged)
            pieces = [merged] + pieces[2:]
    assert len(merges) == 40, len(merges)
    vocab += USER_DEFINED
    types = [3] * len(SPECIALS) + [1] * (len(vocab) - len(SPECIALS) - 1) + [4]
    return vocab, types, merges


def permute(w, n_head, n_head_kv):
    """convert_hf_to_gguf.py's LlamaModel.permute (HF rows -> llama.cpp rows)."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return (w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape))


def add_quantized(writer, name, values, qtype):
    if qtype == T.F32:
        writer.add_tensor(name, values.astype(np.float32))
    elif qtype == T.F16:
        writer.add_tensor(name, values.astype(np.float16))
    else:
        writer.add_tensor(name, quantize(values.astype(np.float32), qtype), raw_dtype=qtype)


def make_tiny(rng):
    path = os.path.join(HERE, "tiny_llama.gguf")
    hidden, ffn, heads, kv_heads, layers = 64, 128, 4, 2, 2
    head_dim = hidden // heads
    vocab, types, merges = tiny_vocab()
    writer = gguf.GGUFWriter(path, "llama")
    writer.add_name("tiny llama fixture")
    writer.add_block_count(layers)
    writer.add_context_length(256)
    writer.add_embedding_length(hidden)
    writer.add_feed_forward_length(ffn)
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv_heads)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(len(vocab))
    writer.add_rope_dimension_count(head_dim)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("smollm")
    writer.add_token_list(vocab)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)
    writer.add_pad_token_id(2)
    writer.add_add_bos_token(False)
    writer.add_chat_template(CHAT_TEMPLATE)

    def w(*shape, scale=0.05):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    add_quantized(writer, "token_embd.weight", w(len(vocab), hidden), T.Q8_0)
    for i in range(layers):
        add_quantized(writer, f"blk.{i}.attn_norm.weight", 1 + w(hidden, scale=0.1), T.F32)
        add_quantized(writer, f"blk.{i}.attn_q.weight", permute(w(heads * head_dim, hidden), heads, heads), T.Q8_0)
        add_quantized(writer, f"blk.{i}.attn_k.weight", permute(w(kv_heads * head_dim, hidden), heads, kv_heads), T.F16 if i == 0 else T.Q4_1)
        add_quantized(writer, f"blk.{i}.attn_v.weight", w(kv_heads * head_dim, hidden), T.Q8_0)
        add_quantized(writer, f"blk.{i}.attn_output.weight", w(hidden, hidden), T.Q4_1)
        add_quantized(writer, f"blk.{i}.ffn_norm.weight", 1 + w(hidden, scale=0.1), T.F32)
        add_quantized(writer, f"blk.{i}.ffn_gate.weight", w(ffn, hidden), T.Q8_0)
        add_quantized(writer, f"blk.{i}.ffn_up.weight", w(ffn, hidden), T.Q4_1)
        add_quantized(writer, f"blk.{i}.ffn_down.weight", w(hidden, ffn), T.Q8_0)
    add_quantized(writer, "output_norm.weight", 1 + w(hidden, scale=0.1), T.F32)
    add_quantized(writer, "output.weight", w(len(vocab), hidden), T.F16)
    write_gguf(writer)
    record_transformers_tiny(path, vocab, types, merges)


def record_transformers_tiny(path, vocab, types, merges):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = os.path.split(path)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    tensors = {k: v.detach().to(torch.float32).contiguous().numpy() for k, v in model.state_dict().items()}
    save_file(tensors, os.path.join(HERE, "tiny_expected.safetensors"))
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    backend = json.loads(tokenizer.backend_tokenizer.to_str())
    config = {k: v for k, v in model.config.to_dict().items() if k not in ("quantization_config", "transformers_version", "_name_or_path")}
    texts = ["Hello world", "the 2025 and 12345", "a\n 7 is it", "<|im_start|>user\nHello<|im_end|>", "<think> ok"]
    facts = {
        "config": config,
        "tokenizer": {
            "bos_token": tokenizer.bos_token, "eos_token": tokenizer.eos_token,
            "pad_token": tokenizer.pad_token, "unk_token": tokenizer.unk_token,
            "pre_tokenizer": backend["pre_tokenizer"], "added_tokens": backend["added_tokens"],
            "vocab_size": len(backend["model"]["vocab"]), "merge_count": len(backend["model"]["merges"]),
        },
        "transformers_encodings": {t: tokenizer(t, add_special_tokens=False).input_ids for t in texts},
    }
    expected = expected_tokenizer_json(vocab, types, merges)
    from tokenizers import Tokenizer
    ours = Tokenizer.from_str(json.dumps(expected))
    facts["smollm_encodings"] = {t: ours.encode(t, add_special_tokens=False).ids for t in texts}
    with open(os.path.join(HERE, "tiny_expected.json"), "w") as f:
        json.dump(facts, f, indent=1, sort_keys=True, ensure_ascii=False)
    with open(os.path.join(HERE, "tiny_expected_tokenizer.json"), "w") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)


def expected_tokenizer_json(vocab, types, merges):
    """The tokenizer.json SmolLM2 ships (HuggingFaceTB/SmolLM2-135M-Instruct), with this vocabulary."""
    def added(i, special):
        return {"id": i, "content": vocab[i], "single_word": False, "lstrip": False, "rstrip": False,
                "normalized": False, "special": special}
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added(i, t == 3) for i, t in enumerate(types) if t in (3, 4)],
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": True},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}]},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": {t: i for i, t in enumerate(vocab)},
                  "merges": [m.split(" ", 1) for m in merges]},
    }


# ---------------------------------------------------------------- (c) the real SmolLM2

def make_real():
    import torch
    from transformers import AutoModelForCausalLM

    path = os.path.join(ROOT, ".cache/models/SmolLM2-135M-Instruct.Q4_1.gguf")
    folder, name = os.path.split(path)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    state = model.state_dict()
    digests, slices = {}, {}
    for key, value in state.items():
        if key == "lm_head.weight":  # tied to the embedding: not a tensor of the checkpoint
            continue
        array = value.detach().to(torch.float32).contiguous().numpy()
        digests[key] = {"shape": list(array.shape), "sha256": hashlib.sha256(array.astype("<f4").tobytes()).hexdigest()}
    for key in ["model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.weight",
                "model.layers.29.self_attn.q_proj.weight", "model.layers.29.self_attn.k_proj.weight"]:
        array = state[key].numpy()
        slices[key] = {"rows": [0, 1, 63, 64, 65], "first8": [[float(x) for x in array[r, :8]] for r in [0, 1, 63, 64, 65]]}
    facts = {"tensor_count": len(digests), "tensors": digests, "slices": slices,
             "parameter_count": int(sum(np.prod(d["shape"]) for d in digests.values()))}
    with open(os.path.join(HERE, "real_smollm2.json"), "w") as f:
        json.dump(facts, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    make_dequant(np.random.default_rng(20250801))
    make_tiny(np.random.default_rng(20250802))
    if "--real" in sys.argv:
        make_real()
