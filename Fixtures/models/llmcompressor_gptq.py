#!/usr/bin/env python3
"""Baseline GPTQ run with vLLM's llm-compressor on CPU, the peer `compress --pass gptq` is compared
with (scripts/compare-gptq.sh, docs/benchmarks.md). Needs llm-compressor 0.14 and compressed-tensors
0.19 (see compare-gptq.sh for the environment); not used by the tests.

Loads an HF LLaMA model in float32, runs `oneshot` with an explicit GPTQModifier
recipe (int weights, group quantization, sym/asym, no act-order, dampening 0.01,
block size 128, sequential pipeline), then writes:

  OUT/dense   plain dense float32 HF folder with the fake-quantized weights
              (same tensor names as the input model.safetensors, config.json etc.
              copied verbatim from the input, so no quantization_config)
  OUT/packed  llm-compressor's compressed checkpoint (save_compressed=True)
  OUT/summary.json  timings, logits check, sizes, versions
"""
import argparse
import json
import os
import shutil
import sys
import time

import torch


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--calibration", required=True,
                   help="safetensors file with tensor input_ids int64 [N, L]")
    p.add_argument("--samples", type=int, default=128)
    p.add_argument("--max-seq-length", type=int, default=512)
    p.add_argument("--group-size", type=int, default=64)
    p.add_argument("--bits", type=int, default=4)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--sym", dest="symmetric", action="store_true")
    g.add_argument("--asym", dest="symmetric", action="store_false")
    p.set_defaults(symmetric=False)
    p.add_argument("--dampening-frac", type=float, default=0.01)
    p.add_argument("--block-size", type=int, default=128)
    p.add_argument("--actorder", choices=["none", "static"], default="none",
                   help="activation ordering: none, or static (llm-compressor's own default: "
                        "columns by descending Hessian diagonal, groups fitted before the solve)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", required=True)
    p.add_argument("--bypass-divisibility-checks", action="store_true",
                   help="pass bypass_divisibility_checks=True to GPTQModifier "
                        "(only to probe group sizes that do not divide the columns)")
    p.add_argument("--no-packed", action="store_true",
                   help="skip writing the compressed checkpoint")
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

    from compressed_tensors.quantization import QuantizationArgs, QuantizationScheme
    from compressed_tensors.quantization.lifecycle.forward import fake_quantize
    from llmcompressor import oneshot
    from llmcompressor.modifiers.gptq import GPTQModifier

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

    # ---- recipe: explicit scheme ----
    weights = QuantizationArgs(
        num_bits=args.bits,
        type="int",
        symmetric=args.symmetric,
        strategy="group",
        group_size=args.group_size,
        actorder=None if args.actorder == "none" else args.actorder,
        dynamic=False,
    )
    scheme = QuantizationScheme(
        # all Linear layers inside the decoder blocks (q,k,v,o,gate,up,down)
        targets=["Linear"],  # lm_head excluded via ignore
        weights=weights,
        input_activations=None,
        output_activations=None,
    )
    recipe = GPTQModifier(
        config_groups={"group_0": scheme},
        ignore=["lm_head"],
        dampening_frac=args.dampening_frac,
        block_size=args.block_size,
        actorder=None if args.actorder == "none" else args.actorder,
        bypass_divisibility_checks=args.bypass_divisibility_checks,
    )
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

    # ---- collect quantized modules and build dense fake-quantized weights ----
    qmods = {}
    for name, m in model.named_modules():
        if getattr(m, "quantization_scheme", None) is not None and \
                getattr(m.quantization_scheme, "weights", None) is not None:
            qmods[name] = m
    print(f"quantized modules: {len(qmods)} ; status of first: "
          f"{getattr(next(iter(qmods.values())), 'quantization_status', None)}", flush=True)

    dense_sd = {}
    max_requant_diff = 0.0
    max_change_vs_orig = 0.0
    example = None
    with torch.no_grad():
        for name, m in qmods.items():
            qa = m.quantization_scheme.weights
            w = m.weight.data
            scale = m.weight_scale.data
            zp = getattr(m, "weight_zero_point", None)
            zp = zp.data if zp is not None else None
            gidx = getattr(m, "weight_g_idx", None)
            if gidx is not None:
                raise SystemExit(f"{name} has weight_g_idx; act-order not expected")
            # exactly what the quantized forward computes (forward_quantize -> fake_quantize)
            wq = fake_quantize(x=w, scale=scale, zero_point=zp, args=qa,
                               global_scale=getattr(m, "weight_global_scale", None))
            max_requant_diff = max(max_requant_diff, (wq - w).abs().max().item())
            key = name + ".weight"
            max_change_vs_orig = max(max_change_vs_orig, (wq - orig_sd[key]).abs().max().item())
            dense_sd[key] = wq.to(torch.float32).contiguous()
            if example is None:
                example = {
                    "module": name,
                    "weight_shape": list(w.shape),
                    "scale_shape": list(scale.shape), "scale_dtype": str(scale.dtype),
                    "zp_shape": None if zp is None else list(zp.shape),
                    "zp_dtype": None if zp is None else str(zp.dtype),
                    "zp_min": None if zp is None else zp.min().item(),
                    "zp_max": None if zp is None else zp.max().item(),
                    "distinct_levels_row0_group0": int(torch.unique(
                        wq[0, : args.group_size]).numel()),
                }
    print("example module:", example, flush=True)
    print(f"max |fake_quantize(W) - W| over modules (W = GPTQ output stored in module): "
          f"{max_requant_diff:.3e}", flush=True)

    # input tensor names -> same names in output
    with safe_open(os.path.join(args.model, "model.safetensors"), "pt") as f:
        in_names = list(f.keys())
        in_meta = f.metadata()
    cur_sd = model.state_dict()
    out_sd = {}
    for k in in_names:
        if k in dense_sd:
            out_sd[k] = dense_sd[k]
        else:
            t = cur_sd[k].detach().to(torch.float32)
            if not torch.equal(t, orig_sd[k]):
                raise SystemExit(f"unquantized tensor {k} changed during oneshot")
            out_sd[k] = t.clone().contiguous()
    missing_q = set(dense_sd) - set(out_sd)
    if missing_q:
        raise SystemExit(f"quantized weights not in input names: {sorted(missing_q)[:5]}")

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
    with open(os.path.join(dense_dir, "config.json")) as f:
        assert "quantization_config" not in json.load(f)
    print(f"dense model written to {dense_dir}", flush=True)

    # ---- logits check: quantized model forward vs. reloaded dense model ----
    sample = ids[:1]
    with torch.no_grad():
        logits_q = model(input_ids=sample, attention_mask=torch.ones_like(sample)).logits
        dense_model = AutoModelForCausalLM.from_pretrained(dense_dir, dtype=torch.float32)
        dense_model.eval()
        logits_d = dense_model(input_ids=sample, attention_mask=torch.ones_like(sample)).logits
        # also: original (unquantized) model logits, for scale of the change
        ref = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.float32).eval()
        logits_o = ref(input_ids=sample, attention_mask=torch.ones_like(sample)).logits
    logit_max_diff = (logits_q - logits_d).abs().max().item()
    logit_diff_vs_orig = (logits_q - logits_o).abs().max().item()
    # NLL on that sample (next-token), quantized vs original
    def nll(lg):
        return torch.nn.functional.cross_entropy(
            lg[0, :-1].float(), sample[0, 1:]).item()
    print(f"logits check (quantized-model forward vs dense reload, sample 0): "
          f"max|diff| = {logit_max_diff:.3e}", flush=True)
    print(f"max|logits_quant - logits_orig| = {logit_diff_vs_orig:.3f}; "
          f"NLL sample0 orig={nll(logits_o):.4f} quant={nll(logits_q):.4f} "
          f"dense={nll(logits_d):.4f}", flush=True)
    del dense_model, ref

    # ---- packed checkpoint ----
    packed_bytes = None
    packed_dir = os.path.join(out, "packed")
    if not args.no_packed:
        model.save_pretrained(packed_dir, save_compressed=True)
        packed_bytes = {}
        for root, _, files in os.walk(packed_dir):
            for fn in files:
                packed_bytes[os.path.relpath(os.path.join(root, fn), packed_dir)] = \
                    os.path.getsize(os.path.join(root, fn))
        print(f"packed checkpoint written to {packed_dir}: "
              f"{sum(packed_bytes.values())} bytes total; files {packed_bytes}", flush=True)

    summary = {
        "args": vars(args),
        "versions": versions,
        "calibration_shape": list(ids.shape),
        "oneshot_seconds": t_oneshot,
        "total_seconds": time.time() - t_start,
        "num_quantized_modules": len(qmods),
        "example_module": example,
        "max_abs_fakequant_minus_stored_weight": max_requant_diff,
        "max_abs_dense_minus_original_weight": max_change_vs_orig,
        "logits_max_abs_diff_quantized_forward_vs_dense": logit_max_diff,
        "logits_max_abs_diff_quantized_vs_original": logit_diff_vs_orig,
        "nll_sample0": {"original": nll(logits_o), "quantized": nll(logits_q),
                        "dense": nll(logits_d)},
        "dense_dir": dense_dir,
        "dense_bytes": os.path.getsize(os.path.join(dense_dir, "model.safetensors")),
        "packed_dir": packed_dir if packed_bytes is not None else None,
        "packed_bytes": packed_bytes,
        "packed_total_bytes": None if packed_bytes is None else sum(packed_bytes.values()),
    }
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(summary, indent=2), flush=True)


if __name__ == "__main__":
    main()
