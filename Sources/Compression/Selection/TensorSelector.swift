import Foundation

/// One `targets`/`ignore` entry: an exact tensor name, a glob, or a `re:` regular expression.
///
/// - A string starting with `re:` is a regular expression matched from the start of the name
///   (like Python's `re.match`, which llm-compressor's selectors use).
/// - A string containing `*`, `?` or `[` is a shell glob (`fnmatch` without path rules, so `*`
///   also matches dots).
/// - Anything else must equal the tensor name.
public struct TensorSelector: Sendable, Equatable, CustomStringConvertible {
  enum Kind: Sendable, Equatable {
    case exact
    case glob
    case regex
  }

  /// The selector as the user wrote it.
  public let text: String
  let kind: Kind

  /// Parses a selector, validating regular expressions once.
  public init(_ text: String) throws(CompressionError) {
    self.text = text
    if text.hasPrefix("re:") {
      do {
        _ = try Regex(String(text.dropFirst(3)))
      } catch {
        throw .invalidSelector(selector: text, reason: "\(error)")
      }
      kind = .regex
    } else if text.contains(where: { "*?[".contains($0) }) {
      kind = .glob
    } else {
      kind = .exact
    }
  }

  /// Whether `name` is selected.
  public func matches(_ name: String) -> Bool {
    switch kind {
    case .exact:
      return name == text
    case .glob:
      return fnmatch(text, name, 0) == 0
    case .regex:
      // Validated in `init`, so compiling again cannot fail.
      guard let regex = try? Regex(String(text.dropFirst(3))) else { return false }
      return (try? regex.prefixMatch(in: name)) != nil
    }
  }

  public var description: String { text }
}
