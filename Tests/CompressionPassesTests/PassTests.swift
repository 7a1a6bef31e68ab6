import CompressionTestSupport
import ModelCompression
import Testing

@Suite struct PassTests {
  static func randomMatrix(_ rows: Int, _ columns: Int, seed: UInt64 = 7) -> Tensor {
    var generator = SeededGenerator(seed: seed)
    return Tensor(shape: [rows, columns], scalars: generator.gaussians(rows * columns, scale: 0.02))
  }

  static func makePass(_ spec: String) throws -> any CompressionPass {
    try PassRegistry.standard.makePass(try PassSpec(parsing: spec))
  }

  @Test func rtnStoresTheGPTQLayoutAndReportsItsApproximation() throws {
    let weight = Self.randomMatrix(64, 96)  // (out, in)
    let pass = try Self.makePass("rtn:bits=4,group-size=32")
    guard case .encoded(let encoded) = try pass.apply(to: weight, dtype: .f32, name: "l.weight", layout: .outIn)
    else { Issue.record("rtn must encode"); return }
    #expect(encoded.parts.map(\.suffix) == ["qweight", "qzeros", "scales", "g_idx"])
    #expect(encoded.parts.map(\.shape) == [[12, 64], [3, 8], [3, 64], [96]])
    #expect(encoded.entry.parameters == ["bits": "4", "group_size": "32", "sym": "true", "layout": "out-in"])
    let expected = quantizeRoundToNearest(
      weight, scheme: try QuantizationScheme(bits: 4, groupSize: 32, symmetric: true)
    ).dequantized()
    let decoded = try encoded.decoded(tensor: "l.weight")
    #expect(decoded == expected)
    #expect(relativeError(weight, decoded) < 0.1)
  }

  /// GPT-2's Conv1D weights are (in, out): the pass quantizes the transpose and gives back the
  /// approximation in the stored orientation.
  @Test func rtnHandlesTransposedConv1DWeights() throws {
    let stored = Self.randomMatrix(96, 64)  // (in, out)
    let pass = try Self.makePass("rtn:bits=8,group-size=-1")
    guard case .encoded(let encoded) = try pass.apply(to: stored, dtype: .f32, name: "h.0.mlp.c_fc.weight", layout: .inOut)
    else { Issue.record("rtn must encode"); return }
    let decoded = try encoded.decoded(tensor: "h.0.mlp.c_fc.weight")
    #expect(decoded.shape == [96, 64])
    #expect(encoded.parts[0].shape == [24, 64])  // qweight packs the 96 inputs
    #expect(relativeError(stored, decoded) < 0.01)
  }

  @Test func moreBitsMeanLessError() throws {
    let weight = Self.randomMatrix(32, 128)
    var errors: [Double] = []
    for bits in 2...8 {
      guard case .encoded(let encoded) = try Self.makePass("rtn:bits=\(bits)").apply(
        to: weight, dtype: .f32, name: "w", layout: .outIn)
      else { return }
      errors.append(relativeError(weight, try encoded.decoded(tensor: "w")))
    }
    #expect(errors == errors.sorted(by: >))
    #expect(errors[6] < 0.01)
  }

  @Test func castKeepsValuesAndChangesDType() throws {
    let weight = Self.randomMatrix(4, 4)
    guard case .dense(let tensor, let dtype) = try Self.makePass("cast:dtype=bf16").apply(
      to: weight, dtype: .f32, name: "w", layout: .outIn)
    else { Issue.record("cast stays dense"); return }
    #expect(dtype == .bf16)
    #expect(tensor == weight)
  }

  @Test func registryRefusesUnknownNamesAndParameters() throws {
    #expect(throws: CompressionError.unknownPass(name: "nope", known: ["binarize", "cast", "gptq", "low-rank", "prune", "rtn"])) {
      try Self.makePass("nope")
    }
    #expect(throws: CompressionError.unknownParameter(pass: "cast", key: "bits", known: ["dtype"])) {
      try Self.makePass("cast:bits=4")
    }
    #expect(throws: CompressionError.self) { try Self.makePass("rtn:group-size=0") }
  }
}
