/// Rotary position embedding scaling, as in a Hugging Face config's `rope_scaling` (transformers 4)
/// or `rope_parameters` (transformers 5).
///
/// Only `linear` and `llama3` change the frequencies here; `default` means none. Other types
/// (`dynamic`, `yarn`, `longrope`, …) are refused by `TransformerConfig.validate()`.
public struct RopeScaling: Codable, Sendable, Equatable {
  /// `rope_type` (or the older `type`): `linear`, `llama3`, …
  public var type: String
  /// `factor`: how much longer the context is than in pre-training.
  public var factor: Double?
  /// `low_freq_factor` (llama3).
  public var lowFrequencyFactor: Double?
  /// `high_freq_factor` (llama3).
  public var highFrequencyFactor: Double?
  /// `original_max_position_embeddings` (llama3).
  public var originalMaxPositions: Int?

  /// Creates a scaling description.
  public init(
    type: String, factor: Double? = nil, lowFrequencyFactor: Double? = nil, highFrequencyFactor: Double? = nil,
    originalMaxPositions: Int? = nil
  ) {
    self.type = type
    self.factor = factor
    self.lowFrequencyFactor = lowFrequencyFactor
    self.highFrequencyFactor = highFrequencyFactor
    self.originalMaxPositions = originalMaxPositions
  }

  enum CodingKeys: String, CodingKey {
    case ropeType = "rope_type"
    case type
    case factor
    case lowFrequencyFactor = "low_freq_factor"
    case highFrequencyFactor = "high_freq_factor"
    case originalMaxPositions = "original_max_position_embeddings"
  }

  /// Decodes `rope_type`, falling back to the older key `type`.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    type = try c.decodeIfPresent(String.self, forKey: .ropeType) ?? c.decode(String.self, forKey: .type)
    factor = try c.decodeIfPresent(Double.self, forKey: .factor)
    lowFrequencyFactor = try c.decodeIfPresent(Double.self, forKey: .lowFrequencyFactor)
    highFrequencyFactor = try c.decodeIfPresent(Double.self, forKey: .highFrequencyFactor)
    originalMaxPositions = try c.decodeIfPresent(Int.self, forKey: .originalMaxPositions)
  }

  /// Encodes under `rope_type`.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(type, forKey: .ropeType)
    try c.encodeIfPresent(factor, forKey: .factor)
    try c.encodeIfPresent(lowFrequencyFactor, forKey: .lowFrequencyFactor)
    try c.encodeIfPresent(highFrequencyFactor, forKey: .highFrequencyFactor)
    try c.encodeIfPresent(originalMaxPositions, forKey: .originalMaxPositions)
  }

  /// Checks the type and the parameters it needs.
  func validate() throws(InferenceError) {
    switch type {
    case "linear":
      guard let factor, factor > 0 else { throw .invalidRopeScaling(type: type, key: "factor") }
    case "llama3":
      guard let factor, factor > 0 else { throw .invalidRopeScaling(type: type, key: "factor") }
      guard let low = lowFrequencyFactor, low > 0 else {
        throw .invalidRopeScaling(type: type, key: "low_freq_factor")
      }
      guard let high = highFrequencyFactor, high > low else {
        throw .invalidRopeScaling(type: type, key: "high_freq_factor")
      }
      guard let original = originalMaxPositions, original > 0 else {
        throw .invalidRopeScaling(type: type, key: "original_max_position_embeddings")
      }
    default:
      throw .unsupportedRopeScaling(type: type)
    }
  }
}

/// transformers 5's `rope_parameters`: the theta and the scaling in one object.
struct RopeParameters: Decodable {
  var theta: Double?
  var scaling: RopeScaling?

  enum CodingKeys: String, CodingKey {
    case theta = "rope_theta"
    case ropeType = "rope_type"
    case type
  }

  init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    theta = try c.decodeIfPresent(Double.self, forKey: .theta)
    let type = try c.decodeIfPresent(String.self, forKey: .ropeType) ?? c.decodeIfPresent(String.self, forKey: .type)
    scaling = (type == nil || type == "default") ? nil : try RopeScaling(from: decoder)
  }
}
