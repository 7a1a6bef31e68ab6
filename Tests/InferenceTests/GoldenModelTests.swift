import CompressionTestSupport
import Testing
import TensorCore

@testable import Inference

/// Each tiny model against transformers: the hidden states at every block boundary, the
/// attention probabilities of block 0, and the final output.
@Suite("Golden tiny models (transformers 5, eager attention)")
struct GoldenModelTests {
  @Test(arguments: ["bert", "llama", "llama3_scaled", "gpt2", "vit"])
  func blockBoundariesMatch(name: String) throws {
    let golden = try GoldenCase(name)
    let model = try golden.model()
    let input: ModelInput = name == "vit" ? .pixels(try golden.tensor("pixel_values")) : .tokens(try golden.tokens())
    let states = model.blockBoundaries(input)
    let lengths = states[0].lengths
    // transformers reports the last block's output after the final norm for llama and gpt2.
    let finalNormed = model.config.isCausalLanguageModel
    for (i, state) in states.enumerated() {
      let actual = i == states.count - 1 && finalNormed ? finalNorm(model, state) : state.values
      let expected = try golden.tensor("hidden_states.\(i)")
      #expect(actual.shape == expected.shape)
      let mismatch = closeness(
        realScalars(actual, lengths: lengths), realScalars(expected, lengths: lengths),
        rtol: GoldenTolerance.relative, atol: GoldenTolerance.absolute)
      #expect(mismatch == nil, "\(name) hidden_states.\(i): \(mismatch ?? "")")
    }
  }

  @Test(arguments: ["bert", "llama", "llama3_scaled", "gpt2", "vit"])
  func outputMatches(name: String) throws {
    let golden = try GoldenCase(name)
    let model = try golden.model()
    let input: ModelInput = name == "vit" ? .pixels(try golden.tensor("pixel_values")) : .tokens(try golden.tokens())
    let output = model.forward(input)
    let expected = try golden.tensor(model.config.isCausalLanguageModel ? "logits" : "last_hidden_state")
    #expect(output.shape == expected.shape)
    let lengths = name == "vit" ? [17, 17] : try golden.tokens().map(\.count)
    let mismatch = closeness(
      realScalars(output, lengths: lengths), realScalars(expected, lengths: lengths),
      rtol: GoldenTolerance.relative, atol: GoldenTolerance.absolute)
    #expect(mismatch == nil, "\(name): \(mismatch ?? "")")
  }

  @Test(arguments: ["bert", "llama", "llama3_scaled", "gpt2", "vit"])
  func attentionProbabilitiesOfBlock0Match(name: String) throws {
    let golden = try GoldenCase(name)
    let model = try golden.model()
    let input: ModelInput = name == "vit" ? .pixels(try golden.tensor("pixel_values")) : .tokens(try golden.tokens())
    var recorder = Recorder()
    _ = model.blocks[0](model.embed(input), observer: &recorder)
    let expected = try golden.tensor("attentions.0")  // (B, H, T, T)
    let (heads, length) = (expected.shape[1], expected.shape[2])
    #expect(recorder.attention.count == expected.shape[0])
    for (block, b, probabilities) in recorder.attention {
      #expect(block == 0)
      let count = probabilities.shape[1]
      var corner: [Float] = []
      for h in 0..<heads {
        for i in 0..<count {
          let row = ((b * heads + h) * length + i) * length
          corner += expected.scalars[row..<(row + count)]
        }
      }
      let mismatch = closeness(probabilities.scalars, corner, rtol: GoldenTolerance.relative, atol: GoldenTolerance.absolute)
      #expect(mismatch == nil, "\(name) sequence \(b): \(mismatch ?? "")")
    }
  }

  @Test func bertSentenceEmbeddingsMatch() throws {
    let golden = try GoldenCase("bert")
    let model = try golden.model()
    let embeddings = sentenceEmbeddings(model: model, tokens: try golden.tokens())
    let mismatch = closeness(
      embeddings.scalars, try golden.tensor("sentence_embedding").scalars,
      rtol: GoldenTolerance.relative, atol: GoldenTolerance.absolute)
    #expect(mismatch == nil, "\(mismatch ?? "")")
  }

  @Test func llamaPerplexityMatches() throws {
    let golden = try GoldenCase("llama")
    let model = try golden.model()
    let tokens = try golden.integers("perplexity_tokens")
    let expected = try golden.doubles("perplexity")
    let result = perplexity(model: model, tokens: tokens, context: 10)
    #expect(result.tokens == Int(expected[1]))
    #expect(abs(result.perplexity - expected[0]) <= 1e-5 * expected[0], "\(result.perplexity) vs \(expected[0])")
    let limited = perplexity(model: model, tokens: tokens, context: 10, maxWindows: 2)
    #expect(limited.tokens == 18)
  }

  private func finalNorm(_ model: any TransformerModel, _ state: HiddenStates) -> Tensor {
    switch model {
    case let llama as LlamaModel:
      rmsNorm(state.rows, weight: llama.finalNorm, epsilon: Float(llama.config.normEpsilon)).reshaped(state.values.shape)
    case let gpt2 as GPT2Model:
      layerNorm(state.rows, weight: gpt2.finalNormWeight, bias: gpt2.finalNormBias, epsilon: Float(gpt2.config.normEpsilon))
        .reshaped(state.values.shape)
    default: state.values
    }
  }
}
