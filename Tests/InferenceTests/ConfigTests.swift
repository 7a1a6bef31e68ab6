import CompressionTestSupport
import Foundation
import Testing

@testable import Inference

@Suite("TransformerConfig")
struct ConfigTests {
  func decode(_ json: String) throws -> TransformerConfig {
    try TransformerConfig.decode(json: Data(json.utf8))
  }

  @Test func decodesEveryFixtureConfig() throws {
    let llama = try ModelFolder(path: Fixtures.path("inference/llama")).config
    #expect(llama.modelType == "llama" && llama.headCount == 4 && llama.kvHeadCount == 2 && llama.headDimension == 8)
    #expect(llama.ropeTheta == 100_000 && llama.ropeScaling == nil && llama.tieWordEmbeddings)
    #expect(llama.normEpsilon == 1e-6 && llama.activation == .silu && !llama.attentionBias && !llama.mlpBias)
    let scaled = try ModelFolder(path: Fixtures.path("inference/llama3_scaled")).config
    #expect(scaled.ropeTheta == 500_000)
    #expect(scaled.ropeScaling == RopeScaling(type: "llama3", factor: 4, lowFrequencyFactor: 1, highFrequencyFactor: 4, originalMaxPositions: 8))
    let gpt2 = try ModelFolder(path: Fixtures.path("inference/gpt2")).config
    #expect(gpt2.hiddenSize == 32 && gpt2.layerCount == 2 && gpt2.headCount == 4 && gpt2.intermediateSize == 128)
    #expect(gpt2.maxPositions == 64 && gpt2.normEpsilon == 1e-5 && gpt2.activation == .geluTanh && gpt2.tieWordEmbeddings)
    let vit = try ModelFolder(path: Fixtures.path("inference/vit")).config
    #expect(vit.imageSize == 32 && vit.patchSize == 8 && vit.channelCount == 3 && vit.attentionBias && vit.maxPositions == 17)
    let bert = try ModelFolder(path: Fixtures.path("inference/bert")).config
    #expect(bert.typeVocabularySize == 2 && bert.normEpsilon == 1e-12 && bert.activation == .gelu)
  }

  @Test func readsTransformers4RopeKeys() throws {
    let config = try decode(#"""
      {"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4, "rope_theta": 50000,
       "rope_scaling": {"type": "linear", "factor": 2.0}}
      """#)
    #expect(config.ropeTheta == 50000 && config.ropeScaling == RopeScaling(type: "linear", factor: 2))
    try config.validate()
  }

  @Test func roundTripsThroughJSON() throws {
    for name in ["bert", "llama", "llama3_scaled", "gpt2", "vit"] {
      let config = try ModelFolder(path: Fixtures.path("inference/" + name)).config
      let data = try JSONEncoder().encode(config)
      #expect(try TransformerConfig.decode(json: data) == config, "\(name)")
    }
  }

  @Test(arguments: [
    (#"{"model_type": "t5"}"#, InferenceError.unsupportedArchitecture(modelType: "t5")),
    (#"{"model_type": "bert", "hidden_size": 0}"#, .nonPositiveDimension(key: "hidden_size", value: 0)),
    (#"{"model_type": "bert", "hidden_size": 100, "num_attention_heads": 12}"#, .hiddenNotDivisibleByHeads(hidden: 100, heads: 12)),
    (#"{"model_type": "llama", "num_attention_heads": 32, "num_key_value_heads": 5}"#, .headsNotDivisibleByKVHeads(heads: 32, kvHeads: 5)),
    (#"{"model_type": "llama", "hidden_size": 30, "num_attention_heads": 2, "head_dim": 15}"#, .oddRotaryDimension(headDimension: 15)),
    (#"{"model_type": "bert", "hidden_act": "mish"}"#, .unsupportedActivation(name: "mish")),
    (#"{"model_type": "llama", "rope_scaling": {"rope_type": "yarn", "factor": 4}}"#, .unsupportedRopeScaling(type: "yarn")),
    (#"{"model_type": "llama", "rope_parameters": {"rope_type": "dynamic", "rope_theta": 1e4}}"#, .unsupportedRopeScaling(type: "dynamic")),
    (#"{"model_type": "llama", "rope_scaling": {"rope_type": "linear"}}"#, .invalidRopeScaling(type: "linear", key: "factor")),
    (#"{"model_type": "llama", "rope_scaling": {"rope_type": "llama3", "factor": 8, "low_freq_factor": 1, "high_freq_factor": 4}}"#,
     .invalidRopeScaling(type: "llama3", key: "original_max_position_embeddings")),
    (#"{"model_type": "bert", "position_embedding_type": "relative_key"}"#, .unsupportedPositionEmbedding(type: "relative_key")),
    (#"{"model_type": "vit", "image_size": 30, "patch_size": 8}"#, .imageNotDivisibleByPatch(imageSize: 30, patchSize: 8)),
  ])
  func validateRefuses(json: String, error: InferenceError) throws {
    let config = try decode(json)
    #expect(throws: error) { try config.validate() }
  }

  @Test func messagesNameTheNumbers() {
    #expect(InferenceError.shapeMismatch(name: "a.weight", expected: [2, 3], found: [3, 2]).description
      == "checkpoint: tensor 'a.weight' has shape [3, 2], expected [2, 3]")
    #expect(InferenceError.headsNotDivisibleByKVHeads(heads: 32, kvHeads: 5).description
      == "config: 32 attention heads are not a multiple of 5 key/value heads")
  }

  @Test func malformedJSONIsATypedError() {
    #expect(throws: InferenceError.self) { try decode("{") }
    #expect(throws: InferenceError.fileNotFound(path: "/nonexistent/config.json")) {
      try ModelFolder(path: "/nonexistent")
    }
  }
}
