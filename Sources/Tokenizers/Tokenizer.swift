import Foundation

/// A Hugging Face tokenizer read from `tokenizer.json`, producing the same ids as the Python
/// `tokenizers` library.
///
/// The encoding pipeline: added tokens are cut out of the raw text → each stretch in between is
/// normalized (and searched for normalized added tokens) → pre-tokenized → each piece goes
/// through the model → the post-processor adds special tokens. Truncation and padding in the
/// file are not applied: callers cut and pad.
public struct Tokenizer: Sendable {
  let normalizer: Normalizer?
  let preTokenizer: PreTokenizer?
  let model: Model
  let postProcessor: PostProcessor?
  let decoder: Decoder?
  /// The model's vocabulary, token → id, and its inverse.
  let vocabulary: Vocabulary
  let tokensByID: [Int: String]
  let addedByID: [Int: AddedToken]
  let addedByContent: Vocabulary
  /// What `decode` shows for normalized added tokens whose normalized form differs.
  let decodedForms: [Int: String]
  let specialContents: Set<ExactString>
  let rawMatcher: AddedTokenMatcher
  let normalizedMatcher: AddedTokenMatcher

  /// The entries of `added_tokens`, in file order.
  public let addedTokens: [AddedToken]
  /// The ids of the added tokens marked special.
  public let specialTokenIDs: Set<Int>
  /// The beginning-of-sequence id: from `tokenizer_config.json` (`load(folder:)`), else the first
  /// id the post-processor puts before a sequence (BERT's `[CLS]`), else `nil`.
  public var bosTokenID: Int?
  /// The end-of-sequence id: from `tokenizer_config.json`, else the last id the post-processor
  /// puts after a sequence (BERT's `[SEP]`), else `nil`.
  public var eosTokenID: Int?
  /// The padding id: from `tokenizer_config.json`, else the file's `padding.pad_id`, else `nil`.
  public var padTokenID: Int?
  /// The unknown-token id: from `tokenizer_config.json`, else the model's `unk_token`, else `nil`.
  public var unknownTokenID: Int?
  /// Whether a BOS belongs at the start of a sequence: `add_bos_token` of `tokenizer_config.json`
  /// when present, else whether the post-processor starts sequences with `bosTokenID`.
  /// (Informational: `encode` follows the post-processor only.)
  public var addBOS: Bool

  /// Reads the `tokenizer.json` at `path`.
  public init(contentsOf path: String) throws(TokenizerError) {
    try self.init(data: try readFile(path))
  }

  /// Reads a `tokenizer.json` held in memory.
  public init(data: Data) throws(TokenizerError) {
    let root = JSONNode(try JSON.parse([UInt8](data)), path: "")
    guard case .object = root.value else {
      throw .wrongType(path: "(root)", expected: "an object", found: root.value.typeName)
    }
    normalizer = try Normalizer.parse(root["normalizer"])
    preTokenizer = try PreTokenizer.parse(root["pre_tokenizer"])
    (model, vocabulary) = try Model.parse(root["model"])
    postProcessor = try PostProcessor.parse(root["post_processor"])
    decoder = try Decoder.parse(root["decoder"])
    var tokensByID: [Int: String] = [:]
    tokensByID.reserveCapacity(vocabulary.count)
    for (token, id) in vocabulary.ids { tokensByID[id] = token.string }
    self.tokensByID = tokensByID

    (addedTokens, addedByID, addedByContent) = try Self.resolveAddedTokens(
      root["added_tokens"], vocabulary: vocabulary)
    specialContents = Set(addedTokens.filter(\.special).map { ExactString($0.content) })
    specialTokenIDs = Set(addedTokens.filter(\.special).map(\.id))
    let normalizer = normalizer
    var decodedForms: [Int: String] = [:]
    for token in addedTokens where token.normalized {
      if let form = normalizer?(token.content), form != token.content { decodedForms[token.id] = form }
    }
    self.decodedForms = decodedForms
    rawMatcher = AddedTokenMatcher(
      addedTokens.filter { !$0.normalized }.map { .init(bytes: Array($0.content.utf8), token: $0) })
    normalizedMatcher = AddedTokenMatcher(
      addedTokens.filter(\.normalized).map { token in
        let pattern = normalizer.map { $0(token.content) } ?? token.content
        return .init(bytes: Array(pattern.utf8), token: token)
      })

    let prefix = postProcessor?.prefix ?? []
    bosTokenID = prefix.first
    eosTokenID = postProcessor.flatMap { $0.process([]).dropFirst(prefix.count).last }
    padTokenID = try root["padding"].isNull ? nil : root["padding"]["pad_id"].optionalInt()
    let vocabulary = vocabulary
    unknownTokenID = model.unknownToken.flatMap { vocabulary[$0] }
    addBOS = !prefix.isEmpty
  }

