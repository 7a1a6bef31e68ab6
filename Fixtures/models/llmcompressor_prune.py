#!/usr/bin/env python3
"""Baseline pruning runs with vLLM's llm-compressor on CPU, the peers `compress --pass prune` is
compared with (scripts/compare-prune.sh). Needs llm-compressor 0.14 and compressed-tensors 0.19
(see compare-gptq.sh for the environment); not used by the tests.

Loads an HF LLaMA model in float32 and runs `oneshot` (sequential pipeline, batch size 1) with one
explicit modifier on every Linear of the decoder layers (q, k, v, o, gate, up, down; lm_head and
the embeddings are not touched):
  --modifier sparsegpt  SparseGPTModifier(sparsity, mask_structure, block_size 128,
                        dampening_frac 0.01): the authors' solver, H = 2/n Σ x·xᵀ per layer;
  --modifier wanda      WandaPruningModifier(sparsity, mask_structure): scores |w|·‖x_j‖₂,
                        the smallest int(columns · sparsity) of every row (unstructured).
`--mask-structure` is llm-compressor's "N:M" string: "0:0" unstructured (`--sparsity` of every
layer), "2:4" at most 2 non-zeros in every 4 consecutive weights of a row (N pruned of M, which
for 2:4 and 4:8 is the same as N kept). Calibration is exactly the given token ids (a
safetensors file with input_ids int64 [N, L], Fixtures/models/make_calibration.py), the first
--samples rows cut to --max-seq-length, in order. Writes:

  OUT/dense         plain dense float32 HF folder with the pruned weights (same tensor names as
                    the input model.safetensors; config.json etc. copied verbatim from the input)
  OUT/summary.json  timings, the measured sparsity (fraction of exact zeros) of every pruned
                    linear, a logits check, versions
"""
import argparse
import json
import os
import shutil
import sys
import time

import torch

