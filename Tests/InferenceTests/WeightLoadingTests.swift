import CompressionTestSupport
import Foundation
import Testing
import TensorCore

@testable import Inference

@Suite("Weight sources and loading")
struct WeightLoadingTests {
  func llamaSource() throws -> (TransformerConfig, InMemoryWeightSource) {
    let folder = try ModelFolder(path: Fixtures.path("inference/llama"))
    let checkpoint = try folder.weights()
    var tensors: [String: Tensor] = [:]
    for info in checkpoint.checkpoint.tensors { tensors[info.name] = try checkpoint.loadTensor(info.name) }
    return (folder.config, InMemoryWeightSource(tensors))
  }

  @Test func missingTensorIsNamed() throws {
    var (config, source) = try llamaSource()
    source.tensors["model.layers.1.mlp.up_proj.weight"] = nil
    #expect(throws: InferenceError.missingTensor(name: "model.layers.1.mlp.up_proj.weight")) {
      try LlamaModel(config: config, weights: source)
    }
    config.tieWordEmbeddings = false
    #expect(throws: InferenceError.missingTensor(name: "lm_head.weight")) {
      try LlamaModel(config: config, weights: try llamaSource().1)
    }
  }

  /// A streamed model checks every block tensor up front but reads a block's weights only at
  /// `load()`; loaded, the block equals the resident one, and `unload()` drops its weights.
  @Test func streamedBlocksLoadInTheirTurn() throws {
    let (config, source) = try llamaSource()
    let resident = try LlamaModel(config: config, weights: source)
    var streamed = try LlamaModel(config: config, weights: source, residency: .streamed)
    #expect(streamed.blocks.allSatisfy { $0.isStreamed && !$0.isLoaded })
    try streamed.blocks[1].load()
    #expect(streamed.blocks[1].weights == resident.blocks[1].weights)
    let input = resident.embed(.tokens([[1, 2, 3]]))
    #expect(streamed.blocks[1](input).values == resident.blocks[1](input).values)
    streamed.blocks[1].unload()
    #expect(!streamed.blocks[1].isLoaded)
    var resident1 = resident.blocks[1]
    resident1.unload()
    #expect(resident1.isLoaded && !resident1.isStreamed)
    var missing = source
    missing.tensors["model.layers.1.mlp.up_proj.weight"] = nil
    #expect(throws: InferenceError.missingTensor(name: "model.layers.1.mlp.up_proj.weight")) {
      try LlamaModel(config: config, weights: missing, residency: .streamed)
    }
  }

  @Test func shapeMismatchNamesBothShapes() throws {
    var (config, source) = try llamaSource()
    config.kvHeadCount = 4
    #expect(throws: InferenceError.shapeMismatch(name: "model.layers.0.self_attn.k_proj.weight", expected: [32, 32], found: [16, 32])) {
      try LlamaModel(config: config, weights: source)
    }
    config.kvHeadCount = 2
    source.tensors["model.norm.weight"] = Tensor(shape: [31])
    #expect(throws: InferenceError.shapeMismatch(name: "model.norm.weight", expected: [32], found: [31])) {
      try LlamaModel(config: config, weights: source)
    }
  }

  @Test func unsupportedArchitectureAndDType() throws {
    var config = try llamaSource().0
    config.modelType = "mamba"
    #expect(throws: InferenceError.unsupportedArchitecture(modelType: "mamba")) {
      try loadTransformer(config: config, weights: InMemoryWeightSource([:]))
    }
    let minilm = Fixtures.repositoryRoot.appendingPathComponent(".cache/models/all-MiniLM-L6-v2").path
    if FileManager.default.fileExists(atPath: minilm + "/model.safetensors") {
      let source = try SafetensorsWeightSource(path: minilm)
      #expect(throws: InferenceError.unsupportedDType(name: "embeddings.position_ids", dtype: .i64)) {
        try source.loadTensor("embeddings.position_ids")
      }
    }
  }

  @Test func prefixedCheckpointsLoad() throws {
    let folder = try ModelFolder(path: Fixtures.path("inference/bert"))
    let checkpoint = try folder.weights()
    var tensors: [String: Tensor] = [:]
    for info in checkpoint.checkpoint.tensors { tensors["bert." + info.name] = try checkpoint.loadTensor(info.name) }
    let model = try BertModel(config: folder.config, weights: InMemoryWeightSource(tensors))
    #expect(model.blocks[1].linearNames.first == "bert.encoder.layer.1.attention.self.query.weight")
    let plain = try folder.loadModel()
    #expect(model.forward(.tokens([[5, 6, 7]])) == plain.forward(.tokens([[5, 6, 7]])))
  }

  @Test func gpt2ConvWeightsAreHeldOutByIn() throws {
    let model = try #require(try ModelFolder(path: Fixtures.path("inference/gpt2")).loadModel() as? GPT2Model)
    let source = try ModelFolder(path: Fixtures.path("inference/gpt2")).weights()
    let stored = try source.loadTensor("transformer.h.0.attn.c_attn.weight")  // (C, 3C)
    #expect(stored.shape == [32, 96])
    #expect(model.blocks[0].weights["transformer.h.0.attn.c_attn.weight"] == stored.transposed())
  }
}
