#!/usr/bin/env python3
"""Golden data for the Inference module (deterministic: run it again and the files are identical).

Tiny random-initialised models made with transformers, each saved as a folder (config.json +
model.safetensors) next to `expected.safetensors`, which holds the inputs and what transformers
computes from them (eager attention, Float32):

  input_ids (I64, (B, T), right-padded with 0)  lengths (I64, (B,))   -- text models
  pixel_values (F32, (B, C, H, W))                                    -- vit
  hidden_states.<i> (F32, (B, T, C)): the input of block i (i = 0) and the output of block i-1
  attentions.0 (F32, (B, H, T, T)): attention probabilities of block 0
  last_hidden_state / logits (F32)
  sentence_embedding (bert; mean pooling over the mask, then L2 normalisation)
  perplexity (F64, (2,)): [perplexity, predictions] for llama over `perplexity_tokens` with context 10

Plus minilm/: token ids (from the `tokenizers` library) and sentence-transformers embeddings of
SENTENCES by the real all-MiniLM-L6-v2 (scripts/fetch-models.sh puts it in .cache/models/).

Run from anywhere:  python3 Fixtures/inference/make_fixtures.py
"""
import json
import os
import shutil

import torch
from safetensors.torch import save_file
from transformers import (BertConfig, BertModel, GPT2Config, GPT2LMHeadModel, LlamaConfig,
                          LlamaForCausalLM, ViTConfig, ViTModel)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MINILM = os.path.join(ROOT, ".cache", "models", "all-MiniLM-L6-v2")


def batch(vocab, lengths, seed):
    g = torch.Generator().manual_seed(seed)
    ids = torch.zeros(len(lengths), max(lengths), dtype=torch.int64)
    mask = torch.zeros_like(ids)
    for b, n in enumerate(lengths):
        ids[b, :n] = torch.randint(1, vocab, (n,), generator=g)
        mask[b, :n] = 1
    return ids, mask


def save_model(name, model, tensors):
    folder = os.path.join(HERE, name)
    shutil.rmtree(folder, ignore_errors=True)
    model.save_pretrained(folder, safe_serialization=True)
    for extra in ("generation_config.json",):
        path = os.path.join(folder, extra)
        if os.path.exists(path):
            os.remove(path)
    out = {k: v.detach().clone().contiguous() for k, v in tensors.items()}
    save_file(out, os.path.join(folder, "expected.safetensors"), metadata={"format": "pt"})


def record(out, tensors):
    for i, h in enumerate(out.hidden_states):
        tensors[f"hidden_states.{i}"] = h
    tensors["attentions.0"] = out.attentions[0]


def make_bert():
    torch.manual_seed(1)
    config = BertConfig(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=37, max_position_embeddings=64, type_vocab_size=2,
                        hidden_act="gelu", layer_norm_eps=1e-12, attn_implementation="eager")
    model = BertModel(config).eval()
    ids, mask = batch(99, [7, 5], seed=11)
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=mask, output_hidden_states=True, output_attentions=True)
    last = out.last_hidden_state
    pooled = (last * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
    tensors = {"input_ids": ids, "lengths": mask.sum(1), "last_hidden_state": last,
               "sentence_embedding": torch.nn.functional.normalize(pooled, dim=-1)}
    record(out, tensors)
    save_model("bert", model, tensors)


def llama_config(**extra):
    return LlamaConfig(vocab_size=101, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                       num_key_value_heads=2, intermediate_size=48, max_position_embeddings=64,
                       rms_norm_eps=1e-6, tie_word_embeddings=True, attn_implementation="eager", **extra)


def perplexity(model, tokens, context):
    nll, count = 0.0, 0
    for start in range(0, len(tokens) - context + 1, context):
        window = torch.tensor([tokens[start:start + context]])
        with torch.no_grad():
            logits = model(input_ids=window).logits[0].double()
        logp = torch.log_softmax(logits[:-1], dim=-1)
        nll -= logp.gather(1, window[0, 1:, None]).sum().item()
        count += context - 1
    return torch.tensor([float(torch.exp(torch.tensor(nll / count))), float(count)], dtype=torch.float64)


def make_llama():
    torch.manual_seed(2)
    model = LlamaForCausalLM(llama_config(rope_theta=100000.0)).eval()
    ids, mask = batch(101, [9, 6], seed=12)
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=mask, output_hidden_states=True, output_attentions=True)
    g = torch.Generator().manual_seed(13)
    text = torch.randint(0, 101, (43,), generator=g)
    tensors = {"input_ids": ids, "lengths": mask.sum(1), "logits": out.logits,
               "perplexity_tokens": text, "perplexity": perplexity(model, text.tolist(), 10)}
    record(out, tensors)
    save_model("llama", model, tensors)


def make_llama3_scaled():
    torch.manual_seed(3)
    scaling = {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 4.0, "low_freq_factor": 1.0,
               "high_freq_factor": 4.0, "original_max_position_embeddings": 8}
    model = LlamaForCausalLM(llama_config(rope_parameters=scaling)).eval()
    ids, mask = batch(101, [20], seed=14)
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=mask, output_hidden_states=True, output_attentions=True)
    tensors = {"input_ids": ids, "lengths": mask.sum(1), "logits": out.logits}
    record(out, tensors)
    save_model("llama3_scaled", model, tensors)


