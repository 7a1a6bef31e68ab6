/// A stretch of text on its way to the model.
///
/// When `byteLevel` is true, the piece's logical text is the GPT-2 byte-level form of `text`
/// (one alphabet character per UTF-8 byte); keeping the raw text lets byte-level BPE map bytes
/// straight to ids. A component that must see the logical text calls `materialized()`.
struct Piece: Sendable {
  var text: String
  var byteLevel: Bool

  /// The piece with its byte-level form spelled out.
  func materialized() -> Piece {
    byteLevel ? Piece(text: ByteLevel.encode(text), byteLevel: false) : self
  }
}

/// A `pre_tokenizer` of `tokenizer.json`: splits a piece into smaller pieces.
indirect enum PreTokenizer: Sendable {
  /// Whitespace removed, then BERT punctuation isolated.
  case bert
  /// Keeps `\w+` and `[^\w\s]+` runs, drops whitespace.
  case whitespace
  /// Splits on whitespace, dropping it.
  case whitespaceSplit
  /// GPT-2 byte level: optional prefix space, the GPT-2 regex, then the byte alphabet.
  case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
  /// Numbers (`char::is_numeric`) isolated one by one, or kept together.
  case digits(individual: Bool)
  /// A literal or regex pattern with a split behavior; `invert` makes matches the content.
  case split(ReplacePattern, SplitBehavior, invert: Bool)
  /// BERT punctuation with a split behavior.
  case punctuation(SplitBehavior)
  /// Pre-tokenizers in order.
  case sequence([PreTokenizer])

  /// Parses the pre-tokenizer at `node`; `nil` for JSON null.
  static func parse(_ node: JSONNode) throws(TokenizerError) -> PreTokenizer? {
    if node.isNull { return nil }
    let type = try node.type()
    switch type {
    case "BertPreTokenizer": return .bert
    case "Whitespace": return .whitespace
    case "WhitespaceSplit": return .whitespaceSplit
    case "ByteLevel":
      return .byteLevel(
        addPrefixSpace: try node["add_prefix_space"].bool(default: true),
        useRegex: try node["use_regex"].bool(default: true))
    case "Digits": return .digits(individual: try node["individual_digits"].bool(default: false))
    case "Split":
      return .split(
        try ReplacePattern(node["pattern"]), try SplitBehavior(node["behavior"], default: .removed),
        invert: try node["invert"].bool(default: false))
    case "Punctuation": return .punctuation(try SplitBehavior(node["behavior"], default: .isolated))
    case "Sequence":
      var parts: [PreTokenizer] = []
      for element in try node["pretokenizers"].array() {
        guard let part = try parse(element) else { throw .missingField(path: element.path) }
        parts.append(part)
      }
      return .sequence(parts)
    default:
      throw .unsupportedPreTokenizer(path: "\(node.path).type", type: type)
    }
  }

  /// Splits every piece.
  func callAsFunction(_ pieces: [Piece]) -> [Piece] {
    if case .sequence(let parts) = self { return parts.reduce(pieces) { $1($0) } }
    var output: [Piece] = []
    output.reserveCapacity(pieces.count * 2)
    for piece in pieces { split(piece, into: &output) }
    return output
  }

  private func split(_ input: Piece, into output: inout [Piece]) {
    if input.text.isEmpty { return }
    if case .byteLevel(let addPrefixSpace, let useRegex) = self {
      var text = input.materialized().text
      if addPrefixSpace && !text.hasPrefix(" ") { text = " " + text }
      guard useRegex else {
        output.append(Piece(text: text, byteLevel: true))
        return
      }
      withUTF8(text) { bytes in
        for range in ByteLevel.gpt2Split(bytes) {
          output.append(Piece(text: substring(bytes, range), byteLevel: true))
        }
      }
      return
    }
    let text = input.materialized().text
    if case .split(let pattern, _, _) = self {
      let matches = pattern.matches(in: text)
      emit(text, into: &output) { bytes in apply(eventsFromMatches(matches, count: bytes.count)) }
      return
    }
    emit(text, into: &output) { bytes in ranges(bytes) }
  }

  /// Appends the pieces of `text` that `cut` finds.
  private func emit(
    _ text: String, into output: inout [Piece], _ cut: (UnsafeBufferPointer<UInt8>) -> [Range<Int>]
  ) {
    withUTF8(text) { bytes in
      for range in cut(bytes) { output.append(Piece(text: substring(bytes, range), byteLevel: false)) }
    }
  }

  private func apply(_ events: [SplitEvent]) -> [Range<Int>] {
    guard case .split(_, let behavior, let invert) = self else { return [] }
    let flipped = invert ? events.map { SplitEvent(range: $0.range, isMatch: !$0.isMatch) } : events
    return applySplitBehavior(flipped, behavior)
  }

  /// The piece ranges of the scanner-based pre-tokenizers (all but ByteLevel, Sequence, Split).
  private func ranges(_ bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
    switch self {
    case .bert:
      return Self.wordRanges(bytes) { value in
        CharacterClass.isWhitespace(value) ? .drop : CharacterClass.isBertPunctuation(value) ? .alone : .word
      }
    case .whitespaceSplit:
      return Self.wordRanges(bytes) { CharacterClass.isWhitespace($0) ? .drop : .word }
    case .whitespace:
      return Self.whitespaceRanges(bytes)
    case .digits(let individual):
      let events = predicateEvents(bytes, CharacterClass.isNumber)
      return applySplitBehavior(events, individual ? .isolated : .contiguous)
    case .punctuation(let behavior):
      return applySplitBehavior(predicateEvents(bytes, CharacterClass.isBertPunctuation), behavior)
    case .byteLevel, .sequence, .split:
      return [0..<bytes.count]
    }
  }

  private enum Role { case word, alone, drop }

  /// Runs of `.word` scalars; `.alone` scalars stand by themselves; `.drop` scalars separate.
  private static func wordRanges(
    _ bytes: UnsafeBufferPointer<UInt8>, _ role: (UInt32) -> Role
  ) -> [Range<Int>] {
    var ranges: [Range<Int>] = []
    var wordStart = -1
    var index = 0
    while index < bytes.count {
      let (value, length) = decodeScalar(bytes, at: index)
      let current = role(value)
      if current != .word, wordStart >= 0 {
        ranges.append(wordStart..<index)
        wordStart = -1
      }
      switch current {
      case .word: if wordStart < 0 { wordStart = index }
      case .alone: ranges.append(index..<index + length)
      case .drop: break
      }
      index += length
    }
    if wordStart >= 0 { ranges.append(wordStart..<bytes.count) }
    return ranges
  }

  /// `\w+|[^\w\s]+` matches, whitespace dropped.
  private static func whitespaceRanges(_ bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
    var ranges: [Range<Int>] = []
    var runStart = -1
    var runIsWord = false
    var index = 0
    while index < bytes.count {
      let (value, length) = decodeScalar(bytes, at: index)
      let isSpace = CharacterClass.isWhitespace(value)
      let isWord = !isSpace && CharacterClass.isWordCharacter(value)
      if runStart >= 0 && (isSpace || isWord != runIsWord) {
        ranges.append(runStart..<index)
        runStart = -1
      }
      if !isSpace && runStart < 0 {
        runStart = index
        runIsWord = isWord
      }
      index += length
    }
    if runStart >= 0 { ranges.append(runStart..<bytes.count) }
    return ranges
  }
}
