"""Golden data for single components and small synthetic tokenizers (imported by make_fixtures.py).

Each component is given as its tokenizer.json fragment; the Python `tokenizers` library loads it
inside a tiny tokenizer and says what it does with a handful of inputs.
"""
import json

from tokenizers import Tokenizer

WORDS = ["[UNK]", "[CLS]", "[SEP]", "hello", "world", "!", "a", "b", "tok", "norm", "raw"]


def tiny_tokenizer(normalizer=None, pre_tokenizer=None, decoder=None):
    return Tokenizer.from_str(json.dumps({
        "version": "1.0", "added_tokens": [], "normalizer": normalizer, "pre_tokenizer": pre_tokenizer,
        "post_processor": None, "decoder": decoder,
        "model": {"type": "WordLevel", "vocab": {w: i for i, w in enumerate(WORDS)}, "unk_token": "[UNK]"},
    }))


TEXTS = [
    "Hello, World!", "  Spaces  around  ", "Café NAÏVE résumé", "e\u0301 and \u00e9", "ﬁ ① ＡＢＣ Ⅻ",
    "tabs\tand\nnewlines", "a-b--c-", "-lead", "x1y22z333", "12 34", "what's up?!", "日本語 text",
    "ǅ İ ΣΑΣ", "über-cool -- dash", "", "\u0000nul\u200bzw",
]


def split(pattern, behavior, invert=False, regex=False):
    return {"type": "Split", "pattern": {"Regex" if regex else "String": pattern},
            "behavior": behavior, "invert": invert}


NORMALIZERS = [
    {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": None,
     "lowercase": True},
    {"type": "BertNormalizer", "clean_text": False, "handle_chinese_chars": False, "strip_accents": True,
     "lowercase": False},
    {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": False,
     "lowercase": True},
    {"type": "Lowercase"}, {"type": "NFD"}, {"type": "NFC"}, {"type": "NFKC"}, {"type": "NFKD"},
    {"type": "StripAccents"},
    {"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "StripAccents"}, {"type": "Lowercase"}]},
    {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"},
    {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "},
    {"type": "Prepend", "prepend": "\u2581"},
    {"type": "Strip", "strip_left": True, "strip_right": True},
]

PRE_TOKENIZERS = [
    {"type": "BertPreTokenizer"}, {"type": "Whitespace"}, {"type": "WhitespaceSplit"},
    {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
    {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
    {"type": "Digits", "individual_digits": True}, {"type": "Digits", "individual_digits": False},
    {"type": "Punctuation", "behavior": "Isolated"}, {"type": "Punctuation", "behavior": "Removed"},
    {"type": "Punctuation", "behavior": "MergedWithPrevious"}, {"type": "Punctuation", "behavior": "Contiguous"},
    split("-", "Removed"), split("-", "Isolated"), split("-", "MergedWithPrevious"),
    split("-", "MergedWithNext"), split("-", "Contiguous"), split("-", "Isolated", invert=True),
    split("\\d+", "Isolated", regex=True), split("\\d+", "Removed", invert=True, regex=True),
    split("\\p{L}+", "MergedWithNext", regex=True),
    {"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, {"type": "Digits", "individual_digits": True}]},
    {"type": "Sequence", "pretokenizers": [
        {"type": "Digits", "individual_digits": True},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}]},
]

DECODERS = [
    ({"type": "WordPiece", "prefix": "##", "cleanup": True},
     [["hello", "##s", "world", ",", "don", "'", "t", "!", "it", "'", "s", "."], ["##a", "b"], []]),
    ({"type": "WordPiece", "prefix": "##", "cleanup": False}, [["hello", "##s", ",", "x"]]),
    ({"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
     [["Hello", "Ġworld", "ĊĊ", "Ã©"], ["Ã"], ["<|im_start|>", "x"]]),
    ({"type": "Sequence", "decoders": [
        {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "}, {"type": "ByteFallback"},
        {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
     [["\u2581Hello", "\u2581wor", "ld", "<0xE2>", "<0x82>", "<0xAC>"], ["\u2581a", "<0xFF>", "<0x41>", "b"]]),
    ({"type": "Strip", "content": "x", "start": 2, "stop": 1}, [["xxxaxx", "xa", "ab", "axx"]]),
    ({"type": "Fuse"}, [["a", " b", "c"]]),
]


def normalizer_cases():
    out = []
    for component in NORMALIZERS:
        tok = tiny_tokenizer(normalizer=component)
        out.append({"json": component, "cases": [[t, tok.normalizer.normalize_str(t)] for t in TEXTS]})
    return out


def pre_tokenizer_cases():
    out = []
    for component in PRE_TOKENIZERS:
        tok = tiny_tokenizer(pre_tokenizer=component)
        out.append({"json": component,
                    "cases": [[t, [p for p, _ in tok.pre_tokenizer.pre_tokenize_str(t)]] for t in TEXTS]})
    return out


def decoder_cases():
    out = []
    for component, token_lists in DECODERS:
        tok = tiny_tokenizer(decoder=component)
        out.append({"json": component, "cases": [[tokens, tok.decoder.decode(tokens)] for tokens in token_lists]})
    return out


# MARK: - Small whole tokenizers

def added(id_, content, special=False, lstrip=False, rstrip=False, single_word=False, normalized=None):
    return {"id": id_, "content": content, "single_word": single_word, "lstrip": lstrip, "rstrip": rstrip,
            "normalized": (not special) if normalized is None else normalized, "special": special}


def wordpiece_tokenizer():
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "hello", "world", "!", "a", "##b",
             "##c", "ab", ",", "runn", "##ing", "é", "e"]
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added(0, "[PAD]", True), added(1, "[UNK]", True), added(2, "[CLS]", True),
                         added(3, "[SEP]", True)],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]},
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 5, "vocab": {w: i for i, w in enumerate(vocab)}},
    }, ["unaffable", "Hello world!", "abc abcc", "abcabc", "unknown", "running runn", "ab, a,b", "É e",
        "", "[CLS] ab [SEP]", "aaaaa aaaaaa"]


def added_flags_tokenizer():
    words = ["[UNK]", "hello", "world", "a", "b", "tok", "tokens", "atok", ".", "say", "and", "raw", "x"]
    vocab = {w: i for i, w in enumerate(words)}
    extra = [added(20, "<mask>", special=True, lstrip=True), added(21, "[END]", special=True, rstrip=True),
             added(22, "tok", single_word=True), added(23, "NORM", normalized=True),
             added(24, "RAW", normalized=False), added(25, "<s>", special=True, lstrip=True, rstrip=True)]
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": extra,
        "normalizer": {"type": "Lowercase"}, "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": {"type": "RobertaProcessing", "sep": ["[END]", 21], "cls": ["<s>", 25],
                           "trim_offsets": True, "add_prefix_space": False},
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"},
    }, ["hello <mask> world", "hello   <mask>world", "a [END]   b", "tok tokens atok tok.", "tok_x tok",
        "say NORM and norm", "RAW raw Raw", "x<s>x", "a  <s>  b", "<mask><mask>", " <mask>", "[END]"]


def bpe_options_tokenizer():
    vocab = {"[UNK]": 0}
    for c in "abdehlorwx":
        for token in (c, "##" + c, c + "</w>", "##" + c + "</w>"):
            vocab.setdefault(token, len(vocab))
    merges = [("h", "##e"), ("he", "##l"), ("##l", "##o</w>"), ("hel", "##lo</w>"), ("##l", "##d</w>")]
    for a, b in merges:
        vocab.setdefault(a + b[2:], len(vocab))
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": [added(0, "[UNK]", True)],
        "normalizer": None, "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[UNK]", "type_id": 0}}],
                           "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
                           "special_tokens": {"[UNK]": {"id": "[UNK]", "ids": [0], "tokens": ["[UNK]"]}}},
        "decoder": None,
        "model": {"type": "BPE", "dropout": None, "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "end_of_word_suffix": "</w>", "fuse_unk": True, "byte_fallback": False,
                  "vocab": vocab, "merges": [f"{a} {b}" for a, b in merges]},
    }, ["hello", "held", "xyz hello", "hex", "qqq", "hello qq world", "h"]


