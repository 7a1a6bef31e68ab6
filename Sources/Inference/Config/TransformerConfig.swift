import Foundation

/// The shape and numerics of a transformer, decoded from a Hugging Face `config.json`.
///
/// One struct serves the four architectures (`model_type` bert, llama, gpt2, vit). Keys that an
/// architecture spells its own way (GPT-2's `n_embd`, `n_layer`, `n_head`, `n_inner`,
/// `n_positions`, `layer_norm_epsilon`, `activation_function`) are read as aliases; a key missing
/// from the file takes the default of that architecture's transformers config class. Call
/// `validate()` before building a model.
public struct TransformerConfig: Codable, Sendable, Equatable {
  /// `model_type`: bert, llama, gpt2 or vit.
  public var modelType: String
  /// `hidden_size` (C in shape comments).
  public var hiddenSize: Int
  /// `num_hidden_layers`: the number of blocks (L).
  public var layerCount: Int
  /// `num_attention_heads` (H).
  public var headCount: Int
  /// `num_key_value_heads` (KV); equals `headCount` without grouped-query attention.
  public var kvHeadCount: Int
  /// `head_dim` (D); `hiddenSize / headCount` when the config has none.
  public var headDimension: Int
  /// `intermediate_size` (F): the MLP's inner width.
  public var intermediateSize: Int
  /// `layer_norm_eps` / `rms_norm_eps` / `layer_norm_epsilon`.
  public var normEpsilon: Double
  /// `hidden_act` / `activation_function`, as written (checked by `validate()`).
  public var activationName: String
  /// `vocab_size` (V); 0 for ViT.
  public var vocabularySize: Int
  /// `max_position_embeddings` / `n_positions`; for ViT, patches + 1.
  public var maxPositions: Int
  /// `type_vocab_size` (BERT's segment embeddings).
  public var typeVocabularySize: Int
  /// `rope_theta` (LLaMA).
  public var ropeTheta: Double
  /// `rope_scaling` / `rope_parameters`; `nil` for plain RoPE.
  public var ropeScaling: RopeScaling?
  /// `tie_word_embeddings`: the LM head reuses the token embeddings.
  public var tieWordEmbeddings: Bool
  /// `attention_bias` (LLaMA's q/k/v/o projections); `qkv_bias` for ViT; always true for BERT/GPT-2.
  public var attentionBias: Bool
  /// `mlp_bias` (LLaMA); always true for BERT/GPT-2/ViT.
  public var mlpBias: Bool
  /// `image_size` (ViT).
  public var imageSize: Int
  /// `patch_size` (ViT, P).
  public var patchSize: Int
  /// `num_channels` (ViT).
  public var channelCount: Int
  /// `position_embedding_type` (BERT); only `absolute` is supported.
  public var positionEmbeddingType: String

  /// The Hugging Face key of every field, aliases included.
  public enum CodingKeys: String, CodingKey {
    case modelType = "model_type"
    case hiddenSize = "hidden_size", nEmbd = "n_embd"
    case layerCount = "num_hidden_layers", nLayer = "n_layer"
    case headCount = "num_attention_heads", nHead = "n_head"
    case kvHeadCount = "num_key_value_heads"
    case headDimension = "head_dim"
    case intermediateSize = "intermediate_size", nInner = "n_inner"
    case layerNormEps = "layer_norm_eps", rmsNormEps = "rms_norm_eps", layerNormEpsilon = "layer_norm_epsilon"
    case hiddenAct = "hidden_act", activationFunction = "activation_function"
    case vocabularySize = "vocab_size"
    case maxPositions = "max_position_embeddings", nPositions = "n_positions"
    case typeVocabularySize = "type_vocab_size"
    case ropeTheta = "rope_theta", ropeScaling = "rope_scaling", ropeParameters = "rope_parameters"
    case tieWordEmbeddings = "tie_word_embeddings"
    case attentionBias = "attention_bias", qkvBias = "qkv_bias", mlpBias = "mlp_bias"
    case imageSize = "image_size", patchSize = "patch_size", channelCount = "num_channels"
    case positionEmbeddingType = "position_embedding_type"
  }

