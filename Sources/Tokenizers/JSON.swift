/// A parsed JSON value. `tokenizer.json` files are read with this small parser (a BPE vocabulary
/// and its merges are ~100k strings; this keeps loading fast and its errors exact).
enum JSON: Sendable, Equatable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSON])
  case object([String: JSON])

  /// The JSON type's name, for error messages.
  var typeName: String {
    switch self {
    case .null: "null"
    case .bool: "a boolean"
    case .number: "a number"
    case .string: "a string"
    case .array: "an array"
    case .object: "an object"
    }
  }

  /// Parses `bytes` (UTF-8) as one JSON value.
  static func parse(_ bytes: [UInt8]) throws(TokenizerError) -> JSON {
    var parser = JSONParser(bytes: bytes)
    let value = try parser.value(depth: 0)
    parser.skipWhitespace()
    guard parser.position == bytes.count else {
      throw .invalidJSON(offset: parser.position, reason: "trailing characters")
    }
    return value
  }
}

/// A recursive-descent JSON parser over UTF-8 bytes.
private struct JSONParser {
  let bytes: [UInt8]
  var position = 0
  static let depthLimit = 512

  init(bytes: [UInt8]) { self.bytes = bytes }

  mutating func skipWhitespace() {
    while position < bytes.count {
      switch bytes[position] {
      case 0x20, 0x09, 0x0A, 0x0D: position += 1
      default: return
      }
    }
  }

  func fail(_ reason: String) -> TokenizerError { .invalidJSON(offset: position, reason: reason) }

  mutating func value(depth: Int) throws(TokenizerError) -> JSON {
    guard depth < Self.depthLimit else { throw fail("nesting deeper than \(Self.depthLimit)") }
    skipWhitespace()
    guard position < bytes.count else { throw fail("unexpected end of text") }
    switch bytes[position] {
    case UInt8(ascii: "{"): return try object(depth: depth)
    case UInt8(ascii: "["): return try array(depth: depth)
    case UInt8(ascii: "\""): return .string(try string())
    case UInt8(ascii: "t"): try literal("true"); return .bool(true)
    case UInt8(ascii: "f"): try literal("false"); return .bool(false)
    case UInt8(ascii: "n"): try literal("null"); return .null
    default: return .number(try number())
    }
  }

  mutating func literal(_ word: String) throws(TokenizerError) {
    let expected = Array(word.utf8)
    guard position + expected.count <= bytes.count,
      Array(bytes[position..<position + expected.count]) == expected
    else { throw fail("unknown literal") }
    position += expected.count
  }

  /// Consumes `closing` (after optional whitespace) or a comma; true when the container ended.
  mutating func separator(closing: UInt8) throws(TokenizerError) -> Bool {
    skipWhitespace()
    guard position < bytes.count else { throw fail("unexpected end of text") }
    if bytes[position] == UInt8(ascii: ",") {
      position += 1
      return false
    }
    guard bytes[position] == closing else { throw fail("expected ',' or '\(Character(.init(closing)))'") }
    position += 1
    return true
  }

  mutating func object(depth: Int) throws(TokenizerError) -> JSON {
    position += 1
    var result: [String: JSON] = [:]
    skipWhitespace()
    if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
      position += 1
      return .object(result)
    }
    repeat {
      skipWhitespace()
      guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
        throw fail("expected a string key")
      }
      let key = try string()
      skipWhitespace()
      guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
        throw fail("expected ':'")
      }
      position += 1
      result[key] = try value(depth: depth + 1)
    } while try !separator(closing: UInt8(ascii: "}"))
    return .object(result)
  }

  mutating func array(depth: Int) throws(TokenizerError) -> JSON {
    position += 1
    var result: [JSON] = []
    skipWhitespace()
    if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
      position += 1
      return .array(result)
    }
    repeat {
      result.append(try value(depth: depth + 1))
    } while try !separator(closing: UInt8(ascii: "]"))
    return .array(result)
  }

  mutating func string() throws(TokenizerError) -> String {
    position += 1
    let start = position
    // Fast path: no escapes.
    while position < bytes.count {
      let byte = bytes[position]
      if byte == UInt8(ascii: "\"") {
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        position += 1
        return text
      }
      if byte == UInt8(ascii: "\\") { break }
      if byte < 0x20 { throw fail("control character in string") }
      position += 1
    }
    var scratch = Array(bytes[start..<position])
    while position < bytes.count {
      let byte = bytes[position]
      switch byte {
      case UInt8(ascii: "\""):
        position += 1
        return String(decoding: scratch, as: UTF8.self)
      case UInt8(ascii: "\\"):
        try escape(into: &scratch)
      case 0..<0x20:
        throw fail("control character in string")
      default:
        scratch.append(byte)
        position += 1
      }
    }
    throw fail("unterminated string")
  }

  mutating func escape(into scratch: inout [UInt8]) throws(TokenizerError) {
    position += 1
    guard position < bytes.count else { throw fail("unterminated escape") }
    let byte = bytes[position]
    position += 1
    switch byte {
    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(byte)
    case UInt8(ascii: "b"): scratch.append(0x08)
    case UInt8(ascii: "f"): scratch.append(0x0C)
    case UInt8(ascii: "n"): scratch.append(0x0A)
    case UInt8(ascii: "r"): scratch.append(0x0D)
    case UInt8(ascii: "t"): scratch.append(0x09)
    case UInt8(ascii: "u"):
      var code = try hex4()
      if (0xD800..<0xDC00).contains(code), position + 6 <= bytes.count,
        bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u")
      {
        let save = position
        position += 2
        let low = try hex4()
        if (0xDC00..<0xE000).contains(low) {
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        } else {
          position = save
        }
      }
      // A lone surrogate cannot be a Swift string: it becomes U+FFFD.
      let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
      scratch.append(contentsOf: Array(String(scalar).utf8))
    default:
      throw fail("unknown escape")
    }
  }

  mutating func hex4() throws(TokenizerError) -> UInt32 {
    guard position + 4 <= bytes.count else { throw fail("short \\u escape") }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let byte = bytes[position]
      let digit: UInt8
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
      default: throw fail("bad hex digit in \\u escape")
      }
      value = value << 4 | UInt32(digit)
      position += 1
    }
    return value
  }

  mutating func number() throws(TokenizerError) -> Double {
    let start = position
    while position < bytes.count, Self.isNumberByte(bytes[position]) { position += 1 }
    let text = String(decoding: bytes[start..<position], as: UTF8.self)
    guard !text.isEmpty, let value = Double(text) else {
      position = start
      throw fail("unexpected character")
    }
    return value
  }

  static func isNumberByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"),
      UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"):
      true
    default: false
    }
  }
}
