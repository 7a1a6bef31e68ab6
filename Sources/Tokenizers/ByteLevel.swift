/// GPT-2's byte-level alphabet and its pre-tokenization regex, hand-written as a scanner.
enum ByteLevel {
  /// The character GPT-2 uses for each byte: printable Latin-1 bytes stand for themselves, the
  /// others (controls, space, 0x7F-0xA0, 0xAD) map in order to U+0100, U+0101, ...
  static let byteToScalar: [Unicode.Scalar] = {
    var table = [Unicode.Scalar](repeating: "\0", count: 256)
    var next: UInt32 = 256
    for byte in 0..<256 {
      let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
      if printable {
        table[byte] = Unicode.Scalar(UInt32(byte))!
      } else {
        table[byte] = Unicode.Scalar(next)!
        next += 1
      }
    }
    return table
  }()

  /// The byte behind each alphabet character (scalar value → byte).
  static let scalarToByte: [UInt32: UInt8] = {
    var table: [UInt32: UInt8] = [:]
    for (byte, scalar) in byteToScalar.enumerated() { table[scalar.value] = UInt8(byte) }
    return table
  }()

  /// The byte-level form of `text`: each UTF-8 byte becomes one alphabet character.
  static func encode(_ text: String) -> String {
    var scalars = String.UnicodeScalarView()
    for byte in text.utf8 { scalars.append(byteToScalar[Int(byte)]) }
    return String(scalars)
  }

  /// The bytes behind `token`, or `nil` when a character is outside the alphabet.
  static func decode(_ token: String) -> [UInt8]? {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(token.unicodeScalars.count)
    for scalar in token.unicodeScalars {
      guard let byte = scalarToByte[scalar.value] else { return nil }
      bytes.append(byte)
    }
    return bytes
  }

  /// The matches of `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`,
  /// leftmost-first like Oniguruma. Every scalar falls in some alternative, so the matches tile
  /// the text.
  static func gpt2Split(_ bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
    var pieces: [Range<Int>] = []
    pieces.reserveCapacity(bytes.count / 4 + 1)
    var index = 0
    while index < bytes.count {
      let end = gpt2MatchEnd(bytes, from: index)
      pieces.append(index..<end)
      index = end
    }
    return pieces
  }

  private enum Kind { case letter, number, other, space }

  @inline(__always)
  private static func kind(_ value: UInt32) -> Kind {
    if CharacterClass.isLetter(value) { return .letter }
    if CharacterClass.isNumber(value) { return .number }
    if CharacterClass.isWhitespace(value) { return .space }
    return .other
  }

  /// Where the match starting at `start` ends.
  private static func gpt2MatchEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
    if let end = contractionEnd(bytes, from: start) { return end }
    let (first, firstLength) = decodeScalar(bytes, at: start)
    var runStart = start
    var runKind = kind(first)
    if first == 0x20, start + 1 < bytes.count {
      // ` ?X+`: a single space may lead a run of letters, numbers or other characters.
      let (next, _) = decodeScalar(bytes, at: start + 1)
      let nextKind = kind(next)
      if nextKind != .space {
        runStart = start + 1
        runKind = nextKind
      }
    } else if runKind != .space {
      runStart = start
    }
    if runKind != .space {
      var index = runStart
      while index < bytes.count {
        let (value, length) = decodeScalar(bytes, at: index)
        if kind(value) != runKind { break }
        index += length
      }
      return index
    }
    // `\s+(?!\S)|\s+`: a whitespace run leaves its last character to what follows it.
    var index = start + firstLength
    var lastStart = start
    while index < bytes.count {
      let (value, length) = decodeScalar(bytes, at: index)
      if !CharacterClass.isWhitespace(value) {
        return lastStart > start ? lastStart : index
      }
      lastStart = index
      index += length
    }
    return index
  }

  /// The end of `'s|'t|'re|'ve|'m|'ll|'d` at `start`, if one is there.
  @inline(__always)
  private static func contractionEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
    guard bytes[start] == UInt8(ascii: "'"), start + 1 < bytes.count else { return nil }
    switch bytes[start + 1] {
    case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"):
      return start + 2
    case UInt8(ascii: "r"), UInt8(ascii: "v"):
      return start + 2 < bytes.count && bytes[start + 2] == UInt8(ascii: "e") ? start + 3 : nil
    case UInt8(ascii: "l"):
      return start + 2 < bytes.count && bytes[start + 2] == UInt8(ascii: "l") ? start + 3 : nil
    default:
      return nil
    }
  }
}
