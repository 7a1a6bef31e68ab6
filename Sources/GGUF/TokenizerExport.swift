/// Rebuilds a Hugging Face `tokenizer.json` and `tokenizer_config.json` from GGUF tokenizer
/// metadata (`tokenizer.ggml.*`). Only byte-level BPE (`tokenizer.ggml.model` = `gpt2`) is
/// supported, with the pre-tokenizers llama.cpp defines for it (see `PreTokenizer`).
struct TokenizerExport {
  /// The pre-tokenizer families of llama.cpp's `llama-vocab.cpp` that this export reproduces.
  enum PreTokenizer {
    /// `\p{N}` split first, then the GPT-2 regex (LLAMA_VOCAB_PRE_TYPE_SMOLLM, STARCODER, REFACT,
    /// CODESHELL): Hugging Face's `Sequence[Digits(individual_digits), ByteLevel]`.
    case digitsThenGPT2
    /// The GPT-2 regex alone (LLAMA_VOCAB_PRE_TYPE_GPT2, MPT, OLMO): `ByteLevel(use_regex)`.
    case gpt2
    /// The Llama 3 regex (LLAMA_VOCAB_PRE_TYPE_LLAMA3): `Split(regex)` then `ByteLevel` without regex.
    case llama3

    init?(name: String) {
      switch name {
      case "smollm", "starcoder", "refact", "codeshell": self = .digitsThenGPT2
      case "default", "gpt2", "gpt-2", "mpt", "olmo": self = .gpt2
      case "llama-bpe", "llama3", "llama-v3": self = .llama3
      default: return nil
      }
    }
  }

  static let llama3Split =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
    + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"

  var tokens: [String]
  var tokenTypes: [Int]
  var merges: [(String, String)]
  var preTokenizer: PreTokenizer
  var bos: Int?, eos: Int?, unk: Int?, pad: Int?
  var addBOS: Bool
  var addEOS: Bool
  var chatTemplate: String?

  init(_ header: GGUFHeader) throws(GGUFError) {
    let reader = MetadataReader(header: header, prefix: "tokenizer.")
    let model = try reader.optionalString("ggml.model") ?? "(none)"
    let pre = try reader.optionalString("ggml.pre")
    guard model == "gpt2", let preTokenizer = PreTokenizer(name: pre ?? "default") else {
      throw .unsupportedTokenizer(model: model, pre: pre)
    }
    self.preTokenizer = preTokenizer
    tokens = try Self.strings(reader, "ggml.tokens")
    let types = try Self.array(reader, "ggml.token_type")?.integers
    tokenTypes = types ?? [Int](repeating: 1, count: tokens.count)
    guard tokenTypes.count == tokens.count else {
      throw .invalidTokenizer(reason: "\(tokenTypes.count) token types for \(tokens.count) tokens")
    }
    merges = try Self.strings(reader, "ggml.merges").map { (merge) throws(GGUFError) in try Self.split(merge) }
    bos = try reader.optionalTokenID("ggml.bos_token_id", count: tokens.count)
    eos = try reader.optionalTokenID("ggml.eos_token_id", count: tokens.count)
    unk = try reader.optionalTokenID("ggml.unknown_token_id", count: tokens.count)
    pad = try reader.optionalTokenID("ggml.padding_token_id", count: tokens.count)
    addBOS = try reader.optionalBool("ggml.add_bos_token") ?? false
    addEOS = try reader.optionalBool("ggml.add_eos_token") ?? false
    chatTemplate = try reader.optionalString("chat_template")
  }

  private static func array(_ reader: MetadataReader, _ key: String) throws(GGUFError) -> GGUFArray? {
    guard let value = reader.value(key) else { return nil }
    guard case .array(let array) = value else {
      throw .invalidMetadata(key: "tokenizer." + key, expected: "an array", found: value.summary)
    }
    return array
  }

  private static func strings(_ reader: MetadataReader, _ key: String) throws(GGUFError) -> [String] {
    guard let array = try array(reader, key) else { throw .missingMetadata(key: "tokenizer." + key) }
    guard let strings = array.strings else {
      throw .invalidMetadata(
        key: "tokenizer." + key, expected: "an array of strings", found: "array of \(array.elementType)")
    }
    return strings
  }

  /// `"a b"` → (`a`, `b`), splitting at the first space after the first character, as llama.cpp does.
  static func split(_ merge: String) throws(GGUFError) -> (String, String) {
    guard let space = merge.unicodeScalars.dropFirst().firstIndex(of: " ") else {
      throw .invalidTokenizer(reason: "merge `\(merge)` has no space between two tokens")
    }
    let left = String(merge.unicodeScalars[..<space])
    let right = String(merge.unicodeScalars[merge.unicodeScalars.index(after: space)...])
    guard !right.isEmpty else { throw .invalidTokenizer(reason: "merge `\(merge)` has an empty right side") }
    return (left, right)
  }
}
