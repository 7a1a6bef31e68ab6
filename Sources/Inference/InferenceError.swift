import Safetensors

/// Every way a model folder, a config or a checkpoint can be refused by the engine: one case per rule.
///
/// Misuse by a calling program (token ids out of range, a sequence longer than the model's
/// positions, tensors of the wrong shape handed to a kernel) is a precondition failure instead.
public enum InferenceError: Error, Equatable, Sendable, CustomStringConvertible {
  // MARK: Files

  /// A file the model folder needs does not exist.
  case fileNotFound(path: String)
  /// A JSON file could not be read or decoded.
  case invalidJSON(path: String, reason: String)
  /// The checkpoint could not be opened or read.
  case checkpoint(path: String, error: SafetensorsError)

  // MARK: Config

  /// `model_type` names an architecture this engine does not implement.
  case unsupportedArchitecture(modelType: String)
  /// A size in the config is zero or negative.
  case nonPositiveDimension(key: String, value: Int)
  /// `hidden_size` is not a multiple of `num_attention_heads` (and no `head_dim` is given).
  case hiddenNotDivisibleByHeads(hidden: Int, heads: Int)
  /// `num_attention_heads` is not a multiple of `num_key_value_heads`.
  case headsNotDivisibleByKVHeads(heads: Int, kvHeads: Int)
  /// Rotary embeddings need an even head dimension.
  case oddRotaryDimension(headDimension: Int)
  /// The activation function name is not one the engine implements.
  case unsupportedActivation(name: String)
  /// The rotary scaling `rope_type` is not one the engine implements.
  case unsupportedRopeScaling(type: String)
  /// A rotary scaling parameter is missing or out of its range.
  case invalidRopeScaling(type: String, key: String)
  /// `position_embedding_type` is not `absolute`.
  case unsupportedPositionEmbedding(type: String)
  /// The image size is not a multiple of the patch size.
  case imageNotDivisibleByPatch(imageSize: Int, patchSize: Int)

  /// A sentence-transformers `modules.json` names a module other than Transformer, Pooling, Normalize.
  case unsupportedSentenceTransformerModule(type: String)
  /// A sentence-transformers pooling config asks for no mode, or for several at once.
  case unsupportedPooling(modes: [String])

  // MARK: Weights

  /// A tensor the architecture needs is not in the checkpoint.
  case missingTensor(name: String)
  /// A tensor has another shape than the config implies.
  case shapeMismatch(name: String, expected: [Int], found: [Int])
  /// A tensor is stored in a dtype the engine cannot decode to Float32.
  case unsupportedDType(name: String, dtype: DType)
  /// A weight source could not decode a stored (for example quantized) tensor.
  case undecodableTensor(name: String, reason: String)
  /// A weight handed to `BlockRunner.replaceWeight` is not one of that block's tensors.
  case unknownBlockTensor(name: String, block: Int)

  /// A one-line message naming the file, tensor or key and the numbers.
  public var description: String {
    switch self {
    case .fileNotFound(let path): "file not found: \(path)"
    case .invalidJSON(let path, let reason): "\(path): invalid JSON: \(reason)"
    case .checkpoint(let path, let error): "\(path): \(error)"
    case .unsupportedArchitecture(let type): "model_type '\(type)' is not supported (bert, llama, gpt2, vit)"
    case .nonPositiveDimension(let key, let value): "config: \(key) must be positive, got \(value)"
    case .hiddenNotDivisibleByHeads(let hidden, let heads):
      "config: hidden size \(hidden) is not a multiple of \(heads) attention heads"
    case .headsNotDivisibleByKVHeads(let heads, let kvHeads):
      "config: \(heads) attention heads are not a multiple of \(kvHeads) key/value heads"
    case .oddRotaryDimension(let d): "config: rotary embeddings need an even head dimension, got \(d)"
    case .unsupportedActivation(let name): "config: activation '\(name)' is not supported (gelu, gelu_new, gelu_pytorch_tanh, silu, relu)"
    case .unsupportedRopeScaling(let type): "config: rope scaling type '\(type)' is not supported (default, linear, llama3)"
    case .invalidRopeScaling(let type, let key): "config: rope scaling '\(type)' needs a valid '\(key)'"
    case .unsupportedPositionEmbedding(let type): "config: position_embedding_type '\(type)' is not supported (absolute)"
    case .imageNotDivisibleByPatch(let image, let patch):
      "config: image size \(image) is not a multiple of patch size \(patch)"
    case .unsupportedSentenceTransformerModule(let type):
      "modules.json: module '\(type)' is not supported (Transformer, Pooling, Normalize)"
    case .unsupportedPooling(let modes): "pooling: exactly one mode must be enabled, got \(modes)"
    case .missingTensor(let name): "checkpoint: tensor '\(name)' is missing"
    case .shapeMismatch(let name, let expected, let found):
      "checkpoint: tensor '\(name)' has shape \(found), expected \(expected)"
    case .unsupportedDType(let name, let dtype): "checkpoint: tensor '\(name)' has dtype \(dtype.rawValue), not a float type"
    case .unknownBlockTensor(let name, let block): "block \(block) has no tensor '\(name)'"
    case .undecodableTensor(let name, let reason): "cannot decode tensor '\(name)': \(reason)"
    }
  }
}
