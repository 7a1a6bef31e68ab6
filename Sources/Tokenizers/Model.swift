/// The `model` of `tokenizer.json`: maps one pre-tokenized piece to ids.
enum Model: Sendable {
  case bpe(BPE)
  case wordPiece(WordPiece)
  case wordLevel(WordLevel)

  /// Parses the model and returns it with its vocabulary (token → id).
  static func parse(_ node: JSONNode) throws(TokenizerError) -> (Model, Vocabulary) {
    let type: String
    if let named = try node["type"].optionalString() { type = named } else { type = try guessType(node) }
    let vocabulary = try parseVocabulary(node["vocab"])
    switch type {
    case "BPE": return (.bpe(try BPE(node, vocabulary: vocabulary)), vocabulary)
    case "WordPiece": return (.wordPiece(try WordPiece(node, vocabulary: vocabulary)), vocabulary)
    case "WordLevel": return (.wordLevel(try WordLevel(node, vocabulary: vocabulary)), vocabulary)
    case let other: throw .unsupportedModel(path: "\(node.path).type", type: other)
    }
  }

  /// Old files omit the model type; `tokenizers` then infers it from the fields.
  private static func guessType(_ node: JSONNode) throws(TokenizerError) -> String {
    if !(try node["merges"].isNull) { return "BPE" }
    if !(try node["continuing_subword_prefix"].isNull) { return "WordPiece" }
    throw .missingField(path: "\(node.path).type")
  }

  private static func parseVocabulary(_ node: JSONNode) throws(TokenizerError) -> Vocabulary {
    guard let members = try node.optionalObject() else { throw .missingField(path: node.path) }
    var vocabulary = Vocabulary(minimumCapacity: members.count)
    var owners: [Int: String] = [:]
    owners.reserveCapacity(members.count)
    for (token, value) in members {
      let id = try value.int()
      if let other = owners.updateValue(token, forKey: id) {
        throw .duplicateVocabularyID(path: node.path, id: id, tokens: [other, token].sorted())
      }
      vocabulary[token] = id
    }
    return vocabulary
  }

  /// Appends the ids of `piece`.
  func tokenize(_ piece: Piece, into output: inout [Int]) {
    switch self {
    case .bpe(let model): model.tokenize(piece, into: &output)
    case .wordPiece(let model): model.tokenize(piece.materialized().text, into: &output)
    case .wordLevel(let model): model.tokenize(piece.materialized().text, into: &output)
    }
  }
}

/// WordPiece: greedy longest-match-first subwords, later ones carrying `##`; a word with a
/// part outside the vocabulary, or longer than `maxInputCharsPerWord` scalars, becomes `[UNK]`.
struct WordPiece: Sendable {
  let vocabulary: Vocabulary
  let unknownToken: String
  let unknownID: Int
  let continuingSubwordPrefix: String
  let maxInputCharsPerWord: Int

  init(_ node: JSONNode, vocabulary: Vocabulary) throws(TokenizerError) {
    self.vocabulary = vocabulary
    let unknownToken = try node["unk_token"].optionalString() ?? "[UNK]"
    guard let unknownID = vocabulary[unknownToken] else {
      throw .unknownTokenNotInVocabulary(path: "\(node.path).unk_token", token: unknownToken)
    }
    self.unknownToken = unknownToken
    self.unknownID = unknownID
    continuingSubwordPrefix = try node["continuing_subword_prefix"].optionalString() ?? "##"
    maxInputCharsPerWord = try node["max_input_chars_per_word"].optionalInt() ?? 100
  }

  func tokenize(_ word: String, into output: inout [Int]) {
    let scalars = Array(word.unicodeScalars)
    if scalars.isEmpty { return }
    if scalars.count > maxInputCharsPerWord {
      output.append(unknownID)
      return
    }
    var ids: [Int] = []
    var start = 0
    while start < scalars.count {
      var end = scalars.count
      var found: Int?
      while start < end {
        var candidate = String(String.UnicodeScalarView(scalars[start..<end]))
        if start > 0 { candidate = continuingSubwordPrefix + candidate }
        if let id = vocabulary[candidate] {
          found = id
          break
        }
        end -= 1
      }
      guard let id = found else {
        output.append(unknownID)
        return
      }
      ids.append(id)
      start = end
    }
    output.append(contentsOf: ids)
  }
}

/// WordLevel: the whole piece is one vocabulary entry, or the unknown token.
struct WordLevel: Sendable {
  let vocabulary: Vocabulary
  let unknownToken: String?
  let unknownID: Int?

  init(_ node: JSONNode, vocabulary: Vocabulary) throws(TokenizerError) {
    self.vocabulary = vocabulary
    unknownToken = try node["unk_token"].optionalString()
    if let token = unknownToken {
      guard let id = vocabulary[token] else {
        throw .unknownTokenNotInVocabulary(path: "\(node.path).unk_token", token: token)
      }
      unknownID = id
    } else {
      unknownID = nil
    }
  }

  func tokenize(_ word: String, into output: inout [Int]) {
    if let id = vocabulary[word] ?? unknownID { output.append(id) }
  }
}
