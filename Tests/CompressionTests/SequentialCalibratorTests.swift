import Compression
import CompressionTestSupport
import Inference
import TensorCore
import Testing

/// The sequential loop on the tiny LLaMA fixture (2 blocks, GQA) from `Fixtures/inference`.
@Suite struct SequentialCalibratorTests {
  static func model(_ name: String = "llama") throws -> any TransformerModel {
    try ModelFolder(path: Fixtures.path("inference/" + name)).loadModel()
  }

  static func calibration(_ model: any TransformerModel) -> CalibrationSet {
    var generator = SeededGenerator(seed: 5)
    let vocabulary = model.config.vocabularySize
    return CalibrationSet(samples: (0..<3).map { _ in (0..<12).map { _ in Int.random(in: 0..<vocabulary, using: &generator) } })
  }

  /// Solves by scaling every weight by 0.9 and records what it was asked, in order.
  final class Recorder: @unchecked Sendable {
    var calls: [(name: String, samples: Int, tokens: Int)] = []
  }

  @Test func laterBlocksSeeTheChangedEarlierBlocks() throws {
    var model = try Self.model()
    let calibration = Self.calibration(model)
    let selected = Set(model.blocks.flatMap(\.linearNames))
    let recorder = Recorder()
    try SequentialCalibrator(trueSequential: true).run(model: &model, calibration: calibration, selected: selected) {
      name, weight, hessian in
      recorder.calls.append((name, hessian.sampleCount, hessian.tokenCount))
      return 0.9 * weight
    }
    // Every selected linear solved once, with every sample and token.
    #expect(Set(recorder.calls.map(\.name)) == selected && recorder.calls.count == selected.count)
    #expect(recorder.calls.allSatisfy { $0.samples == 3 && $0.tokens == 36 })
    // True-sequential order: q, k, v share an input, then o, then gate/up, then down.
    let block0 = recorder.calls.prefix(7).map { $0.name.split(separator: ".").dropLast().last! }
    #expect(block0 == ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    // The model now holds the scaled weights.
    let original = try Self.model()
    let name = model.blocks[1].linearNames[0]
    #expect(model.blocks[1].weights[name]! == 0.9 * original.blocks[1].weights[name]!)
  }

  /// Hessians of block 1 must come from block 0's *changed* outputs: compare with the Hessian
  /// that a full forward pass of the already-changed model gives.
  @Test func hessiansFollowTheCompressedPrefix() throws {
    var model = try Self.model()
    let calibration = Self.calibration(model)
    let first = model.blocks[0].linearNames
    let probe = model.blocks[1].linearNames[0]
    var seen: LayerStatistics?
    try SequentialCalibrator(trueSequential: false).run(
      model: &model, calibration: calibration, selected: Set(first + [probe])
    ) { name, weight, hessian in
      if name == probe { seen = hessian }
      return first.contains(name) ? 0.5 * weight : weight
    }
    let expected = HessianAccumulator.collect(model: model, calibration: calibration, names: [probe])[probe]!
    let got = try #require(seen)
    #expect(closeness(got.hessian.scalars, expected.hessian.scalars, rtol: 1e-4, atol: 1e-5) == nil)
  }

  /// With true-sequential groups every linear's input depends only on linears solved before it,
  /// so each Hessian the loop hands out (accumulated once per group, the block stopping after the
  /// group's input, the calls before it replayed from the tapes) equals the Hessian of a full
  /// forward pass of the finished model — in every token architecture.
  @Test(arguments: ["llama", "bert", "gpt2"])
  func trueSequentialHessiansEqualThoseOfTheFinishedModel(name: String) throws {
    var model = try Self.model(name)
    let calibration = Self.calibration(model)
    let selected = model.blocks.flatMap(\.linearNames)
    var seen: [String: LayerStatistics] = [:]
    try SequentialCalibrator(trueSequential: true).run(model: &model, calibration: calibration, selected: Set(selected)) {
      name, weight, hessian in
      seen[name] = hessian
      return 0.5 * weight
    }
    let expected = HessianAccumulator.collect(model: model, calibration: calibration, names: selected)
    for weight in selected {
      let got = try #require(seen[weight])
      #expect(got.tokenCount == 36)
      #expect(closeness(got.hessian.scalars, expected[weight]!.hessian.scalars, rtol: 1e-4, atol: 1e-5) == nil, "\(weight)")
    }
  }

  /// Budget 0 spills every sample and leaves no room for tapes, so the true-sequential loop
  /// recomputes each block from its input: the same weights, bit for bit.
  @Test func spillingAndTapesGiveTheSameResult() throws {
    var inMemory = try Self.model()
    var spilled = try Self.model()
    let calibration = Self.calibration(inMemory)
    let selected = Set(inMemory.blocks.flatMap(\.linearNames))
    let solve: SequentialCalibrator.Solve = { _, weight, hessian in
      weight + (1e-3 / Float(hessian.tokenCount)) * Tensor(shape: weight.shape, repeating: 1)
    }
    try SequentialCalibrator(memoryBudget: 1 << 30).run(model: &inMemory, calibration: calibration, selected: selected, solve: solve)
    try SequentialCalibrator(memoryBudget: 0).run(model: &spilled, calibration: calibration, selected: selected, solve: solve)
    for b in inMemory.blocks.indices {
      #expect(inMemory.blocks[b].weights == spilled.blocks[b].weights)
    }
  }

  /// A streamed model (each block read in its turn and dropped after) gives the solver the same
  /// weights and Hessians as a resident one, and ends with every block unloaded.
  @Test func streamedBlocksGiveTheSameResult() throws {
    var resident = try Self.model()
    let folder = try ModelFolder(path: Fixtures.path("inference/llama"))
    var streamed = try loadTransformer(config: folder.config, weights: folder.weights(), residency: .streamed)
    let calibration = Self.calibration(resident)
    let selected = Set(resident.blocks.flatMap(\.linearNames))
    final class Solved: @unchecked Sendable { var weights: [String: Tensor] = [:] }
    let solved = Solved()
    let solve: SequentialCalibrator.Solve = { name, weight, hessian in
      let result = weight + (1e-3 / Float(hessian.tokenCount)) * Tensor(shape: weight.shape, repeating: 1)
      solved.weights[name] = result
      return result
    }
    try SequentialCalibrator().run(model: &resident, calibration: calibration, selected: selected, solve: solve)
    try SequentialCalibrator().run(model: &streamed, calibration: calibration, selected: selected, solve: solve)
    #expect(streamed.blocks.allSatisfy { !$0.isLoaded })
    for name in selected {
      let block = resident.blocks.first { $0.linearNames.contains(name) }!
      #expect(solved.weights[name] == block.weights[name])
    }
  }
}
