#!/usr/bin/env python3
"""Checks a folder written by `compress import` against transformers (a manual tool; tests never run it).

    python3 Fixtures/gguf/check_import.py FOLDER [MODEL.gguf]

Loads FOLDER with AutoModelForCausalLM / AutoTokenizer, compares every tensor's SHA-256 with
real_smollm2.json, the logits with transformers' own GGUF loading of MODEL.gguf (same weights:
must agree to float32 rounding of the identical computation), and prints the tokenizations where
the SmolLM2 digit split makes our tokenizer differ from transformers' GGUF converter.
"""
import hashlib, json, os, sys
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
folder = sys.argv[1]
gguf = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "../../.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf")
ours = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
facts = json.load(open(os.path.join(HERE, "real_smollm2.json")))
bad = [k for k, v in ours.state_dict().items() if k in facts["tensors"]
       and hashlib.sha256(v.contiguous().numpy().astype("<f4").tobytes()).hexdigest() != facts["tensors"][k]["sha256"]]
print("tensors differing from transformers' GGUF loader:", bad or "none")
theirs = AutoModelForCausalLM.from_pretrained(os.path.dirname(gguf), gguf_file=os.path.basename(gguf), dtype=torch.float32)
tok_ours = AutoTokenizer.from_pretrained(folder)
tok_theirs = AutoTokenizer.from_pretrained(os.path.dirname(gguf), gguf_file=os.path.basename(gguf))
text = "In 1599, the Globe opened.\n 42 players, 3 acts:\n1. Enter\n 2. Exit"
ids = torch.tensor([tok_ours(text, add_special_tokens=False).input_ids])
with torch.no_grad():
    difference = (ours(ids).logits - theirs(ids).logits).abs().max().item()
print("max |logit difference|:", difference)
print("ours:  ", tok_ours(text, add_special_tokens=False).input_ids)
print("theirs:", tok_theirs(text, add_special_tokens=False).input_ids)
print("special:", tok_ours.bos_token, tok_ours.eos_token, tok_ours.pad_token, tok_ours.unk_token,
      "| pre_tokenizer:", json.loads(tok_ours.backend_tokenizer.to_str())["pre_tokenizer"]["type"])
print(tok_ours.apply_chat_template([{"role": "user", "content": "Hi"}], tokenize=False)[:120])
