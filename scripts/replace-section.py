#!/usr/bin/env python3
"""Replaces the text between `<!-- NAME:begin -->` and `<!-- NAME:end -->` in a Markdown file
with standard input (the benchmark scripts' `--record`); appends the marked section when the
markers are missing.

  ... | scripts/replace-section.py docs/benchmarks.md memory
"""
import re
import sys

path, name = sys.argv[1], sys.argv[2]
section = sys.stdin.read().rstrip("\n")
text = open(path).read()
begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
new = f"{begin}\n{section}\n{end}"
if begin in text:
    text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: new, text, flags=re.S)
else:
    text = text.rstrip("\n") + "\n\n" + new + "\n"
open(path, "w").write(text)
