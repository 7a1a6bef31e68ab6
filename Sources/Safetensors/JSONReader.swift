/// A strict, allocation-light pull reader for JSON text (RFC 8259), written because Foundation's
/// `JSONSerialization` silently keeps one of two duplicate keys.
///
/// Use it in two passes: `skipValue()` over the whole text first validates the syntax, the
/// nesting depth and the uniqueness of keys; then a schema-directed pass reads what it needs
/// with `readObject`, `readString` and `readNumberLiteral`, knowing the text is well formed.
struct JSONReader {
  /// The deepest nesting of arrays and objects accepted; the safetensors schema needs 3.
  static let maxDepth = 32

  let bytes: UnsafeRawBufferPointer
  var position: Int

  init(_ bytes: UnsafeRawBufferPointer, position: Int = 0) {
    self.bytes = bytes
    self.position = position
  }

  /// The byte at the current position, or `nil` at the end.
  var current: UInt8? { position < bytes.count ? bytes[position] : nil }

  mutating func skipWhitespace() {
    while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
      position += 1
    }
  }

  func failure(_ reason: String) -> SafetensorsError {
    .invalidJSON(offset: position, reason: reason)
  }

  mutating func expect(_ byte: UInt8, _ what: String) throws(SafetensorsError) {
    guard current == byte else { throw failure("expected \(what)") }
    position += 1
  }

  /// The raw text of the value at the current position (at most `limit` characters, then `…`),
  /// for error messages; leaves the position unchanged. Assumes a validated text.
  func valueText(limit: Int = 40) -> String {
    var copy = self
    let start = position
    do { try copy.skipValue(depth: 0, parent: nil) } catch { return "malformed JSON" }
    let count = copy.position - start
    let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + min(count, limit))])
    let text = String(decoding: slice, as: UTF8.self)
    return count > limit ? text + "…" : text
  }

  // MARK: Validation pass

  /// Skips one value, validating its syntax, its depth and the uniqueness of its keys.
  mutating func skipValue(depth: Int, parent: String?) throws(SafetensorsError) {
    skipWhitespace()
    guard let byte = current else { throw failure("unexpected end of text, expected a value") }
    switch byte {
    case UInt8(ascii: "{"), UInt8(ascii: "["):
      guard depth < Self.maxDepth else {
        throw .jsonTooDeep(offset: position, limit: Self.maxDepth)
      }
      if byte == UInt8(ascii: "{") {
        var keys = Set<String>()
        try readObject { (reader, key) throws(SafetensorsError) in
          guard keys.insert(key).inserted else { throw .duplicateKey(key: key, parent: parent) }
          try reader.skipValue(depth: depth + 1, parent: key)
        }
      } else {
        try readArray { (reader) throws(SafetensorsError) in
          try reader.skipValue(depth: depth + 1, parent: parent)
        }
      }
    case UInt8(ascii: "\""): _ = try readString()
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try readNumberLiteral()
    case UInt8(ascii: "t"): try readKeyword("true")
    case UInt8(ascii: "f"): try readKeyword("false")
    case UInt8(ascii: "n"): try readKeyword("null")
    default: throw failure("unexpected byte \(hex(byte)), expected a value")
    }
  }

  private mutating func readKeyword(_ word: StaticString) throws(SafetensorsError) {
    let length = word.utf8CodeUnitCount
    guard position + length <= bytes.count else { throw failure("expected `\(word)`") }
    for i in 0..<length where bytes[position + i] != word.utf8Start[i] {
      throw failure("expected `\(word)`")
    }
    position += length
  }

  // MARK: Structure

  /// Reads `{ "key": value, ... }`, calling `body` positioned at each value, which it must consume.
  mutating func readObject(
    _ body: (inout JSONReader, String) throws(SafetensorsError) -> Void
  ) throws(SafetensorsError) {
    skipWhitespace()
    try expect(UInt8(ascii: "{"), "`{`")
    skipWhitespace()
    if current == UInt8(ascii: "}") {
      position += 1
      return
    }
    while true {
      skipWhitespace()
      guard current == UInt8(ascii: "\"") else { throw failure("expected a string key") }
      let key = try readString()
      skipWhitespace()
      try expect(UInt8(ascii: ":"), "`:` after an object key")
      skipWhitespace()
      try body(&self, key)
      skipWhitespace()
      if current == UInt8(ascii: "}") {
        position += 1
        return
      }
      try expect(UInt8(ascii: ","), "`,` or `}` in an object")
    }
  }

  /// Reads `[ value, ... ]`, calling `body` positioned at each element, which it must consume.
  mutating func readArray(
    _ body: (inout JSONReader) throws(SafetensorsError) -> Void
  ) throws(SafetensorsError) {
    skipWhitespace()
    try expect(UInt8(ascii: "["), "`[`")
    skipWhitespace()
    if current == UInt8(ascii: "]") {
      position += 1
      return
    }
    while true {
      skipWhitespace()
      try body(&self)
      skipWhitespace()
      if current == UInt8(ascii: "]") {
        position += 1
        return
      }
      try expect(UInt8(ascii: ","), "`,` or `]` in an array")
    }
  }

  // MARK: Scalars

  /// Reads a number and returns its literal text, checking the JSON number grammar.
  mutating func readNumberLiteral() throws(SafetensorsError) -> String {
    let start = position
    if current == UInt8(ascii: "-") { position += 1 }
    guard let first = current, isDigit(first) else { throw failure("expected a digit") }
    position += 1
    if first != UInt8(ascii: "0") { skipDigits() }
    if current == UInt8(ascii: ".") {
      position += 1
      guard let digit = current, isDigit(digit) else { throw failure("expected a digit after `.`") }
      skipDigits()
    }
    if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
      position += 1
      if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
      guard let digit = current, isDigit(digit) else { throw failure("expected an exponent") }
      skipDigits()
    }
    return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
  }

  private func isDigit(_ byte: UInt8) -> Bool {
    byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
  }

  private mutating func skipDigits() {
    while let byte = current, isDigit(byte) { position += 1 }
  }

  /// Reads a string, resolving escapes; rejects raw control characters and lone surrogates.
  /// The text must already be valid UTF-8.
  mutating func readString() throws(SafetensorsError) -> String {
    try expect(UInt8(ascii: "\""), "`\"`")
    var utf8: [UInt8] = []
    while true {
      guard let byte = current else { throw failure("unterminated string") }
      switch byte {
      case UInt8(ascii: "\""):
        position += 1
        return String(decoding: utf8, as: UTF8.self)
      case UInt8(ascii: "\\"):
        position += 1
        try readEscape(into: &utf8)
      case 0..<0x20:
        throw failure("control character \(hex(byte)) in a string")
      default:
        utf8.append(byte)
        position += 1
      }
    }
  }

  private mutating func readEscape(into utf8: inout [UInt8]) throws(SafetensorsError) {
    guard let byte = current else { throw failure("unterminated escape") }
    position += 1
    switch byte {
    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(byte)
    case UInt8(ascii: "b"): utf8.append(0x08)
    case UInt8(ascii: "f"): utf8.append(0x0C)
    case UInt8(ascii: "n"): utf8.append(0x0A)
    case UInt8(ascii: "r"): utf8.append(0x0D)
    case UInt8(ascii: "t"): utf8.append(0x09)
    case UInt8(ascii: "u"):
      var scalar = try readHex4()
      if (0xD800..<0xDC00).contains(scalar) {
        guard current == UInt8(ascii: "\\") else { throw failure("lone surrogate in \\u escape") }
        position += 1
        try expect(UInt8(ascii: "u"), "a low surrogate escape")
        let low = try readHex4()
        guard (0xDC00..<0xE000).contains(low) else { throw failure("invalid low surrogate") }
        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
      } else if (0xDC00..<0xE000).contains(scalar) {
        throw failure("lone surrogate in \\u escape")
      }
      utf8.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
    default: throw failure("invalid escape \\\(Character(Unicode.Scalar(byte)))")
    }
  }

  private mutating func readHex4() throws(SafetensorsError) -> UInt32 {
    var value: UInt32 = 0
    for _ in 0..<4 {
      guard let byte = current, let digit = hexDigitValue(byte) else {
        throw failure("expected four hex digits in a \\u escape")
      }
      value = value << 4 | digit
      position += 1
    }
    return value
  }

  private func hexDigitValue(_ byte: UInt8) -> UInt32? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
    default: nil
    }
  }
}

/// The offset of the first byte that breaks UTF-8 (RFC 3629: no overlongs, no surrogates,
/// nothing above U+10FFFF), or `nil` when all of `bytes` is valid.
func firstInvalidUTF8Offset(_ bytes: UnsafeRawBufferPointer) -> Int? {
  var i = 0
  let n = bytes.count
  while i < n {
    let lead = bytes[i]
    if lead < 0x80 {
      i += 1
      continue
    }
    let length: Int
    var secondRange: ClosedRange<UInt8> = 0x80...0xBF
    switch lead {
    case 0xC2...0xDF: length = 2
    case 0xE0: length = 3; secondRange = 0xA0...0xBF
    case 0xE1...0xEC, 0xEE...0xEF: length = 3
    case 0xED: length = 3; secondRange = 0x80...0x9F
    case 0xF0: length = 4; secondRange = 0x90...0xBF
    case 0xF1...0xF3: length = 4
    case 0xF4: length = 4; secondRange = 0x80...0x8F
    default: return i
    }
    guard i + length <= n else { return i }
    guard secondRange.contains(bytes[i + 1]) else { return i }
    for k in 2..<length where !(0x80...0xBF).contains(bytes[i + k]) { return i }
    i += length
  }
  return nil
}
