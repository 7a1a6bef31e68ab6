#!/usr/bin/env python3
"""Checks that files written by the Swift `SafetensorsWriter` open with the reference library.

Usage: python3 Fixtures/safetensors/check_written.py FILE...
FILE may be a .safetensors, a .safetensors.zst (decompressed with the zstd CLI) or a
*.safetensors.index.json (every shard is opened and checked against weight_map).
Prints one line per file; exits 1 on the first failure. For CI, not for `swift test`.
"""
import json
import os
import subprocess
import sys
import tempfile

from safetensors import safe_open


def check_file(path):
    if path.endswith(".zst"):
        with tempfile.NamedTemporaryFile(suffix=".safetensors") as tmp:
            subprocess.run(["zstd", "-q", "-d", "-f", path, "-o", tmp.name], check=True)
            return check_file(tmp.name)
    with safe_open(path, framework="pt") as f:
        names = list(f.keys())
        for name in names:
            f.get_tensor(name)  # reads and checks every tensor
        return names


def main(paths):
    for path in paths:
        if path.endswith(".index.json"):
            with open(path) as f:
                index = json.load(f)
            folder = os.path.dirname(path)
            seen = {}
            for shard in sorted(set(index["weight_map"].values())):
                for name in check_file(os.path.join(folder, shard)):
                    assert index["weight_map"].get(name) == shard, f"{name} not mapped to {shard}"
                    seen[name] = shard
            assert set(seen) == set(index["weight_map"]), "weight_map lists missing tensors"
            print(f"ok {path}: {len(seen)} tensors in {len(set(seen.values()))} shards")
        else:
            print(f"ok {path}: {len(check_file(path))} tensors")


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except Exception as error:  # noqa: BLE001 - report any failure as one line
        print(f"FAILED: {error}")
        sys.exit(1)