  /// Gives each added token its id the way `AddedVocabulary::add_tokens` does: the id of an
  /// earlier added token or of the model vocabulary entry with the same content, else the next free
  /// id after the model vocabulary. (The file's `id` is only checked by `tokenizers`, with a warning.)
  /// Empty tokens are ignored; a repeated content takes the later entry's flags.
  private static func resolveAddedTokens(
    _ node: JSONNode, vocabulary: Vocabulary
  ) throws(TokenizerError) -> ([AddedToken], [Int: AddedToken], Vocabulary) {
    var tokens: [AddedToken] = []
    var byID: [Int: AddedToken] = [:]
    var byContent = Vocabulary()
    var nextID = vocabulary.count
    for element in try node.optionalArray() ?? [] {
      var token = try AddedToken(element)
      if token.content.isEmpty { continue }
      if let id = byContent[token.content] ?? vocabulary[token.content] {
        token.id = id
      } else {
        token.id = nextID
        nextID += 1
      }
      if byID[token.id] == nil { tokens.append(token) } else { tokens[tokens.firstIndex { $0.id == token.id }!] = token }
      byID[token.id] = token
      byContent[token.content] = token.id
    }
    return (tokens, byID, byContent)
  }

  /// The number of ids: the model's vocabulary plus the added tokens outside it.
  public var vocabularySize: Int {
    vocabulary.count + addedByContent.ids.keys.filter { vocabulary[$0.string] == nil }.count
  }

  /// The id of `token` (an added token or a model vocabulary entry), if any.
  public func id(of token: String) -> Int? {
    addedByContent[token] ?? vocabulary[token]
  }

  /// The token string of `id` (as stored in the vocabulary, e.g. `Ġthe`), if any.
  public func token(of id: Int) -> String? {
    addedByID[id]?.content ?? tokensByID[id]
  }

  /// The ids of `text`; `addSpecialTokens` runs the post-processor (BERT's `[CLS]`…`[SEP]`).
  public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
    var ids: [Int] = []
    ids.reserveCapacity(text.utf8.count / 3 + 4)
    for segment in rawMatcher.split(text) {
      switch segment {
      case .token(let id): ids.append(id)
      case .text(let raw): encodeStretch(raw, into: &ids)
      }
    }
    guard addSpecialTokens, let postProcessor else { return ids }
    return postProcessor.process(ids)
  }

  /// Normalizes, pre-tokenizes and tokenizes text between raw added tokens.
  private func encodeStretch(_ raw: String, into ids: inout [Int]) {
    let normalized = normalizer.map { $0(raw) } ?? raw
    for segment in normalizedMatcher.split(normalized) {
      switch segment {
      case .token(let id):
        ids.append(id)
      case .text(let text):
        let pieces = [Piece(text: text, byteLevel: false)]
        for piece in preTokenizer.map({ $0(pieces) }) ?? pieces where !piece.text.isEmpty {
          model.tokenize(piece, into: &ids)
        }
      }
    }
  }

  /// The text of `ids`. Ids that are neither added tokens nor in the vocabulary are skipped, as
  /// the `tokenizers` library does; `skipSpecialTokens` also skips special added tokens.
  public func decode(_ ids: [Int], skipSpecialTokens: Bool = true) -> String {
    let tokens = ids.compactMap { id -> String? in
      guard let token = decodedForms[id] ?? token(of: id) else { return nil }
      return skipSpecialTokens && specialContents.contains(ExactString(token)) ? nil : token
    }
    guard let decoder else { return tokens.joined(separator: " ") }
    return decoder.decodeChain(tokens).joined()
  }
}

extension Model {
  /// The model's unknown token, if it has one.
  var unknownToken: String? {
    switch self {
    case .bpe(let model): model.unknownToken
    case .wordPiece(let model): model.unknownToken
    case .wordLevel(let model): model.unknownToken
    }
  }
}

/// The bytes of the file at `path`.
func readFile(_ path: String) throws(TokenizerError) -> Data {
  do {
    return try Data(contentsOf: URL(fileURLWithPath: path))
  } catch {
    throw .unreadableFile(path: path, reason: error.localizedDescription)
  }
}
