extension TokenizerExport {
  /// GPT-2's byte → printable character table (`bytes_to_unicode`).
  static let byteSymbols: [Unicode.Scalar] = {
    var printable = Array(33...126) + Array(161...172) + Array(174...255)
    var symbols = printable
    var extra = 0
    for byte in 0..<256 where !printable.contains(byte) {
      printable.append(byte)
      symbols.append(256 + extra)
      extra += 1
    }
    var table = [Unicode.Scalar](repeating: " ", count: 256)
    for (byte, symbol) in zip(printable, symbols) { table[byte] = Unicode.Scalar(UInt32(symbol))! }
    return table
  }()

  static let byteAlphabet = Set(byteSymbols)

  /// Whether every character of `token` is one of the 256 byte symbols.
  static func isByteLevel(_ token: String) -> Bool { token.unicodeScalars.allSatisfy(byteAlphabet.contains) }

  /// `token` in the byte alphabet: as is when it already is, else its UTF-8 bytes respelled
  /// (what transformers' GGUF converter does for a stray raw token).
  static func byteLevelSpelling(_ token: String) -> String {
    if isByteLevel(token) { return token }
    var out = String.UnicodeScalarView()
    for byte in token.utf8 { out.append(byteSymbols[Int(byte)]) }
    return String(out)
  }

  /// The control (special) and user-defined (not special) tokens, by id.
  var addedTokens: [(id: Int, content: String, special: Bool)] {
    tokenTypes.enumerated().compactMap { id, type in
      guard type == 3 || type == 4, Self.isByteLevel(tokens[id]) else { return nil }
      return (id, tokens[id], type == 3)
    }
  }

  private static func byteLevel(prefixSpace: Bool, trimOffsets: Bool, regex: Bool) -> JSONText {
    .object([
      ("type", .string("ByteLevel")), ("add_prefix_space", .bool(prefixSpace)),
      ("trim_offsets", .bool(trimOffsets)), ("use_regex", .bool(regex)),
    ])
  }

  private var preTokenizerJSON: JSONText {
    switch preTokenizer {
    case .gpt2:
      return Self.byteLevel(prefixSpace: false, trimOffsets: true, regex: true)
    case .digitsThenGPT2:
      let digits = JSONText.object([("type", .string("Digits")), ("individual_digits", .bool(true))])
      return .object([
        ("type", .string("Sequence")),
        ("pretokenizers", .array([digits, Self.byteLevel(prefixSpace: false, trimOffsets: true, regex: true)])),
      ])
    case .llama3:
      let split = JSONText.object([
        ("type", .string("Split")), ("pattern", .object([("Regex", .string(Self.llama3Split))])),
        ("behavior", .string("Isolated")), ("invert", .bool(false)),
      ])
      return .object([
        ("type", .string("Sequence")),
        ("pretokenizers", .array([split, Self.byteLevel(prefixSpace: false, trimOffsets: false, regex: false)])),
      ])
    }
  }

  /// With `add_bos_token`, a template that prepends BOS (as llama.cpp does); else ByteLevel.
  private var postProcessorJSON: JSONText {
    guard addBOS, let bos else { return Self.byteLevel(prefixSpace: true, trimOffsets: false, regex: true) }
    let token = tokens[bos]
    func special() -> JSONText { .object([("SpecialToken", .object([("id", .string(token)), ("type_id", .int(0))]))]) }
    func sequence(_ id: String, _ type: Int) -> JSONText {
      .object([("Sequence", .object([("id", .string(id)), ("type_id", .int(type))]))])
    }
    let entry = JSONText.object([
      ("id", .string(token)), ("ids", .array([.int(bos)])), ("tokens", .array([.string(token)])),
    ])
    return .object([
      ("type", .string("TemplateProcessing")),
      ("single", .array([special(), sequence("A", 0)])),
      ("pair", .array([special(), sequence("A", 0), special(), sequence("B", 1)])),
      ("special_tokens", .object([(token, entry)])),
    ])
  }

  /// `tokenizer.json`: a byte-level BPE model with the GGUF's vocabulary and merges.
  var tokenizerJSON: JSONText {
    var seen = [String: Int]()
    for (id, token) in tokens.enumerated() { seen[Self.byteLevelSpelling(token)] = id }  // last id wins
    let vocab: [(String, JSONText)] = tokens.enumerated().compactMap { id, token in
      let spelled = Self.byteLevelSpelling(token)
      return seen[spelled] == id ? (spelled, .int(id)) : nil
    }
    let added: [JSONText] = addedTokens.map { token in
      .object([
        ("id", .int(token.id)), ("content", .string(token.content)), ("single_word", .bool(false)),
        ("lstrip", .bool(false)), ("rstrip", .bool(false)), ("normalized", .bool(false)),
        ("special", .bool(token.special)),
      ])
    }
    let model = JSONText.object([
      ("type", .string("BPE")), ("dropout", .null), ("unk_token", .null), ("continuing_subword_prefix", .null),
      ("end_of_word_suffix", .null), ("fuse_unk", .bool(false)), ("byte_fallback", .bool(false)),
      ("ignore_merges", .bool(false)), ("vocab", .object(vocab)),
      ("merges", .array(merges.map { .array([.string($0.0), .string($0.1)]) })),
    ])
    return .object([
      ("version", .string("1.0")), ("truncation", .null), ("padding", .null), ("added_tokens", .array(added)),
      ("normalizer", .null), ("pre_tokenizer", preTokenizerJSON), ("post_processor", postProcessorJSON),
      ("decoder", Self.byteLevel(prefixSpace: true, trimOffsets: true, regex: true)), ("model", model),
    ])
  }

  /// `tokenizer_config.json`: the special tokens by content, BOS/EOS flags, the chat template.
  func tokenizerConfigJSON(maxLength: Int) -> JSONText {
    var members: [(String, JSONText)] = [("add_bos_token", .bool(addBOS)), ("add_eos_token", .bool(addEOS))]
    members.append(("add_prefix_space", .bool(false)))
    members.append(
      ("added_tokens_decoder", .object(addedTokens.map { token in
        (String(token.id), .object([
          ("content", .string(token.content)), ("lstrip", .bool(false)), ("normalized", .bool(false)),
          ("rstrip", .bool(false)), ("single_word", .bool(false)), ("special", .bool(token.special)),
        ]))
      })))
    if let bos { members.append(("bos_token", .string(tokens[bos]))) }
    if let chatTemplate { members.append(("chat_template", .string(chatTemplate))) }
    members.append(("clean_up_tokenization_spaces", .bool(false)))
    if let eos { members.append(("eos_token", .string(tokens[eos]))) }
    members.append(("model_max_length", .int(maxLength)))
    if let pad { members.append(("pad_token", .string(tokens[pad]))) }
    members.append(("tokenizer_class", .string("PreTrainedTokenizerFast")))
    if let unk { members.append(("unk_token", .string(tokens[unk]))) }
    return .object(members)
  }
}
