/// The character classes of the Rust `tokenizers` library, over Unicode scalar values.
///
/// - `\s`, `char::is_whitespace`: the Unicode White_Space property (Oniguruma's `\s` is the same set).
/// - `\p{L}`: general categories Lu, Ll, Lt, Lm, Lo. `\p{N}`, `char::is_numeric`: Nd, Nl, No.
/// - `\w` (Rust `regex`): Alphabetic, marks (Mn, Mc, Me), Nd, Pc, Join_Control.
/// - BERT punctuation, non-spacing marks and clean-text controls come from `unicode_categories`, and
///   StripAccents' combining marks from `unicode-normalization-alignments`, both older Unicode
///   versions than Swift's: those four sets are generated tables (`BertCharacterTables.swift`).
enum CharacterClass {
  /// Unicode White_Space.
  @inline(__always)
  static func isWhitespace(_ value: UInt32) -> Bool {
    if value < 0x80 { return value == 0x20 || (value >= 0x09 && value <= 0x0D) }
    return Unicode.Scalar(value)?.properties.isWhitespace ?? false
  }

  /// `\p{L}`.
  @inline(__always)
  static func isLetter(_ value: UInt32) -> Bool {
    if value < 0x80 { return (value | 0x20) >= 0x61 && (value | 0x20) <= 0x7A }
    guard let scalar = Unicode.Scalar(value) else { return false }
    switch scalar.properties.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
    default: return false
    }
  }

  /// `\p{N}` and Rust's `char::is_numeric`.
  @inline(__always)
  static func isNumber(_ value: UInt32) -> Bool {
    if value < 0x80 { return value >= 0x30 && value <= 0x39 }
    guard let scalar = Unicode.Scalar(value) else { return false }
    switch scalar.properties.generalCategory {
    case .decimalNumber, .letterNumber, .otherNumber: return true
    default: return false
    }
  }

  /// Rust `regex`'s Unicode `\w`.
  static func isWordCharacter(_ value: UInt32) -> Bool {
    if value < 0x80 {
      return isLetter(value) || (value >= 0x30 && value <= 0x39) || value == 0x5F
    }
    guard let scalar = Unicode.Scalar(value) else { return false }
    let properties = scalar.properties
    if properties.isAlphabetic || properties.isJoinControl { return true }
    switch properties.generalCategory {
    case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation:
      return true
    default: return false
    }
  }

  /// BERT's punctuation: ASCII punctuation (symbols included) or Unicode P* (old tables).
  static func isBertPunctuation(_ value: UInt32) -> Bool {
    if value < 0x80 {
      return (value >= 0x21 && value <= 0x2F) || (value >= 0x3A && value <= 0x40)
        || (value >= 0x5B && value <= 0x60) || (value >= 0x7B && value <= 0x7E)
    }
    return contains(bertPunctuationRanges, value)
  }

  /// Mn (old tables), as BertNormalizer's accent stripping removes after NFD.
  static func isNonspacingMark(_ value: UInt32) -> Bool {
    contains(nonspacingMarkRanges, value)
  }

  /// M* (old tables), as the StripAccents normalizer removes.
  static func isCombiningMark(_ value: UInt32) -> Bool {
    contains(combiningMarkRanges, value)
  }

  /// The characters BertNormalizer's clean_text removes.
  static func isRemovedByCleanText(_ value: UInt32) -> Bool {
    contains(cleanTextRemovedRanges, value)
  }

  /// The CJK ideograph blocks that BertNormalizer surrounds with spaces.
  static func isChineseCharacter(_ value: UInt32) -> Bool {
    switch value {
    case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
      0x2B740...0x2B81F, 0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
      return true
    default: return false
    }
  }

  /// Binary search in sorted, disjoint ranges.
  static func contains(_ ranges: [ClosedRange<UInt32>], _ value: UInt32) -> Bool {
    var low = 0
    var high = ranges.count
    while low < high {
      let middle = (low + high) / 2
      if ranges[middle].upperBound < value {
        low = middle + 1
      } else if ranges[middle].lowerBound > value {
        high = middle
      } else {
        return true
      }
    }
    return false
  }
}

/// Decodes UTF-8 scalars from a byte buffer (the buffer holds valid UTF-8: it comes from a String).
@inline(__always)
func decodeScalar(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (value: UInt32, length: Int) {
  let lead = UInt32(bytes[index])
  if lead < 0x80 { return (lead, 1) }
  if lead < 0xE0 {
    return ((lead & 0x1F) << 6 | UInt32(bytes[index + 1] & 0x3F), 2)
  }
  if lead < 0xF0 {
    return (
      (lead & 0x0F) << 12 | UInt32(bytes[index + 1] & 0x3F) << 6 | UInt32(bytes[index + 2] & 0x3F), 3
    )
  }
  let value =
    (lead & 0x07) << 18 | UInt32(bytes[index + 1] & 0x3F) << 12
    | UInt32(bytes[index + 2] & 0x3F) << 6 | UInt32(bytes[index + 3] & 0x3F)
  return (value, 4)
}

/// Calls `body` with the UTF-8 bytes of `text`.
@inline(__always)
func withUTF8<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
  var copy = text
  return copy.withUTF8(body)
}

/// The string of `bytes[range]` (a range on scalar boundaries).
@inline(__always)
func substring(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
  String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
}