def bpe_byte_fallback_tokenizer():
    vocab = {"<unk>": 0}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    for token in ["\u2581", "a", "b", "c", "\u2581a", "ab", "abc", "é"]:
        vocab[token] = len(vocab)
    merges = [["\u2581", "a"], ["a", "b"], ["ab", "c"]]
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": [added(0, "<unk>", True)],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "\u2581"}, {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
        "pre_tokenizer": None, "post_processor": None,
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "}, {"type": "ByteFallback"},
            {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                  "vocab": vocab, "merges": merges},
    }, ["abc", "a bc", "aé", "日本", "a🙂b", "", "abcabc cab"]


def tokenizer_cases():
    out = []
    for build in (wordpiece_tokenizer, added_flags_tokenizer, bpe_options_tokenizer, bpe_byte_fallback_tokenizer):
        data, texts = build()
        text = json.dumps(data, ensure_ascii=False)
        tok = Tokenizer.from_str(text)
        cases = []
        for t in texts:
            ids = tok.encode(t).ids
            cases.append({"text": t, "ids": ids, "ids_no_special": tok.encode(t, add_special_tokens=False).ids,
                          "decoded": tok.decode(ids, skip_special_tokens=True),
                          "decoded_keep_special": tok.decode(ids, skip_special_tokens=False)})
        out.append({"name": build.__name__, "json": text, "cases": cases})
    return out


def components():
    return {"normalizers": normalizer_cases(), "pre_tokenizers": pre_tokenizer_cases(),
            "decoders": decoder_cases(), "tokenizers": tokenizer_cases()}