# The decoder blocks of an HF LLaMA; every Linear inside them is pruned (llm-compressor's own
# examples target the blocks this way, which leaves lm_head out by construction).
DECODER_LAYERS = r"re:model\.layers\.\d+$"


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--calibration", required=True,
                   help="safetensors file with tensor input_ids int64 [N, L]")
    p.add_argument("--samples", type=int, default=128)
    p.add_argument("--max-seq-length", type=int, default=512)
    p.add_argument("--modifier", choices=["sparsegpt", "wanda"], required=True)
    p.add_argument("--sparsity", type=float, default=0.5,
                   help="fraction pruned per layer (unstructured); ignored by N:M masks")
    p.add_argument("--mask-structure", default="0:0",
                   help='llm-compressor\'s "N:M" ("0:0": unstructured, "2:4", "4:8")')
    p.add_argument("--dampening-frac", type=float, default=0.01)
    p.add_argument("--block-size", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", required=True)
    return p.parse_args()


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    t_start = time.time()

    import compressed_tensors
    import llmcompressor
    import transformers
    from datasets import Dataset
    from safetensors import safe_open
    from safetensors.torch import save_file
    from transformers import AutoModelForCausalLM

    from llmcompressor import oneshot
    from llmcompressor.modifiers.pruning import SparseGPTModifier, WandaPruningModifier

    versions = {
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "compressed_tensors": compressed_tensors.__version__,
        "llmcompressor": llmcompressor.__version__,
    }
    print("versions:", versions, flush=True)

    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)

    # ---- calibration data: exactly the given token ids ----
    with safe_open(args.calibration, "pt") as f:
        ids = f.get_tensor("input_ids")
    assert ids.dtype == torch.int64 and ids.ndim == 2, (ids.dtype, ids.shape)
    if ids.shape[0] < args.samples:
        raise SystemExit(f"calibration file has {ids.shape[0]} rows < --samples {args.samples}")
    ids = ids[: args.samples, : args.max_seq_length].contiguous()
    print(f"calibration: {args.calibration} -> using {tuple(ids.shape)}", flush=True)
    ds = Dataset.from_dict({
        "input_ids": ids.tolist(),
        "attention_mask": torch.ones_like(ids).tolist(),
    })

    # ---- model ----
    model = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.float32)
    model.eval()
    orig_sd = {k: v.detach().clone() for k, v in model.state_dict().items()}

    # ---- recipe: one explicit modifier ----
    common = dict(sparsity=args.sparsity, mask_structure=args.mask_structure,
                  targets=[DECODER_LAYERS], ignore=["re:.*lm_head"])
    if args.modifier == "sparsegpt":
        recipe = SparseGPTModifier(**common, block_size=args.block_size,
                                   dampening_frac=args.dampening_frac)
    else:
        recipe = WandaPruningModifier(**common)
    print("recipe:", recipe, flush=True)

    t0 = time.time()
    oneshot(
        model=model,
        dataset=ds,
        recipe=recipe,
        num_calibration_samples=args.samples,
        max_seq_length=args.max_seq_length,
        shuffle_calibration_samples=False,
        pipeline="sequential",
        batch_size=1,
        log_dir=None,
    )
    t_oneshot = time.time() - t0
    print(f"oneshot done in {t_oneshot:.1f}s", flush=True)

    # ---- the pruned linears: every nn.Linear inside a decoder layer ----
    pruned = {}
    for name, m in model.named_modules():
        if isinstance(m, torch.nn.Linear) and name.startswith("model.layers."):
            pruned[name + ".weight"] = m.weight.detach().to(torch.float32).clone().contiguous()
    if not pruned:
        raise SystemExit("no Linear inside model.layers")
    sparsity = {k: (w == 0).sum().item() / w.numel() for k, w in pruned.items()}
    zeros = sum((w == 0).sum().item() for w in pruned.values())
    total = sum(w.numel() for w in pruned.values())
    print(f"pruned linears: {len(pruned)}; sparsity min {min(sparsity.values()):.4f} "
          f"max {max(sparsity.values()):.4f} overall {zeros / total:.4f}", flush=True)

    # input tensor names -> same names in output
    with safe_open(os.path.join(args.model, "model.safetensors"), "pt") as f:
        in_names = list(f.keys())
        in_meta = f.metadata()
    cur_sd = model.state_dict()
    out_sd = {}
    for k in in_names:
        if k in pruned:
            out_sd[k] = pruned[k]
        else:
            t = cur_sd[k].detach().to(torch.float32)
            if not torch.equal(t, orig_sd[k]):
                raise SystemExit(f"tensor {k} outside the pruned linears changed during oneshot")
            out_sd[k] = t.clone().contiguous()
    missing = set(pruned) - set(out_sd)
    if missing:
        raise SystemExit(f"pruned weights not in input names: {sorted(missing)[:5]}")

    dense_dir = os.path.join(out, "dense")
    os.makedirs(dense_dir, exist_ok=True)
    save_file(out_sd, os.path.join(dense_dir, "model.safetensors"),
              metadata=in_meta or {"format": "pt"})
    os.chmod(os.path.join(dense_dir, "model.safetensors"), 0o644)
    for fn in ["config.json", "tokenizer.json", "tokenizer_config.json",
               "generation_config.json"]:
        src = os.path.join(args.model, fn)
        if os.path.exists(src):
            shutil.copyfile(src, os.path.join(dense_dir, fn))
    print(f"dense model written to {dense_dir}", flush=True)

    # ---- logits check: pruned model forward vs. reloaded dense model ----
    sample = ids[:1]
    with torch.no_grad():
        logits_p = model(input_ids=sample, attention_mask=torch.ones_like(sample)).logits
        dense_model = AutoModelForCausalLM.from_pretrained(dense_dir, dtype=torch.float32)
        dense_model.eval()
        logits_d = dense_model(input_ids=sample, attention_mask=torch.ones_like(sample)).logits
        ref = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.float32).eval()
        logits_o = ref(input_ids=sample, attention_mask=torch.ones_like(sample)).logits
    logit_max_diff = (logits_p - logits_d).abs().max().item()

    def nll(lg):
        return torch.nn.functional.cross_entropy(lg[0, :-1].float(), sample[0, 1:]).item()
    print(f"logits check (pruned-model forward vs dense reload, sample 0): "
          f"max|diff| = {logit_max_diff:.3e}; NLL sample0 orig={nll(logits_o):.4f} "
          f"pruned={nll(logits_p):.4f} dense={nll(logits_d):.4f}", flush=True)
    del dense_model, ref

    summary = {
        "args": vars(args),
        "versions": versions,
        "recipe": repr(recipe),
        "calibration_shape": list(ids.shape),
        "oneshot_seconds": t_oneshot,
        "total_seconds": time.time() - t_start,
        "num_pruned_linears": len(pruned),
        "overall_sparsity": zeros / total,
        "sparsity": sparsity,
        "logits_max_abs_diff_pruned_forward_vs_dense": logit_max_diff,
        "nll_sample0": {"original": nll(logits_o), "pruned": nll(logits_p),
                        "dense": nll(logits_d)},
        "dense_dir": dense_dir,
    }
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(f"summary written to {os.path.join(out, 'summary.json')}", flush=True)


if __name__ == "__main__":
    main()
