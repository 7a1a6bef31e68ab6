import Compression
import Safetensors
import Testing

@Suite struct SelectionTests {
  /// Tensors shaped like a small LLaMA and a small BERT.
  static let tensors: [TensorInfo] = [
    ("model.embed_tokens.weight", [100, 8]), ("model.layers.0.self_attn.q_proj.weight", [8, 8]),
    ("model.layers.0.mlp.down_proj.weight", [8, 16]), ("model.layers.0.input_layernorm.weight", [8]),
    ("model.layers.1.self_attn.q_proj.weight", [8, 8]), ("model.norm.weight", [8]),
    ("lm_head.weight", [100, 8]), ("encoder.layer.3.attention.self.query.weight", [8, 8]),
    ("encoder.layer.3.attention.self.query.bias", [8]),
    ("encoder.layer.3.attention.output.LayerNorm.weight", [8]),
    ("embeddings.position_embeddings.weight", [16, 8]), ("h.2.attn.c_attn.weight", [8, 24]),
  ].map { TensorInfo(name: $0.0, dtype: .f32, shape: $0.1, dataOffsets: 0..<($0.1.reduce(4, *))) }

  @Test func defaultRuleSelectsOnlyBlockLinearWeights() throws {
    let selected = try TensorSelection().resolve(in: Self.tensors, pass: "rtn")
    #expect(
      selected == [
        "model.layers.0.self_attn.q_proj.weight", "model.layers.0.mlp.down_proj.weight",
        "model.layers.1.self_attn.q_proj.weight", "encoder.layer.3.attention.self.query.weight",
        "h.2.attn.c_attn.weight",
      ])
  }

  @Test func targetsAndIgnoreCombineExactGlobAndRegex() throws {
    let selection = TensorSelection(
      targets: [try TensorSelector("re:model\\.layers\\.\\d+\\.self_attn"), try TensorSelector("lm_head.weight")],
      ignore: [try TensorSelector("*layers.1.*")])
    #expect(
      try selection.resolve(in: Self.tensors, pass: "rtn") == [
        "model.layers.0.self_attn.q_proj.weight", "lm_head.weight",
      ])
  }

  @Test func aSelectorMatchingNothingIsAnError() throws {
    let selection = TensorSelection(targets: [try TensorSelector("model.layers.9.*")])
    #expect(throws: CompressionError.selectorMatchedNothing(pass: "rtn", selector: "model.layers.9.*")) {
      try selection.resolve(in: Self.tensors, pass: "rtn")
    }
    let ignoring = TensorSelection(ignore: [try TensorSelector("typo.weight")])
    #expect(throws: CompressionError.selectorMatchedNothing(pass: "cast", selector: "typo.weight")) {
      try ignoring.resolve(in: Self.tensors, pass: "cast")
    }
  }

  @Test func anInvalidRegexIsRefusedWhenParsed() {
    #expect(throws: CompressionError.self) { try TensorSelector("re:(unclosed") }
  }

  @Test func regexSelectorsMatchFromTheStart() throws {
    let selector = try TensorSelector("re:layers")
    #expect(!selector.matches("model.layers.0.weight"))
    #expect(try TensorSelector("re:.*layers").matches("model.layers.0.weight"))
  }
}