def make_gpt2():
    torch.manual_seed(4)
    config = GPT2Config(vocab_size=97, n_embd=32, n_layer=2, n_head=4, n_positions=64,
                        attn_implementation="eager")
    model = GPT2LMHeadModel(config).eval()
    ids, mask = batch(97, [8, 5], seed=15)
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=mask, output_hidden_states=True, output_attentions=True)
    tensors = {"input_ids": ids, "lengths": mask.sum(1), "logits": out.logits}
    record(out, tensors)
    save_model("gpt2", model, tensors)


def make_vit():
    torch.manual_seed(5)
    config = ViTConfig(image_size=32, patch_size=8, num_channels=3, hidden_size=32, num_hidden_layers=2,
                       num_attention_heads=4, intermediate_size=37, attn_implementation="eager")
    model = ViTModel(config, add_pooling_layer=False).eval()
    pixels = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(16))
    with torch.no_grad():
        out = model(pixel_values=pixels, output_hidden_states=True, output_attentions=True)
    tensors = {"pixel_values": pixels, "last_hidden_state": out.last_hidden_state}
    record(out, tensors)
    save_model("vit", model, tensors)


SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "A journey of a thousand miles begins with a single step.",
    "Quantization maps each weight to one of a few levels.",
    "She sells sea shells by the sea shore.",
    "The meeting was moved to Thursday afternoon because of the storm.",
    "Transformers process every token of a sentence in parallel.",
    "I left my umbrella on the train this morning.",
    "Paris is the capital and most populous city of France.",
    "The recipe calls for two cups of flour and a pinch of salt.",
    "Low-rank factorization replaces one large matrix with two thin ones.",
    "He practiced the violin for three hours every day.",
    "Rain is expected over the weekend, with clearing skies on Monday.",
    "The museum's new exhibit features ancient Egyptian artifacts.",
    "Can you recommend a good book about the history of mathematics?",
    "The stock market fell sharply after the announcement.",
    "Our cat sleeps on the windowsill whenever the sun comes out.",
    "Pruning removes the weights that contribute least to the output.",
    "The children built a sandcastle at the edge of the water.",
    "Please remember to water the plants while I'm away.",
    "The spacecraft entered orbit around Mars after a seven-month voyage.",
    "Fresh bread smells wonderful early in the morning.",
    "The committee approved the budget by a narrow margin.",
    "He couldn't find his keys anywhere in the apartment.",
    "Electric cars are becoming cheaper every year.",
    "The orchestra played Beethoven's ninth symphony to a full hall.",
    "A calibration set of a few hundred sentences is usually enough.",
    "The hikers reached the summit just before sunset.",
    "My grandmother tells the best stories about her childhood.",
    "Coffee prices rose after a poor harvest in Brazil.",
    "The library will be closed on public holidays.",
    "Volcanic eruptions can affect the climate for several years.",
    "This laptop's battery lasts about ten hours on a single charge.",
    "The detective examined the footprints in the mud.",
    "Learning a new language takes patience and daily practice.",
    "The bridge was closed for repairs for most of the summer.",
    "Sparse matrices store only their nonzero entries.",
    "They celebrated their anniversary with dinner by the river.",
    "The final score was 3-2 after extra time.",
    "Honeybees communicate the location of flowers by dancing.",
    "What time does the last bus leave for the airport?",
]


def make_minilm():
    from tokenizers import Tokenizer
    from transformers import BertModel as Bert
    tokenizer = Tokenizer.from_file(os.path.join(MINILM, "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    encodings = [tokenizer.encode(s).ids for s in SENTENCES]
    lengths = torch.tensor([len(e) for e in encodings], dtype=torch.int64)
    ids = torch.zeros(len(encodings), int(lengths.max()), dtype=torch.int64)
    for b, e in enumerate(encodings):
        ids[b, :len(e)] = torch.tensor(e)
    mask = (torch.arange(ids.shape[1])[None, :] < lengths[:, None]).long()
    model = Bert.from_pretrained(MINILM, attn_implementation="eager").eval()
    with torch.no_grad():
        last = model(input_ids=ids, attention_mask=mask).last_hidden_state
    pooled = (last * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
    folder = os.path.join(HERE, "minilm")
    os.makedirs(folder, exist_ok=True)
    save_file({"input_ids": ids, "lengths": lengths,
               "sentence_embedding": torch.nn.functional.normalize(pooled, dim=-1).contiguous()},
              os.path.join(folder, "expected.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(folder, "sentences.json"), "w") as f:
        json.dump(SENTENCES, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    torch.use_deterministic_algorithms(True)
    make_bert()
    make_llama()
    make_llama3_scaled()
    make_gpt2()
    make_vit()
    if os.path.exists(os.path.join(MINILM, "model.safetensors")):
        make_minilm()
    else:
        print("skipping minilm: run scripts/fetch-models.sh first")
