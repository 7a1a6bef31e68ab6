/// Every way a `tokenizer.json` (or a `tokenizer_config.json`) can be refused: one case per rule.
///
/// `path` values are JSON paths into the file, such as `pre_tokenizer.pretokenizers[1].type`.
public enum TokenizerError: Error, Equatable, Sendable, CustomStringConvertible {
  // MARK: Files and JSON

  /// The file could not be read.
  case unreadableFile(path: String, reason: String)
  /// The text is not well-formed JSON.
  case invalidJSON(offset: Int, reason: String)
  /// A required field is absent (or `null` where a value is required).
  case missingField(path: String)
  /// A field holds a value of the wrong JSON type.
  case wrongType(path: String, expected: String, found: String)
  /// A field holds a value outside the ones the format allows.
  case invalidValue(path: String, value: String, reason: String)

  // MARK: Unsupported components

  /// The normalizer `type` is not one this module implements.
  case unsupportedNormalizer(path: String, type: String)
  /// The pre-tokenizer `type` is not one this module implements.
  case unsupportedPreTokenizer(path: String, type: String)
  /// The model `type` is not one this module implements.
  case unsupportedModel(path: String, type: String)
  /// The post-processor `type` is not one this module implements.
  case unsupportedPostProcessor(path: String, type: String)
  /// The decoder `type` is not one this module implements.
  case unsupportedDecoder(path: String, type: String)
  /// A component option this module does not implement (such as BPE dropout).
  case unsupportedOption(path: String, value: String)

  // MARK: Component rules

  /// A split behavior other than Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous.
  case unknownSplitBehavior(path: String, behavior: String)
  /// A regular expression that does not compile.
  case invalidRegex(path: String, pattern: String, reason: String)
  /// A legacy `"a b"` merge line that does not hold exactly two tokens (rank counts from 0).
  case malformedMerge(rank: Int, line: String)
  /// A merge names a token (or produces one) that is not in the vocabulary.
  case mergeTokenNotInVocabulary(rank: Int, token: String)
  /// The model's unknown token is not in its vocabulary.
  case unknownTokenNotInVocabulary(path: String, token: String)
  /// Two vocabulary entries share one id.
  case duplicateVocabularyID(path: String, id: Int, tokens: [String])
  /// A post-processor names a special token that it does not define or that has no id.
  case undefinedSpecialToken(path: String, token: String)
  /// A template names a sequence other than `A` (single) or `A`/`B` (pair).
  case invalidTemplateSequence(path: String, id: String)
  /// A `tokenizer_config.json` names a special token that the tokenizer does not know.
  case configTokenNotInVocabulary(field: String, token: String)

  public var description: String {
    switch self {
    case .unreadableFile(let path, let reason): "cannot read \(path): \(reason)"
    case .invalidJSON(let offset, let reason): "invalid JSON at byte \(offset): \(reason)"
    case .missingField(let path): "missing field \(path)"
    case .wrongType(let path, let expected, let found): "\(path) is \(found), expected \(expected)"
    case .invalidValue(let path, let value, let reason): "\(path) = \(value): \(reason)"
    case .unsupportedNormalizer(let path, let type): "unsupported normalizer type \(type) at \(path)"
    case .unsupportedPreTokenizer(let path, let type):
      "unsupported pre-tokenizer type \(type) at \(path)"
    case .unsupportedModel(let path, let type): "unsupported model type \(type) at \(path)"
    case .unsupportedPostProcessor(let path, let type):
      "unsupported post-processor type \(type) at \(path)"
    case .unsupportedDecoder(let path, let type): "unsupported decoder type \(type) at \(path)"
    case .unsupportedOption(let path, let value): "unsupported option \(path) = \(value)"
    case .unknownSplitBehavior(let path, let behavior):
      "unknown split behavior \(behavior) at \(path)"
    case .invalidRegex(let path, let pattern, let reason):
      "regex \(pattern) at \(path) does not compile: \(reason)"
    case .malformedMerge(let rank, let line):
      "merge \(rank) \"\(line)\" does not hold exactly two tokens"
    case .mergeTokenNotInVocabulary(let rank, let token):
      "merge \(rank) uses \(token), which is not in the vocabulary"
    case .unknownTokenNotInVocabulary(let path, let token):
      "unknown token \(token) at \(path) is not in the vocabulary"
    case .duplicateVocabularyID(let path, let id, let tokens):
      "\(path): id \(id) is given to both \(tokens.joined(separator: " and "))"
    case .undefinedSpecialToken(let path, let token):
      "\(path) names special token \(token), which it does not define"
    case .invalidTemplateSequence(let path, let id): "\(path) names sequence \(id)"
    case .configTokenNotInVocabulary(let field, let token):
      "tokenizer_config.json \(field) = \(token) is not in the vocabulary"
    }
  }
}
