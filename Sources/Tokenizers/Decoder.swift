/// The `decoder` of `tokenizer.json`: turns token strings back into text. Each decoder maps a
/// list of token strings to a new list (`decode_chain`); the final text is their concatenation.
indirect enum Decoder: Sendable {
  /// Byte-level characters back to bytes, then UTF-8 (invalid sequences become U+FFFD).
  case byteLevel
  /// Drops the `##` prefix of continuing pieces, spaces the others, optionally cleans up spaces.
  case wordPiece(prefix: String, cleanup: Bool)
  /// Replaces a literal or regex pattern in each token.
  case replace(ReplacePattern, content: String)
  /// Joins all tokens into one.
  case fuse
  /// Removes up to `start`/`stop` copies of `content` from each token's ends.
  case strip(content: Unicode.Scalar, start: Int, stop: Int)
  /// `<0xAB>` tokens back to bytes.
  case byteFallback
  /// Decoders in order.
  case sequence([Decoder])

  /// Parses the decoder at `node`; `nil` for JSON null.
  static func parse(_ node: JSONNode) throws(TokenizerError) -> Decoder? {
    if node.isNull { return nil }
    let type = try node.type()
    switch type {
    case "ByteLevel": return .byteLevel
    case "WordPiece":
      return .wordPiece(
        prefix: try node["prefix"].optionalString() ?? "##", cleanup: try node["cleanup"].bool(default: true))
    case "Replace":
      return .replace(try ReplacePattern(node["pattern"]), content: try node["content"].string())
    case "Fuse": return .fuse
    case "Strip":
      let content = try node["content"].string()
      guard content.unicodeScalars.count == 1, let scalar = content.unicodeScalars.first else {
        throw .invalidValue(path: "\(node.path).content", value: content, reason: "expected one character")
      }
      return .strip(content: scalar, start: try node["start"].int(), stop: try node["stop"].int())
    case "ByteFallback": return .byteFallback
    case "Sequence":
      var parts: [Decoder] = []
      for element in try node["decoders"].array() {
        guard let part = try parse(element) else { throw .missingField(path: element.path) }
        parts.append(part)
      }
      return .sequence(parts)
    default:
      throw .unsupportedDecoder(path: "\(node.path).type", type: type)
    }
  }

  /// One step of decoding.
  func decodeChain(_ tokens: [String]) -> [String] {
    switch self {
    case .byteLevel:
      var bytes: [UInt8] = []
      for token in tokens {
        bytes += ByteLevel.decode(token) ?? Array(token.utf8)
      }
      return [String(decoding: bytes, as: UTF8.self)]
    case .wordPiece(let prefix, let cleanup):
      return tokens.enumerated().map { index, token in
        var text = token
        if index != 0 {
          // Byte-wise, like Rust's `strip_prefix` (a grapheme-wise test would miss "##" + mark).
          text =
            text.utf8.starts(with: prefix.utf8)
            ? String(decoding: text.utf8.dropFirst(prefix.utf8.count), as: UTF8.self) : " " + text
        }
        return cleanup ? Self.cleanup(text) : text
      }
    case .replace(let pattern, let content):
      return tokens.map { pattern.replaceAll(in: $0, with: content) }
    case .fuse:
      return [tokens.joined()]
    case .strip(let content, let start, let stop):
      return tokens.map { Self.strip($0, content, start, stop) }
    case .byteFallback:
      return Self.byteFallback(tokens)
    case .sequence(let parts):
      return parts.reduce(tokens) { $1.decodeChain($0) }
    }
  }

  /// The WordPiece decoder's cleanup of tokenization spaces.
  static func cleanup(_ text: String) -> String {
    let rules = [
      (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
      (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
    ]
    return rules.reduce(text) { text, rule in
      ReplacePattern.literal(rule.0).replaceAll(in: text, with: rule.1)
    }
  }

  private static func strip(_ token: String, _ content: Unicode.Scalar, _ start: Int, _ stop: Int) -> String {
    let scalars = Array(token.unicodeScalars)
    var startCut = 0
    for i in 0..<min(start, scalars.count) {
      guard scalars[i] == content else { break }
      startCut = i + 1
    }
    var stopCut = scalars.count
    for i in 0..<min(stop, scalars.count) {
      let index = scalars.count - i - 1
      guard scalars[index] == content else { break }
      stopCut = index
    }
    guard startCut < stopCut else { return "" }
    return String(String.UnicodeScalarView(scalars[startCut..<stopCut]))
  }

  private static func byteFallback(_ tokens: [String]) -> [String] {
    var output: [String] = []
    var pending: [UInt8] = []
    func flush() {
      guard !pending.isEmpty else { return }
      if let text = String(validating: pending, as: UTF8.self) {
        output.append(text)
      } else {
        output += Array(repeating: "\u{FFFD}", count: pending.count)
      }
      pending.removeAll()
    }
    for token in tokens {
      let utf8 = Array(token.utf8)
      if utf8.count == 6, token.hasPrefix("<0x"), token.hasSuffix(">"),
        let byte = UInt8(String(decoding: utf8[3..<5], as: UTF8.self), radix: 16)
      {
        pending.append(byte)
      } else {
        flush()
        output.append(token)
      }
    }
    flush()
    return output
  }
}
