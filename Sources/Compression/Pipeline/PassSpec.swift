/// One requested pass: its name, its raw parameters and its tensor selection, as written in
/// `--pass NAME[:key=value,...]` or in one entry of a recipe file.
///
/// The selection keys `targets` and `ignore` are taken out of the parameters here; on the command
/// line several selectors are separated by `|` (`targets=re:.*q_proj.*|re:.*k_proj.*`).
public struct PassSpec: Sendable, Equatable {
  public var name: String
  public var parameters: [String: String]
  public var selection: TensorSelection

  public init(name: String, parameters: [String: String] = [:], selection: TensorSelection = .init())
  {
    self.name = name
    self.parameters = parameters
    self.selection = selection
  }

  /// Parses `NAME[:key=value,...]`.
  public init(parsing spec: String) throws(CompressionError) {
    let (head, tail) = spec.splitOnce(":")
    guard !head.isEmpty else { throw .malformedPassSpec(spec: spec, reason: "the pass name is empty") }
    var parameters: [String: String] = [:]
    for item in (tail ?? "").split(separator: ",", omittingEmptySubsequences: true) {
      let (key, value) = String(item).splitOnce("=")
      guard let value, !key.isEmpty, !value.isEmpty else {
        throw .malformedPassSpec(spec: spec, reason: "`\(item)` is not key=value")
      }
      guard parameters[key] == nil else {
        throw .malformedPassSpec(spec: spec, reason: "`\(key)` is given twice")
      }
      parameters[key] = value
    }
    let split = { (text: String) in text.split(separator: "|").map(String.init) }
    try self.init(
      name: head, parameters: parameters,
      targets: parameters["targets"].map(split), ignore: parameters["ignore"].map(split) ?? [])
  }

  /// Builds a spec, moving `targets`/`ignore` from `parameters` into the selection.
  public init(name: String, parameters: [String: String], targets: [String]?, ignore: [String])
    throws(CompressionError)
  {
    var parameters = parameters
    parameters["targets"] = nil
    parameters["ignore"] = nil
    var targetSelectors: [TensorSelector]?
    if let targets {
      targetSelectors = []
      for text in targets { targetSelectors?.append(try TensorSelector(text)) }
    }
    var ignoreSelectors: [TensorSelector] = []
    for text in ignore { ignoreSelectors.append(try TensorSelector(text)) }
    self.init(
      name: name, parameters: parameters,
      selection: TensorSelection(targets: targetSelectors, ignore: ignoreSelectors))
  }
}

extension String {
  /// Splits at the first `separator`: `("a", "b=c")` for `"a=b=c"` split on `=`.
  func splitOnce(_ separator: Character) -> (String, String?) {
    guard let index = firstIndex(of: separator) else { return (self, nil) }
    return (String(self[..<index]), String(self[self.index(after: index)...]))
  }
}
