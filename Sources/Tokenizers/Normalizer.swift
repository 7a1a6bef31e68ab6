import Foundation

/// A `normalizer` of `tokenizer.json`: a pure function from text to text, run on each stretch of
/// text between added tokens.
indirect enum Normalizer: Sendable {
  /// BERT's cleaning, CJK spacing, accent stripping and lowercasing.
  case bert(cleanText: Bool, handleChineseChars: Bool, stripAccents: Bool, lowercase: Bool)
  /// Per-scalar full lowercase mapping (Rust `char::to_lowercase`).
  case lowercase
  /// Unicode normalization forms.
  case nfd, nfc, nfkd, nfkc
  /// Removes combining marks (no decomposition of its own).
  case stripAccents
  /// Removes leading and/or trailing whitespace.
  case strip(left: Bool, right: Bool)
  /// Replaces every occurrence of a literal string or a regex.
  case replace(ReplacePattern, content: String)
  /// Prepends a string to non-empty text.
  case prepend(String)
  /// Runs normalizers in order.
  case sequence([Normalizer])

  /// Parses the normalizer at `node`; `nil` for JSON null.
  static func parse(_ node: JSONNode) throws(TokenizerError) -> Normalizer? {
    if node.isNull { return nil }
    let type = try node.type()
    switch type {
    case "BertNormalizer":
      let lowercase = try node["lowercase"].bool(default: true)
      return .bert(
        cleanText: try node["clean_text"].bool(default: true),
        handleChineseChars: try node["handle_chinese_chars"].bool(default: true),
        // strip_accents null follows lowercase.
        stripAccents: try node["strip_accents"].optionalBool() ?? lowercase,
        lowercase: lowercase)
    case "Lowercase": return .lowercase
    case "NFD": return .nfd
    case "NFC": return .nfc
    case "NFKD": return .nfkd
    case "NFKC": return .nfkc
    case "StripAccents": return .stripAccents
    case "Strip":
      return .strip(
        left: try node["strip_left"].bool(default: true), right: try node["strip_right"].bool(default: true))
    case "Replace":
      return .replace(
        try ReplacePattern(node["pattern"]), content: try node["content"].string())
    case "Prepend": return .prepend(try node["prepend"].string())
    case "Sequence":
      var parts: [Normalizer] = []
      for element in try node["normalizers"].array() {
        guard let part = try parse(element) else { throw .missingField(path: element.path) }
        parts.append(part)
      }
      return .sequence(parts)
    default:
      throw .unsupportedNormalizer(path: "\(node.path).type", type: type)
    }
  }

  /// Normalizes `text`.
  func callAsFunction(_ text: String) -> String {
    switch self {
    case .bert(let cleanText, let handleChineseChars, let stripAccents, let lowercase):
      return Self.bert(text, cleanText, handleChineseChars, stripAccents, lowercase)
    case .lowercase: return Self.lowercased(text)
    case .nfd: return text.decomposedStringWithCanonicalMapping
    case .nfc: return text.precomposedStringWithCanonicalMapping
    case .nfkd: return text.decomposedStringWithCompatibilityMapping
    case .nfkc: return text.precomposedStringWithCompatibilityMapping
    case .stripAccents: return Self.removing(text, CharacterClass.isCombiningMark)
    case .strip(let left, let right): return Self.stripped(text, left: left, right: right)
    case .replace(let pattern, let content): return pattern.replaceAll(in: text, with: content)
    case .prepend(let prefix): return text.isEmpty ? text : prefix + text
    case .sequence(let parts): return parts.reduce(text) { $1($0) }
    }
  }

  private static func bert(
    _ text: String, _ cleanText: Bool, _ handleChineseChars: Bool, _ stripAccents: Bool,
    _ lowercase: Bool
  ) -> String {
    var scalars = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
      let value = scalar.value
      if cleanText {
        if CharacterClass.isRemovedByCleanText(value) { continue }
        if CharacterClass.isWhitespace(value) {
          scalars.append(" ")
          continue
        }
      }
      if handleChineseChars && CharacterClass.isChineseCharacter(value) {
        scalars.append(" ")
        scalars.append(scalar)
        scalars.append(" ")
      } else {
        scalars.append(scalar)
      }
    }
    var result = String(scalars)
    if stripAccents {
      result = removing(result.decomposedStringWithCanonicalMapping, CharacterClass.isNonspacingMark)
    }
    return lowercase ? lowercased(result) : result
  }

  /// Per-scalar lowercase mapping (no context rules such as final sigma).
  static func lowercased(_ text: String) -> String {
    if text.utf8.allSatisfy({ $0 < 0x80 }) { return text.lowercased() }
    var result = ""
    result.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars { result += scalar.properties.lowercaseMapping }
    return result
  }

  static func removing(_ text: String, _ predicate: (UInt32) -> Bool) -> String {
    var scalars = String.UnicodeScalarView()
    for scalar in text.unicodeScalars where !predicate(scalar.value) {
      scalars.append(scalar)
    }
    return String(scalars)
  }

  static func stripped(_ text: String, left: Bool, right: Bool) -> String {
    var scalars = Substring(text).unicodeScalars
    if left {
      while let first = scalars.first, CharacterClass.isWhitespace(first.value) { scalars.removeFirst() }
    }
    if right {
      while let last = scalars.last, CharacterClass.isWhitespace(last.value) { scalars.removeLast() }
    }
    return String(scalars)
  }
}

/// The `pattern` of Replace and Split: `{"String": ...}` or `{"Regex": ...}`.
enum ReplacePattern: Sendable {
  case literal(String)
  case regex(PatternRegex)

  init(_ node: JSONNode) throws(TokenizerError) {
    if let literal = try node["String"].optionalString() {
      self = .literal(literal)
    } else if let pattern = try node["Regex"].optionalString() {
      self = .regex(try PatternRegex(pattern, path: "\(node.path).Regex"))
    } else {
      throw .missingField(path: "\(node.path).String")
    }
  }

  /// Match ranges (UTF-8 byte offsets) in `text`.
  func matches(in text: String) -> [Range<Int>] {
    switch self {
    case .literal(let needle):
      let bytes = Array(needle.utf8)
      return withUTF8(text) { literalMatches($0, bytes) }
    case .regex(let regex):
      return regex.matches(in: text)
    }
  }

  func replaceAll(in text: String, with content: String) -> String {
    let matches = matches(in: text)
    if matches.isEmpty { return text }
    return withUTF8(text) { bytes in
      var result = ""
      var previous = 0
      for match in matches {
        result += substring(bytes, previous..<match.lowerBound)
        result += content
        previous = match.upperBound
      }
      result += substring(bytes, previous..<bytes.count)
      return result
    }
  }
}
