import Foundation

/// A Hugging Face model folder: `config.json`, the safetensors checkpoint and, for
/// sentence-transformers models, `modules.json` with its pooling config.
public struct ModelFolder: Sendable {
  /// The folder's path.
  public let path: String
  /// The decoded, validated `config.json`.
  public let config: TransformerConfig
  /// The sentence-transformers pipeline, when the folder has a `modules.json`.
  public let sentenceTransformer: SentenceTransformerModules?

  /// Reads and validates `config.json` (and `modules.json` with the pooling config if present).
  public init(path: String) throws(InferenceError) {
    self.path = path
    let data = try Self.read(path + "/config.json")
    config = try TransformerConfig.decode(json: data, path: path + "/config.json")
    try config.validate()
    let modules = path + "/modules.json"
    sentenceTransformer =
      FileManager.default.fileExists(atPath: modules) ? try SentenceTransformerModules(folder: path) : nil
  }

  /// The folder's checkpoint (`model.safetensors`, an index, or `.zst`), opened.
  public func weights() throws(InferenceError) -> SafetensorsWeightSource {
    try SafetensorsWeightSource(path: path)
  }

  /// The model built from the folder's config and checkpoint.
  public func loadModel() throws(InferenceError) -> any TransformerModel {
    try loadTransformer(config: config, weights: weights())
  }

  /// The bytes of the file at `path`.
  static func read(_ path: String) throws(InferenceError) -> Data {
    guard let data = FileManager.default.contents(atPath: path) else { throw .fileNotFound(path: path) }
    return data
  }
}

/// Builds the architecture `config.modelType` names from `weights` (every tensor checked first),
/// holding its blocks' weights as `residency` says.
public func loadTransformer(
  config: TransformerConfig, weights: some WeightSource, residency: BlockResidency = .resident
) throws(InferenceError) -> any TransformerModel {
  switch config.modelType {
  case "bert": try BertModel(config: config, weights: weights, residency: residency)
  case "llama": try LlamaModel(config: config, weights: weights, residency: residency)
  case "gpt2": try GPT2Model(config: config, weights: weights, residency: residency)
  case "vit": try ViTModel(config: config, weights: weights, residency: residency)
  default: throw .unsupportedArchitecture(modelType: config.modelType)
  }
}

/// How token states become one sentence vector (sentence-transformers' Pooling module).
public enum Pooling: String, Sendable, Equatable, CaseIterable {
  /// The average over real tokens (`pooling_mode_mean_tokens`).
  case mean
  /// The first token's state (`pooling_mode_cls_token`).
  case cls
  /// The element-wise maximum over real tokens (`pooling_mode_max_tokens`).
  case max
  /// The sum over real tokens divided by √length (`pooling_mode_mean_sqrt_len_tokens`).
  case meanSqrtLength
}

/// The sentence-transformers modules after the transformer: pooling, then optional normalization.
public struct SentenceTransformerModules: Sendable, Equatable {
  /// The pooling mode.
  public var pooling: Pooling
  /// Whether a Normalize module follows (L2 normalization).
  public var normalize: Bool

  /// Creates the description directly.
  public init(pooling: Pooling, normalize: Bool) {
    self.pooling = pooling
    self.normalize = normalize
  }

  private struct Module: Decodable {
    var type: String
    var path: String
  }

  private struct PoolingConfig: Decodable {
    var cls: Bool?, mean: Bool?, max: Bool?, meanSqrt: Bool?
    enum CodingKeys: String, CodingKey {
      case cls = "pooling_mode_cls_token", mean = "pooling_mode_mean_tokens"
      case max = "pooling_mode_max_tokens", meanSqrt = "pooling_mode_mean_sqrt_len_tokens"
    }
  }

  /// Reads `modules.json` and the Pooling module's `config.json` in `folder`.
  public init(folder: String) throws(InferenceError) {
    let modules: [Module] = try decodeJSON(folder + "/modules.json")
    var pooling = Pooling.mean
    var normalize = false
    for module in modules {
      switch module.type.split(separator: ".").last ?? "" {
      case "Transformer": continue
      case "Normalize": normalize = true
      case "Pooling":
        let config: PoolingConfig = try decodeJSON(folder + "/" + module.path + "/config.json")
        let flags: [(Pooling, Bool?)] = [(.cls, config.cls), (.mean, config.mean), (.max, config.max), (.meanSqrtLength, config.meanSqrt)]
        let enabled = flags.filter { $0.1 == true }.map(\.0)
        guard enabled.count == 1 else { throw .unsupportedPooling(modes: enabled.map(\.rawValue)) }
        pooling = enabled[0]
      default: throw .unsupportedSentenceTransformerModule(type: module.type)
      }
    }
    self.init(pooling: pooling, normalize: normalize)
  }
}

/// Decodes the JSON file at `path`.
func decodeJSON<T: Decodable>(_ path: String) throws(InferenceError) -> T {
  let data = try ModelFolder.read(path)
  do {
    return try JSONDecoder().decode(T.self, from: data)
  } catch {
    throw .invalidJSON(path: path, reason: "\(error)")
  }
}
