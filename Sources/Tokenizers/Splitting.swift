/// What a split does with the delimiters it finds (the `behavior` field of Split, Punctuation).
enum SplitBehavior: String, Sendable {
  case removed = "Removed"
  case isolated = "Isolated"
  case mergedWithPrevious = "MergedWithPrevious"
  case mergedWithNext = "MergedWithNext"
  case contiguous = "Contiguous"

  init(_ node: JSONNode, default defaultValue: SplitBehavior) throws(TokenizerError) {
    guard let name = try node.optionalString() else {
      self = defaultValue
      return
    }
    guard let behavior = SplitBehavior(rawValue: name) else {
      throw .unknownSplitBehavior(path: node.path, behavior: name)
    }
    self = behavior
  }
}

/// A stretch of text (UTF-8 byte offsets) and whether it is a delimiter match.
struct SplitEvent {
  var range: Range<Int>
  var isMatch: Bool
}

/// Applies `behavior` to the events of one text, exactly as `NormalizedString::split` does, and
/// returns the ranges of the pieces it keeps (empty ones dropped, as `PreTokenizedString` does).
func applySplitBehavior(_ events: [SplitEvent], _ behavior: SplitBehavior) -> [Range<Int>] {
  // Each output is (range, remove).
  var output: [(Range<Int>, Bool)] = []
  switch behavior {
  case .isolated:
    output = events.map { ($0.range, false) }
  case .removed:
    output = events.map { ($0.range, $0.isMatch) }
  case .contiguous:
    var previousMatch = false
    for event in events {
      if event.isMatch == previousMatch, let last = output.last {
        output[output.count - 1].0 = last.0.lowerBound..<event.range.upperBound
      } else {
        output.append((event.range, false))
      }
      previousMatch = event.isMatch
    }
  case .mergedWithPrevious:
    var previousMatch = false
    for event in events {
      if event.isMatch && !previousMatch, let last = output.last {
        output[output.count - 1].0 = last.0.lowerBound..<event.range.upperBound
      } else {
        output.append((event.range, false))
      }
      previousMatch = event.isMatch
    }
  case .mergedWithNext:
    var previousMatch = false
    for event in events.reversed() {
      if event.isMatch && !previousMatch, let last = output.last {
        output[output.count - 1].0 = event.range.lowerBound..<last.0.upperBound
      } else {
        output.append((event.range, false))
      }
      previousMatch = event.isMatch
    }
    output.reverse()
  }
  return output.compactMap { range, remove in remove || range.isEmpty ? nil : range }
}

/// The events of a per-character predicate: each matching scalar is its own match.
func predicateEvents(_ bytes: UnsafeBufferPointer<UInt8>, _ predicate: (UInt32) -> Bool) -> [SplitEvent] {
  var events: [SplitEvent] = []
  var lastOffset = 0
  var index = 0
  while index < bytes.count {
    let (value, length) = decodeScalar(bytes, at: index)
    if predicate(value) {
      if lastOffset < index { events.append(SplitEvent(range: lastOffset..<index, isMatch: false)) }
      events.append(SplitEvent(range: index..<index + length, isMatch: true))
      lastOffset = index + length
    }
    index += length
  }
  if lastOffset < bytes.count {
    events.append(SplitEvent(range: lastOffset..<bytes.count, isMatch: false))
  }
  return events
}

/// The events of match ranges found in a text of `count` bytes (gaps become non-matches).
func eventsFromMatches(_ matches: [Range<Int>], count: Int) -> [SplitEvent] {
  var events: [SplitEvent] = []
  var previous = 0
  for match in matches {
    if previous != match.lowerBound {
      events.append(SplitEvent(range: previous..<match.lowerBound, isMatch: false))
    }
    events.append(SplitEvent(range: match, isMatch: true))
    previous = match.upperBound
  }
  if previous != count { events.append(SplitEvent(range: previous..<count, isMatch: false)) }
  return events
}

/// Non-overlapping leftmost occurrences of `needle` in `bytes`.
func literalMatches(_ bytes: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> [Range<Int>] {
  guard !needle.isEmpty, needle.count <= bytes.count else { return [] }
  var matches: [Range<Int>] = []
  var index = 0
  let first = needle[0]
  while index + needle.count <= bytes.count {
    if bytes[index] == first {
      var same = true
      for k in 1..<needle.count where bytes[index + k] != needle[k] {
        same = false
        break
      }
      if same {
        matches.append(index..<index + needle.count)
        index += needle.count
        continue
      }
    }
    index += 1
  }
  return matches
}

/// A regular expression (Swift `Regex`, matched over Unicode scalars like Oniguruma).
struct PatternRegex: @unchecked Sendable {
  // `Regex<AnyRegexOutput>` is immutable after creation; it is only read here.
  let regex: Regex<AnyRegexOutput>
  let pattern: String

  init(_ pattern: String, path: String) throws(TokenizerError) {
    do {
      regex = try Regex(Self.onigurumaDigits(pattern)).matchingSemantics(.unicodeScalar)
    } catch {
      throw .invalidRegex(path: path, pattern: pattern, reason: "\(error)")
    }
    self.pattern = pattern
  }

  /// Oniguruma's `\d` is `\p{Nd}`; Swift's also takes other numerals (①, Ⅻ): spell it out.
  static func onigurumaDigits(_ pattern: String) -> String {
    var result = ""
    var escaped = false
    for character in pattern.unicodeScalars {
      if escaped {
        switch character {
        case "d": result += "p{Nd}"
        case "D": result += "P{Nd}"
        default: result.unicodeScalars.append(character)
        }
        escaped = false
      } else {
        result.unicodeScalars.append(character)
        escaped = character == "\\"
      }
    }
    return result
  }

  /// Match ranges as UTF-8 byte offsets into `text`.
  func matches(in text: String) -> [Range<Int>] {
    let utf8 = text.utf8
    return text.matches(of: regex).compactMap { match in
      let range = match.range
      guard !range.isEmpty else { return nil }
      let lower = utf8.distance(from: utf8.startIndex, to: range.lowerBound)
      let upper = utf8.distance(from: utf8.startIndex, to: range.upperBound)
      return lower..<upper
    }
  }
}
