/// The `key=value` parameters given to one pass, read by the pass's initializer.
///
/// Each accessor removes the key it reads; `finish()` then refuses any key the pass did not read,
/// so a typo such as `group_size=64` is an error, not a silently ignored option.
public struct PassParameters: Sendable, Equatable {
  /// The pass these parameters belong to, for error messages.
  public let pass: String
  private var values: [String: String]
  private var known: [String] = []

  public init(pass: String, values: [String: String] = [:]) {
    self.pass = pass
    self.values = values
  }

  /// An integer in `range`, or `defaultValue` when absent.
  public mutating func int(
    _ key: String, default defaultValue: Int, in range: ClosedRange<Int>, or extra: Set<Int> = []
  ) throws(CompressionError) -> Int {
    known.append(key)
    guard let text = values.removeValue(forKey: key) else { return defaultValue }
    guard let value = Int(text), range.contains(value) || extra.contains(value) else {
      let extras = extra.sorted().map(String.init).joined(separator: " or ")
      let expected =
        "an integer in \(range.lowerBound)...\(range.upperBound)"
        + (extras.isEmpty ? "" : " or \(extras)")
      throw .invalidParameter(pass: pass, key: key, value: text, expected: expected)
    }
    return value
  }

  /// A number in `range`, or `defaultValue` when absent.
  public mutating func double(_ key: String, default defaultValue: Double, in range: ClosedRange<Double>)
    throws(CompressionError) -> Double
  {
    known.append(key)
    guard let text = values.removeValue(forKey: key) else { return defaultValue }
    guard let value = Double(text), value.isFinite, range.contains(value) else {
      throw .invalidParameter(
        pass: pass, key: key, value: text, expected: "a number in \(range.lowerBound)...\(range.upperBound)")
    }
    return value
  }

  /// A boolean written `true`/`false` (also `1`/`0`, `yes`/`no`), or `defaultValue` when absent.
  public mutating func bool(_ key: String, default defaultValue: Bool) throws(CompressionError)
    -> Bool
  {
    known.append(key)
    guard let text = values.removeValue(forKey: key) else { return defaultValue }
    switch text.lowercased() {
    case "true", "1", "yes": return true
    case "false", "0", "no": return false
    default: throw .invalidParameter(pass: pass, key: key, value: text, expected: "true or false")
    }
  }

  /// One of `choices`, or `defaultValue` when absent.
  public mutating func choice(_ key: String, default defaultValue: String, in choices: [String])
    throws(CompressionError) -> String
  {
    known.append(key)
    guard let text = values.removeValue(forKey: key) else { return defaultValue }
    guard choices.contains(text.lowercased()) else {
      throw .invalidParameter(
        pass: pass, key: key, value: text, expected: "one of \(choices.joined(separator: ", "))")
    }
    return text.lowercased()
  }

  /// The text of `key` as given (validated by the caller), or `defaultValue` when absent.
  public mutating func string(_ key: String, default defaultValue: String) -> String {
    known.append(key)
    return values.removeValue(forKey: key) ?? defaultValue
  }

  /// Whether `key` was given and not yet read.
  public func contains(_ key: String) -> Bool { values[key] != nil }

  /// Refuses any key that no accessor read.
  public func finish() throws(CompressionError) {
    if let key = values.keys.sorted().first {
      throw .unknownParameter(pass: pass, key: key, known: known)
    }
  }
}
