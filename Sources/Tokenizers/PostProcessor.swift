/// The `post_processor` of `tokenizer.json`, for one sequence: the ids it puts before and after.
/// (ByteLevel only adjusts offsets, which this module does not track, so it adds nothing.)
indirect enum PostProcessor: Sendable {
  /// Fixed ids around the sequence (TemplateProcessing, BertProcessing, RobertaProcessing).
  case surround(prefix: [Int], suffix: [Int])
  /// Offsets only.
  case byteLevel
  /// Processors in order.
  case sequence([PostProcessor])

  /// Parses the post-processor at `node`; `nil` for JSON null.
  static func parse(_ node: JSONNode) throws(TokenizerError) -> PostProcessor? {
    if node.isNull { return nil }
    let type = try node.type()
    switch type {
    case "TemplateProcessing": return try template(node)
    case "BertProcessing", "RobertaProcessing":
      let cls = try tokenPair(node["cls"])
      let sep = try tokenPair(node["sep"])
      return .surround(prefix: [cls], suffix: [sep])
    case "ByteLevel": return .byteLevel
    case "Sequence":
      var parts: [PostProcessor] = []
      for element in try node["processors"].array() {
        guard let part = try parse(element) else { throw .missingField(path: element.path) }
        parts.append(part)
      }
      return .sequence(parts)
    default:
      throw .unsupportedPostProcessor(path: "\(node.path).type", type: type)
    }
  }

  /// `["[CLS]", 101]` → 101.
  private static func tokenPair(_ node: JSONNode) throws(TokenizerError) -> Int {
    let pair = try node.array()
    guard pair.count == 2 else {
      throw .invalidValue(path: node.path, value: "\(pair.count) elements", reason: "expected [token, id]")
    }
    _ = try pair[0].string()
    return try pair[1].int()
  }

  /// The `single` template: special tokens before and after the one sequence `A`.
  private static func template(_ node: JSONNode) throws(TokenizerError) -> PostProcessor {
    let specials = try node["special_tokens"].optionalObject() ?? [:]
    var prefix: [Int] = []
    var suffix: [Int] = []
    var seenSequence = false
    for piece in try node["single"].array() {
      if let sequence = try piece["Sequence"].optionalObject() {
        let id = try sequence["id"]?.string() ?? "A"
        guard id == "A", !seenSequence else {
          throw .invalidTemplateSequence(path: piece.path, id: id)
        }
        seenSequence = true
      } else {
        let special = try piece["SpecialToken"]
        let name = try special["id"].string()
        guard let definition = specials[name] else {
          throw .undefinedSpecialToken(path: special.path, token: name)
        }
        let ids = try definition["ids"].array().map { (id) throws(TokenizerError) in try id.int() }
        if seenSequence { suffix += ids } else { prefix += ids }
      }
    }
    guard seenSequence else { throw .missingField(path: "\(node.path).single.Sequence") }
    return .surround(prefix: prefix, suffix: suffix)
  }

  /// Adds the special tokens around `ids`.
  func process(_ ids: [Int]) -> [Int] {
    switch self {
    case .surround(let prefix, let suffix): prefix + ids + suffix
    case .byteLevel: ids
    case .sequence(let parts): parts.reduce(ids) { $1.process($0) }
    }
  }

  /// The ids added before the sequence.
  var prefix: [Int] {
    switch self {
    case .surround(let prefix, _): prefix
    case .byteLevel: []
    case .sequence(let parts): parts.reduce([]) { $1.prefix + $0 }
    }
  }
}
