/// The hyperparameters of a llama GGUF (`llama.*` metadata), checked for consistency.
struct LlamaHyperparameters {
  var layers: Int
  var hidden: Int
  var intermediate: Int
  var heads: Int
  var kvHeads: Int
  var headDim: Int
  var contextLength: Int
  var rmsNormEps: Float
  var ropeTheta: Float
  /// `llama.vocab_size`, when the file states it.
  var vocabSize: Int?
  /// `rope_scaling` for config.json: `rope.scaling.*` metadata other than type `none`.
  var ropeScaling: [(String, JSONText)]?

  init(_ header: GGUFHeader) throws(GGUFError) {
    let reader = MetadataReader(header: header, prefix: "llama.")
    layers = try reader.positive("block_count")
    hidden = try reader.positive("embedding_length")
    intermediate = try reader.positive("feed_forward_length")
    heads = try reader.positive("attention.head_count")
    kvHeads = try reader.positive("attention.head_count_kv", default: heads)
    contextLength = try reader.positive("context_length")
    rmsNormEps = try reader.float("attention.layer_norm_rms_epsilon")
    ropeTheta = try reader.float("rope.freq_base", default: 10000)
    vocabSize = try reader.optionalPositive("vocab_size")
    guard heads % kvHeads == 0 else {
      throw .invalidMetadata(
        key: "llama.attention.head_count_kv", expected: "a divisor of the head count \(heads)", found: "\(kvHeads)")
    }
    if let keyLength = try reader.optionalPositive("attention.key_length") {
      headDim = keyLength
    } else {
      guard hidden % heads == 0 else {
        throw .invalidMetadata(
          key: "llama.embedding_length", expected: "a multiple of the head count \(heads)", found: "\(hidden)")
      }
      headDim = hidden / heads
    }
    guard headDim % 2 == 0 else {
      throw .invalidMetadata(key: "llama.attention.key_length", expected: "an even head size", found: "\(headDim)")
    }
    ropeScaling = try Self.ropeScaling(reader)
  }

  private static func ropeScaling(_ reader: MetadataReader) throws(GGUFError) -> [(String, JSONText)]? {
    guard let type = try reader.optionalString("rope.scaling.type"), type != "none" else { return nil }
    var scaling: [(String, JSONText)] = [("factor", .float(try reader.float("rope.scaling.factor")))]
    if let original = try reader.optionalPositive("rope.scaling.original_context_length") {
      scaling.append(("original_max_position_embeddings", .int(original)))
    }
    scaling.append(("rope_type", .string(type)))
    return scaling
  }
}

/// Typed access to metadata values, naming the full key in errors.
struct MetadataReader {
  let header: GGUFHeader
  let prefix: String

  func value(_ key: String) -> GGUFValue? { header[prefix + key] }

  func optionalPositive(_ key: String) throws(GGUFError) -> Int? {
    guard let value = value(key) else { return nil }
    guard let number = value.integer, number > 0 else {
      throw .invalidMetadata(key: prefix + key, expected: "a positive integer", found: value.summary)
    }
    return number
  }

  func positive(_ key: String, default fallback: Int? = nil) throws(GGUFError) -> Int {
    if let number = try optionalPositive(key) { return number }
    guard let fallback else { throw .missingMetadata(key: prefix + key) }
    return fallback
  }

  func float(_ key: String, default fallback: Float? = nil) throws(GGUFError) -> Float {
    guard let value = value(key) else {
      guard let fallback else { throw .missingMetadata(key: prefix + key) }
      return fallback
    }
    let number: Float? =
      switch value {
      case .float32(let v): v
      case .float64(let v): Float(v)
      default: value.integer.map(Float.init)
      }
    guard let number, number.isFinite else {
      throw .invalidMetadata(key: prefix + key, expected: "a finite number", found: value.summary)
    }
    return number
  }

  func optionalString(_ key: String) throws(GGUFError) -> String? {
    guard let value = value(key) else { return nil }
    guard let string = value.string else {
      throw .invalidMetadata(key: prefix + key, expected: "a string", found: value.summary)
    }
    return string
  }

  func optionalBool(_ key: String) throws(GGUFError) -> Bool? {
    guard let value = value(key) else { return nil }
    guard let bool = value.bool else {
      throw .invalidMetadata(key: prefix + key, expected: "a bool", found: value.summary)
    }
    return bool
  }

  func optionalTokenID(_ key: String, count: Int) throws(GGUFError) -> Int? {
    guard let value = value(key) else { return nil }
    guard let id = value.integer, (0..<count).contains(id) else {
      throw .invalidMetadata(key: prefix + key, expected: "a token id below \(count)", found: value.summary)
    }
    return id
  }
}
