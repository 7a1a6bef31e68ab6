#!/usr/bin/env python3
"""Whole-model GPTQ with the authors' algorithm in PyTorch: the outside reference that
`compress --pass gptq` is measured against on real models.

The sequential loop of IST-DASLab/gptq `llama.py::llama_sequential` (true-sequential groups), written
for transformers' LlamaForCausalLM and BertModel: capture the inputs of block 0 for every calibration
sample; for each block and each group of linears that read the same input (q/k/v, o, gate/up, down
for LLaMA; query/key/value, attention output, intermediate, output for BERT), accumulate
H = 2/N · Σ x xᵀ with forward hooks while the block runs on every sample with the groups before it
already quantized, quantize each linear with `fasterquant` (Fixtures/gptq/gptq_reference.py, the
port of the authors' solver), put the quantized weights back, and finally run the quantized block
to get the next block's inputs.

Writes a dense model folder (the input folder's files with `model.safetensors` replaced by the
quantized weights, same names and dtype F32) that `compress eval` reads like any other model.

Usage: gptq_model_reference.py MODEL_FOLDER CALIBRATION.safetensors OUT_FOLDER
         [--bits 4] [--group-size 128] [--sym] [--act-order] [--static-groups] [--damp 0.01]
         [--samples N] [--rtn]      (--rtn: round-to-nearest with the same grid, no calibration)
"""
import argparse
import json
import os
import shutil
import sys
import time

import torch
from safetensors import safe_open
from safetensors.torch import save_file

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gptq"))
from gptq_reference import fasterquant  # noqa: E402

LLAMA_GROUPS = [["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"], ["self_attn.o_proj"],
                ["mlp.gate_proj", "mlp.up_proj"], ["mlp.down_proj"]]
BERT_GROUPS = [["attention.self.query", "attention.self.key", "attention.self.value"],
               ["attention.output.dense"], ["intermediate.dense"], ["output.dense"]]


class Captured(Exception):
    pass


def module(root, dotted):
    for part in dotted.split("."):
        root = getattr(root, part)
    return root


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("calibration")
    p.add_argument("out")
    p.add_argument("--bits", type=int, default=4)
    p.add_argument("--group-size", type=int, default=128)
    p.add_argument("--sym", action="store_true")
    p.add_argument("--act-order", action="store_true")
    p.add_argument("--static-groups", action="store_true")
    p.add_argument("--damp", type=float, default=0.01)
    p.add_argument("--samples", type=int, default=None)
    p.add_argument("--rtn", action="store_true")
    args = p.parse_args()
    torch.set_grad_enabled(False)
    config = json.load(open(os.path.join(args.model, "config.json")))
    causal = config.get("model_type") == "llama"
    if causal:
        from transformers import LlamaForCausalLM
        full = LlamaForCausalLM.from_pretrained(args.model, dtype=torch.float32).eval()
        base, layers, groups = full.model, full.model.layers, LLAMA_GROUPS
    else:
        from transformers import BertModel
        full = BertModel.from_pretrained(args.model, dtype=torch.float32, add_pooling_layer=False).eval()
        base, layers, groups = full, full.encoder.layer, BERT_GROUPS
    with safe_open(args.calibration, "pt") as f:
        ids = f.get_tensor("input_ids").long()
    if args.samples:
        ids = ids[:args.samples]
    minimum_zero = 0 if args.sym else 1
    start = time.time()

    def solve(linear, H):
        W = linear.weight.data
        if H is None:
            H = torch.eye(W.shape[1])
        r = fasterquant(W, H, args.bits, args.sym, groupsize=args.group_size, percdamp=args.damp,
                        actorder=args.act_order, static_groups=args.static_groups,
                        minimum_zero=minimum_zero)
        linear.weight.data = r["Q"].to(W.dtype)
        return r["loss"]

    if args.rtn:
        for layer in layers:
            for group in groups:
                for name in group:
                    solve(module(layer, name), None)
    else:
        # Inputs of block 0 for every sample, with the keyword arguments the model passes it.
        inputs, kwargs = [], {}
        original_forward = layers[0].forward

        def catcher(hidden, *a, **kw):
            inputs.append(hidden)
            kwargs.update(kw)
            raise Captured

        layers[0].forward = catcher
        for row in ids:
            try:
                base(input_ids=row[None], attention_mask=torch.ones_like(row[None]))
            except Captured:
                pass
        layers[0].forward = original_forward
        kwargs.pop("past_key_values", None)
        kwargs.pop("cache", None)

        def run(layer, hidden):
            out = layer(hidden, **kwargs)
            return out[0] if isinstance(out, tuple) else out

        for index, layer in enumerate(layers):
            for group in groups:
                linears = {name: module(layer, name) for name in group}
                hessians = {name: torch.zeros(m.in_features, m.in_features, dtype=torch.float32)
                            for name, m in linears.items()}
                counts = {name: 0 for name in group}

                def hook_for(name):
                    def hook(_, inp, __):
                        x = inp[0].reshape(-1, inp[0].shape[-1]).float()  # (tokens, in)
                        n = counts[name]
                        hessians[name] *= n / (n + 1)
                        counts[name] = n + 1
                        x = (2 / counts[name]) ** 0.5 * x.t()
                        hessians[name] += x @ x.t()
                    return hook

                handles = [m.register_forward_hook(hook_for(n)) for n, m in linears.items()]
                for hidden in inputs:
                    run(layer, hidden)
                for h in handles:
                    h.remove()
                for name, linear in linears.items():
                    solve(linear, hessians[name])
            inputs = [run(layer, hidden) for hidden in inputs]
            print(f"block {index + 1}/{len(layers)} done, {time.time() - start:.0f} s", flush=True)

    os.makedirs(args.out, exist_ok=True)
    for name in os.listdir(args.model):
        source = os.path.join(args.model, name)
        if name == "model.safetensors":
            continue
        if os.path.isdir(source):  # e.g. sentence-transformers' 1_Pooling
            shutil.copytree(source, os.path.join(args.out, name), dirs_exist_ok=True)
        else:
            shutil.copy(source, os.path.join(args.out, name))
    state = full.state_dict()
    tensors = {}
    with safe_open(os.path.join(args.model, "model.safetensors"), "pt") as f:
        for key in f.keys():
            match = key if key in state else next((k for k in state if k.endswith("." + key)), None)
            # Tensors the model class does not hold (BERT's pooler, position_ids) are copied as is.
            keep = match is None or state[match].dtype != torch.float32
            tensors[key] = f.get_tensor(key) if keep else state[match].contiguous().clone()
    save_file(tensors, os.path.join(args.out, "model.safetensors"), metadata={"format": "pt"})
    print(f"wrote {args.out} ({time.time() - start:.0f} s)")


if __name__ == "__main__":
    main()
