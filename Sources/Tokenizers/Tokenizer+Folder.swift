import Foundation

extension Tokenizer {
  /// Reads `folder/tokenizer.json` and, when present, `folder/tokenizer_config.json`, whose
  /// `bos_token`, `eos_token`, `pad_token`, `unk_token` (strings or `{"content": ...}` objects) and
  /// `add_bos_token` override what the tokenizer alone implies. A BERT-style config without
  /// `bos_token`/`eos_token` keeps `[CLS]`/`[SEP]` from the post-processor.
  public static func load(folder: String) throws(TokenizerError) -> Tokenizer {
    let folderURL = URL(fileURLWithPath: folder)
    var tokenizer = try Tokenizer(contentsOf: folderURL.appendingPathComponent("tokenizer.json").path)
    let configPath = folderURL.appendingPathComponent("tokenizer_config.json").path
    guard FileManager.default.fileExists(atPath: configPath) else { return tokenizer }
    let root = JSONNode(try JSON.parse([UInt8](try readFile(configPath))), path: "")
    guard case .object = root.value else {
      throw .wrongType(path: "tokenizer_config.json", expected: "an object", found: root.value.typeName)
    }
    if let id = try tokenizer.configTokenID(root, "bos_token") { tokenizer.bosTokenID = id }
    if let id = try tokenizer.configTokenID(root, "eos_token") { tokenizer.eosTokenID = id }
    if let id = try tokenizer.configTokenID(root, "pad_token") { tokenizer.padTokenID = id }
    if let id = try tokenizer.configTokenID(root, "unk_token") { tokenizer.unknownTokenID = id }
    if let addBOS = try root["add_bos_token"].optionalBool() {
      tokenizer.addBOS = addBOS
    } else {
      let prefix = tokenizer.postProcessor?.prefix ?? []
      tokenizer.addBOS = tokenizer.bosTokenID.map { prefix.first == $0 } ?? false
    }
    return tokenizer
  }

  /// The id of the special token named by `field`, `nil` when the field is absent or null.
  private func configTokenID(_ root: JSONNode, _ field: String) throws(TokenizerError) -> Int? {
    let node = try root[field]
    let content: String
    switch node.value {
    case .null: return nil
    case .string(let text): content = text
    case .object: content = try node["content"].string()
    default: throw .wrongType(path: field, expected: "a string or an object", found: node.value.typeName)
    }
    guard let id = id(of: content) else { throw .configTokenNotInVocabulary(field: field, token: content) }
    return id
  }
}