  /// Decodes a config, taking the architecture's transformers defaults for missing keys.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    func value<T: Decodable>(_ keys: [CodingKeys], _ fallback: T) throws -> T {
      for key in keys { if let found = try c.decodeIfPresent(T.self, forKey: key) { return found } }
      return fallback
    }
    modelType = try c.decode(String.self, forKey: .modelType)
    let d = Defaults(modelType: modelType)
    hiddenSize = try value([.hiddenSize, .nEmbd], d.hidden)
    layerCount = try value([.layerCount, .nLayer], d.layers)
    headCount = try value([.headCount, .nHead], d.heads)
    kvHeadCount = try value([.kvHeadCount], headCount)
    headDimension = try value([.headDimension], headCount > 0 ? hiddenSize / headCount : 0)
    intermediateSize = try value([.intermediateSize, .nInner], d.intermediate ?? 4 * hiddenSize)
    normEpsilon = try value([.layerNormEps, .rmsNormEps, .layerNormEpsilon], d.epsilon)
    activationName = try value([.hiddenAct, .activationFunction], d.activation)
    vocabularySize = try value([.vocabularySize], d.vocabulary)
    imageSize = try value([.imageSize], 224)
    patchSize = try value([.patchSize], 16)
    channelCount = try value([.channelCount], 3)
    let patches = patchSize > 0 ? (imageSize / patchSize) * (imageSize / patchSize) : 0
    maxPositions = try value([.maxPositions, .nPositions], modelType == "vit" ? patches + 1 : d.positions)
    typeVocabularySize = try value([.typeVocabularySize], 2)
    let parameters = try c.decodeIfPresent(RopeParameters.self, forKey: .ropeParameters)
    ropeTheta = try value([.ropeTheta], parameters?.theta ?? 10_000)
    ropeScaling = try c.decodeIfPresent(RopeScaling.self, forKey: .ropeScaling) ?? parameters?.scaling
    if ropeScaling?.type == "default" { ropeScaling = nil }
    tieWordEmbeddings = try value([.tieWordEmbeddings], modelType == "gpt2")
    attentionBias = try value([.attentionBias, .qkvBias], modelType != "llama")
    mlpBias = try value([.mlpBias], modelType != "llama")
    positionEmbeddingType = try value([.positionEmbeddingType], "absolute")
  }

  /// Encodes under the generic Hugging Face keys (`hidden_size`, `num_hidden_layers`, …), which
  /// `init(from:)` reads back for every architecture.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(modelType, forKey: .modelType)
    try c.encode(hiddenSize, forKey: .hiddenSize)
    try c.encode(layerCount, forKey: .layerCount)
    try c.encode(headCount, forKey: .headCount)
    try c.encode(kvHeadCount, forKey: .kvHeadCount)
    try c.encode(headDimension, forKey: .headDimension)
    try c.encode(intermediateSize, forKey: .intermediateSize)
    try c.encode(normEpsilon, forKey: modelType == "llama" ? .rmsNormEps : .layerNormEps)
    try c.encode(activationName, forKey: .hiddenAct)
    try c.encode(vocabularySize, forKey: .vocabularySize)
    try c.encode(maxPositions, forKey: .maxPositions)
    try c.encode(typeVocabularySize, forKey: .typeVocabularySize)
    try c.encode(ropeTheta, forKey: .ropeTheta)
    try c.encodeIfPresent(ropeScaling, forKey: .ropeScaling)
    try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
    try c.encode(attentionBias, forKey: .attentionBias)
    try c.encode(mlpBias, forKey: .mlpBias)
    try c.encode(imageSize, forKey: .imageSize)
    try c.encode(patchSize, forKey: .patchSize)
    try c.encode(channelCount, forKey: .channelCount)
    try c.encode(positionEmbeddingType, forKey: .positionEmbeddingType)
  }

  /// Decodes `config.json` text; `path` only names the file in errors.
  public static func decode(json data: Data, path: String = "config.json") throws(InferenceError) -> TransformerConfig {
    do {
      return try JSONDecoder().decode(TransformerConfig.self, from: data)
    } catch {
      throw .invalidJSON(path: path, reason: "\(error)")
    }
  }

  /// The activation `activationName` names (valid after `validate()`).
  public var activation: Activation { Activation(huggingFaceName: activationName) ?? .gelu }

  /// Whether the model predicts the next token (llama, gpt2): `head` then gives logits.
  public var isCausalLanguageModel: Bool { modelType == "llama" || modelType == "gpt2" }

  /// The number of image patches along one side (ViT).
  public var patchesPerSide: Int { patchSize > 0 ? imageSize / patchSize : 0 }
}

/// The transformers config-class defaults that differ between architectures.
private struct Defaults {
  var hidden = 768, layers = 12, heads = 12, intermediate: Int? = 3072, epsilon = 1e-12, activation = "gelu"
  var vocabulary = 30522, positions = 512

  init(modelType: String) {
    switch modelType {
    case "llama":
      (hidden, layers, heads, intermediate, epsilon) = (4096, 32, 32, 11008, 1e-6)
      activation = "silu"
      (vocabulary, positions) = (32000, 2048)
    case "gpt2":
      (intermediate, epsilon, activation, vocabulary, positions) = (nil, 1e-5, "gelu_new", 50257, 1024)
    case "vit":
      (vocabulary, positions) = (0, 0)
    default: break
    }
  }
}
