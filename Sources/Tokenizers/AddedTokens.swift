/// One entry of `added_tokens`.
public struct AddedToken: Sendable, Equatable {
  /// The token's id: that of the model vocabulary entry with the same content, else the next
  /// free id after the vocabulary, in file order (as `tokenizers` assigns them).
  public var id: Int
  /// The text the token stands for.
  public var content: String
  /// Special tokens are skipped by `decode(_:skipSpecialTokens:)` when asked.
  public var special: Bool
  /// Also swallow the whitespace on the token's left.
  public var leftStrip: Bool
  /// Also swallow the whitespace on the token's right.
  public var rightStrip: Bool
  /// Match only where the token is not inside a word (`\w` on neither side).
  public var singleWord: Bool
  /// Match against the normalized text (true) or the raw text (false).
  public var normalized: Bool

  init(_ node: JSONNode) throws(TokenizerError) {
    id = try node["id"].int()
    content = try node["content"].string()
    special = try node["special"].bool(default: false)
    leftStrip = try node["lstrip"].bool(default: false)
    rightStrip = try node["rstrip"].bool(default: false)
    singleWord = try node["single_word"].bool(default: false)
    normalized = try node["normalized"].bool(default: !special)
  }
}

/// A stretch of input after added-token extraction: an added token, or text still to tokenize.
enum Segment: Equatable {
  case token(Int)
  case text(String)
}

/// Finds added tokens in text the way the `tokenizers` AddedVocabulary does: leftmost-longest
/// matches, first on the raw text (tokens with `normalized: false`), then on each normalized
/// stretch in between (tokens with `normalized: true`, their content normalized too).
struct AddedTokenMatcher: Sendable {
  /// A token to look for: its UTF-8 pattern and its flags.
  struct Pattern: Sendable {
    var bytes: [UInt8]
    var token: AddedToken
  }

  /// Patterns by first byte, longest first.
  private var byFirstByte: [UInt8: [Pattern]] = [:]
  var isEmpty: Bool { byFirstByte.isEmpty }

  init(_ patterns: [Pattern]) {
    for pattern in patterns where !pattern.bytes.isEmpty {
      byFirstByte[pattern.bytes[0], default: []].append(pattern)
    }
    for key in byFirstByte.keys {
      // Longest first; among equals, the lower id (deterministic).
      byFirstByte[key]!.sort { ($0.bytes.count, -$0.token.id) > ($1.bytes.count, -$1.token.id) }
    }
  }

  /// Splits `text` into added tokens and the text between them (empty stretches dropped).
  func split(_ text: String) -> [Segment] {
    if isEmpty || text.isEmpty { return text.isEmpty ? [] : [.text(text)] }
    return withUTF8(text) { bytes in
      var segments: [Segment] = []
      var startOffset = 0
      var index = 0
      while index < bytes.count {
        guard let pattern = longestMatch(bytes, at: index) else {
          index += 1
          continue
        }
        var start = index
        var stop = index + pattern.bytes.count
        index = stop
        let token = pattern.token
        if token.singleWord {
          let wordBefore = start > 0 && Self.endsWithWord(bytes, start)
          let wordAfter = stop < bytes.count && Self.startsWithWord(bytes, stop)
          if wordBefore || wordAfter { continue }
        }
        if token.leftStrip { start = max(Self.trailingSpaceStart(bytes, start), startOffset) }
        if token.rightStrip { stop = Self.leadingSpaceEnd(bytes, stop) }
        if startOffset < start { segments.append(.text(substring(bytes, startOffset..<start))) }
        segments.append(.token(token.id))
        startOffset = stop
        index = max(index, stop)
      }
      if startOffset < bytes.count { segments.append(.text(substring(bytes, startOffset..<bytes.count))) }
      return segments
    }
  }

  private func longestMatch(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Pattern? {
    guard let candidates = byFirstByte[bytes[index]] else { return nil }
    for pattern in candidates where index + pattern.bytes.count <= bytes.count {
      var same = true
      for k in 1..<pattern.bytes.count where bytes[index + k] != pattern.bytes[k] {
        same = false
        break
      }
      if same { return pattern }
    }
    return nil
  }

  /// The scalar that ends just before byte `end`.
  private static func scalarBefore(_ bytes: UnsafeBufferPointer<UInt8>, _ end: Int) -> (UInt32, Int) {
    var start = end - 1
    while start > 0 && bytes[start] & 0xC0 == 0x80 { start -= 1 }
    return (decodeScalar(bytes, at: start).value, start)
  }

  private static func endsWithWord(_ bytes: UnsafeBufferPointer<UInt8>, _ end: Int) -> Bool {
    CharacterClass.isWordCharacter(scalarBefore(bytes, end).0)
  }

  private static func startsWithWord(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int) -> Bool {
    CharacterClass.isWordCharacter(decodeScalar(bytes, at: start).value)
  }

  /// Where the whitespace run ending at `end` starts (`\s*$` on `bytes[..<end]`).
  private static func trailingSpaceStart(_ bytes: UnsafeBufferPointer<UInt8>, _ end: Int) -> Int {
    var position = end
    while position > 0 {
      let (value, start) = scalarBefore(bytes, position)
      guard CharacterClass.isWhitespace(value) else { break }
      position = start
    }
    return position
  }

  /// Where the whitespace run starting at `start` ends (`^\s*` on `bytes[start...]`).
  private static func leadingSpaceEnd(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int {
    var position = start
    while position < bytes.count {
      let (value, length) = decodeScalar(bytes, at: position)
      guard CharacterClass.isWhitespace(value) else { break }
      position += length
    }
    return position
  }
}
