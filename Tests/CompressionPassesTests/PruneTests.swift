import CompressionTestSupport
import ModelCompression
import Testing

/// The `prune` pass as a library user builds it: parameters refused with the rule they break, the
/// sparse-bitmask encoding read back exactly, and dense output with exact zeros.
@Suite struct PruneTests {
  static func makePass(_ spec: String) throws -> any CompressionPass {
    try PassRegistry.standard.makePass(try PassSpec(parsing: spec))
  }

  static let refused: [(String, String)] = [
    ("prune:sparsity=0.96", "sparsity"), ("prune:sparsity=-0.1", "sparsity"), ("prune:pattern=4:2", "pattern"),
    ("prune:pattern=2:2", "pattern"), ("prune:pattern=0:4", "pattern"), ("prune:pattern=2-4", "pattern"),
    ("prune:pattern=2:4,sparsity=0.6", "sparsity"), ("prune:pattern=2:4,allocation=row", "allocation"),
    ("prune:method=wanda,lambda=0.5", "lambda"), ("prune:method=magnitude,damp=0.1", "damp"),
    ("prune:method=sparse-reg,block-size=64", "block-size"), ("prune:method=obs", "method"),
    ("prune:storage=csr", "storage"), ("prune:allocation=global", "allocation"),
  ]

  @Test(arguments: refused.map(\.0))
  func refusesBadParametersNamingTheKey(_ spec: String) throws {
    let key = Self.refused.first { $0.0 == spec }!.1
    #expect {
      _ = try Self.makePass(spec)
    } throws: { error in
      guard case .invalidParameter(let pass, let refusedKey, _, _) = error as? CompressionError else { return false }
      return pass == "prune" && refusedKey == key
    }
  }

  @Test func nOfMNeedsAWidthItDivides() throws {
    let pass = try Self.makePass("prune:method=magnitude,pattern=4:8")
    #expect(throws: CompressionError.self) { try pass.validate(name: "l.weight", shape: [16, 12], layout: .outIn) }
    try pass.validate(name: "l.weight", shape: [12, 16], layout: .outIn)
    try pass.validate(name: "h.0.mlp.c_fc.weight", shape: [16, 12], layout: .inOut)
  }

  @Test func dataAwareMethodsNeedStatistics() throws {
    for method in ["sparse-reg", "sparsegpt", "wanda"] {
      let pass = try Self.makePass("prune:method=\(method)")
      #expect(throws: CompressionError.calibrationRequired(pass: "prune")) {
        _ = try pass.apply(to: Tensor(shape: [4, 8], repeating: 1), dtype: .f32, name: "w", layout: .outIn)
      }
    }
  }

  @Test func magnitudeWritesExactZerosInTheStoredOrientation() throws {
    var generator = SeededGenerator(seed: 5)
    let stored = Tensor(shape: [24, 16], scalars: generator.gaussians(24 * 16))  // (in, out), Conv1D
    let pass = try Self.makePass("prune:method=magnitude,pattern=2:4")
    guard case .dense(let pruned, let dtype) = try pass.apply(to: stored, dtype: .f16, name: "h.0.mlp.c_fc.weight", layout: .inOut)
    else { Issue.record("dense storage must stay dense"); return }
    #expect(dtype == .f16 && pruned.shape == [24, 16])
    // Groups of 4 run along the input dimension: down the columns of the stored (in, out) tensor.
    #expect(SparsityMask(zerosOf: pruned.transposed()).satisfies(n: 2, m: 4))
    #expect(zip(stored.scalars, pruned.scalars).allSatisfy { $1 == 0 || $1 == $0 })
  }

  @Test(arguments: [(5, 13), (3, 8), (1, 1), (4, 16)])
  func bitmaskRoundTripsExactly(_ shape: (Int, Int)) throws {
    var generator = SeededGenerator(seed: UInt64(shape.0 * 100 + shape.1))
    var values = generator.gaussians(shape.0 * shape.1)
    for i in values.indices where i % 3 != 1 { values[i] = 0 }
    let dense = Tensor(shape: [shape.0, shape.1], scalars: values)
    for dtype in [DType.f32, .bf16] {
      let encoded = SparseBitmaskEncoding.encode(dense, dtype: dtype, pattern: "unstructured")
      #expect(encoded.parts.map(\.suffix) == ["shape", "compressed", "bitmask", "row_offsets"])
      #expect(encoded.parts[2].shape == [shape.0, (shape.1 + 7) / 8] && encoded.parts[2].dtype == .u8)
      #expect(encoded.parts[1].shape == [values.filter { $0 != 0 }.count])
      let decoded = try encoded.decoded(tensor: "w")
      let expected = dense.encoded(as: dtype).withUnsafeBytes { Tensor(decoding: $0, dtype: dtype, shape: dense.shape) }
      #expect(decoded == expected)
    }
  }

  @Test func bitmaskBitsAreLowestFirstAsNumpyPackbitsLittle() throws {
    let dense = Tensor(shape: [1, 10], scalars: [1, 0, 0, 2, 0, 0, 0, 0, 0, 3])
    let encoded = SparseBitmaskEncoding.encode(dense, dtype: .f32, pattern: "unstructured")
    #expect(encoded.parts[2].bytes == [0b0000_1001, 0b0000_0010])
    #expect(encoded.parts[3].bytes == [0, 0, 0, 0, 0, 0, 0, 0])
    #expect(encoded.parts[0].bytes == [1, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0])
  }

  @Test func inconsistentBitmaskPartsAreRefused() throws {
    let dense = Tensor(shape: [2, 8], scalars: [1, 0, 2, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0, 0])
    var encoded = SparseBitmaskEncoding.encode(dense, dtype: .f32, pattern: "unstructured")
    encoded.parts[2].bytes[1] |= 0x80  // one more marked value than stored
    #expect(throws: CompressionError.self) { _ = try encoded.decoded(tensor: "w") }
  }
}
