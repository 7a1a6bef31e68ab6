import CompressionTestSupport
import Foundation
import Testing
import TensorCore

@testable import Inference

/// The seams the calibration driver and token pruning use: embed → blocks → head.
@Suite("Hooks: embed, BlockRunner, observer, head")
struct HookTests {
  static let names = ["bert", "llama", "gpt2"]

  func model(_ name: String) throws -> any TransformerModel {
    try ModelFolder(path: Fixtures.path("inference/" + name)).loadModel()
  }

  @Test(arguments: names + ["vit"])
  func forwardIsTheCompositionOfTheHooks(name: String) throws {
    let model = try model(name)
    let input: ModelInput = name == "vit" ? .pixels(try GoldenCase("vit").tensor("pixel_values")) : .tokens([[3, 1, 4, 1, 5], [9, 2]])
    var hidden = model.embed(input)
    for i in 0..<model.blocks.count { hidden = model.blocks[i](hidden) }
    #expect(model.head(hidden) == model.forward(input))
  }

  @Test(arguments: names)
  func paddedBatchEqualsSequencesRunAlone(name: String) throws {
    let model = try model(name)
    let sequences = [[3, 1, 4, 1, 5, 9, 2], [6, 5, 3], [5, 8, 9, 7, 9]]
    let batched = model.forward(.tokens(sequences))  // (3, 7, ·)
    var batchRecorder = Recorder()
    _ = model.forward(.tokens(sequences), observer: &batchRecorder)
    var alone: [Float] = []
    var aloneInputs: [String: [Float]] = [:]
    for sequence in sequences {
      alone += model.forward(.tokens([sequence])).scalars
      var recorder = Recorder()
      _ = model.forward(.tokens([sequence]), observer: &recorder)
      for entry in recorder.linearInputs { aloneInputs[entry.name, default: []] += entry.input.scalars }
    }
    let mismatch = closeness(realScalars(batched, lengths: sequences.map(\.count)), alone, rtol: 1e-5, atol: 1e-5)
    #expect(mismatch == nil, "\(name): \(mismatch ?? "")")
    for entry in batchRecorder.linearInputs {
      #expect(entry.input.shape[0] == 15, "\(entry.name) saw \(entry.input.shape[0]) rows, not the 15 real tokens")
      #expect(closeness(entry.input.scalars, aloneInputs[entry.name]!, rtol: 1e-5, atol: 1e-5) == nil, "\(entry.name)")
    }
  }

  @Test(arguments: names + ["vit"])
  func observerSeesEveryLinearInOrder(name: String) throws {
    let model = try model(name)
    let input: ModelInput = name == "vit" ? .pixels(try GoldenCase("vit").tensor("pixel_values")) : .tokens([[3, 1, 4], [1, 5]])
    var recorder = Recorder()
    _ = model.forward(input, observer: &recorder)
    #expect(recorder.linearInputs.map(\.name) == model.blocks.flatMap(\.linearNames))
    #expect(recorder.linearInputs.map(\.block) == model.blocks.flatMap { b in b.linearNames.map { _ in b.index } })
    for entry in recorder.linearInputs {
      let weight = model.blocks[entry.block].weights[entry.name]!
      #expect(entry.input.shape[1] == weight.shape[1], "\(entry.name): input \(entry.input.shape) for weight \(weight.shape)")
    }
    #expect(recorder.attention.map(\.block) == model.blocks.flatMap { b in Array(repeating: b.index, count: 2) })
    for entry in recorder.attention {
      let h = entry.probabilities.shape[0]
      let l = entry.probabilities.shape[1]
      for row in 0..<(h * l) {
        let sum = entry.probabilities.scalars[(row * l)..<((row + 1) * l)].reduce(0, +)
        #expect(abs(sum - 1) < 1e-5)
      }
    }
  }

  @Test func replacedWeightsAreUsedAndChecked() throws {
    var model = try model("llama")
    let input = ModelInput.tokens([[3, 1, 4, 1, 5]])
    let before = model.forward(input)
    let name = "model.layers.1.mlp.down_proj.weight"
    let original = model.blocks[1].weights[name]!
    try model.blocks[1].replaceWeight(name, with: Tensor(shape: original.shape))
    let zeroed = model.forward(input)
    #expect(zeroed != before)
    try model.blocks[1].replaceWeight(name, with: original)
    #expect(model.forward(input) == before)
    #expect(throws: InferenceError.shapeMismatch(name: name, expected: [32, 48], found: [48, 32])) {
      try model.blocks[1].replaceWeight(name, with: Tensor(shape: [48, 32]))
    }
    #expect(throws: InferenceError.unknownBlockTensor(name: "model.layers.0.mlp.down_proj.weight", block: 1)) {
      try model.blocks[1].replaceWeight("model.layers.0.mlp.down_proj.weight", with: original)
    }
  }

  @Test func droppedTokensKeepTheirPositions() throws {
    // Token pruning hands a block a subset of slots; RoPE must still see the original positions.
    let model = try model("llama")
    let full = model.embed(.tokens([[3, 1, 4, 1, 5]]))
    let kept = [0, 2, 4]
    var subset = Tensor(shape: [1, 3, 32])
    for (n, t) in kept.enumerated() {
      for j in 0..<32 { subset.scalars[n * 32 + j] = full.values.scalars[t * 32 + j] }
    }
    let shifted = model.blocks[0](HiddenStates(values: subset, positions: kept))
    let packed = model.blocks[0](HiddenStates(values: subset))
    #expect(shifted.values != packed.values)
    #expect(shifted.positions == kept)
  }
}
