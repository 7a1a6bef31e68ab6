import Compression
import CompressionTestSupport
import TensorCore
import Testing

/// Held-out random layers: for seeded shapes, schemes and options, GPTQ's layer error
/// `tr(ΔHΔᵀ)` never exceeds round-to-nearest's on the same H, and the fast solver agrees with
/// its plain twin.
@Suite struct GPTQPropertyTests {
  /// One random configuration drawn from `seed`.
  struct Draw: CustomStringConvertible {
    let rows: Int
    let columns: Int
    let tokens: Int
    let options: GPTQOptions
    let deadColumn: Int?

    init(seed: UInt64) {
      var g = SeededGenerator(seed: seed &* 7919)
      rows = Int.random(in: 4...72, using: &g)
      columns = [48, 100, 192, 257, 320].randomElement(using: &g)!
      tokens = Int.random(in: (columns / 2)...(3 * columns), using: &g)  // often rank-deficient
      let bits = Int.random(in: 2...8, using: &g)
      let groupSize = [nil, 16, 32, 64, 128, 100].randomElement(using: &g)!
      let scheme = try! QuantizationScheme(bits: bits, groupSize: groupSize, symmetric: Bool.random(using: &g))
      options = GPTQOptions(
        scheme: scheme, blockSize: [32, 64, 128, 256].randomElement(using: &g)!,
        dampening: [0.01, 0.05, 0.1].randomElement(using: &g)!, actOrder: Bool.random(using: &g),
        staticGroups: Bool.random(using: &g))
      deadColumn = Bool.random(using: &g) ? Int.random(in: 0..<columns, using: &g) : nil
    }

    var description: String {
      "(\(rows), \(columns)) n=\(tokens) bits \(options.scheme.bits) group "
        + "\(options.scheme.groupSize.map(String.init) ?? "row") sym \(options.scheme.symmetric) "
        + "B \(options.blockSize) act \(options.actOrder) static \(options.staticGroups)"
    }
  }

  @Test(arguments: 0..<24)
  func gptqNeverLosesToRoundToNearest(_ seed: Int) throws {
    let draw = Draw(seed: UInt64(seed))
    let w = GPTQTestData.weight(rows: draw.rows, columns: draw.columns, seed: UInt64(1000 + seed))
    let h = GPTQTestData.hessian(
      columns: draw.columns, tokens: draw.tokens, seed: UInt64(2000 + seed), deadColumn: draw.deadColumn)
    let result = try gptqQuantize(weight: w, hessian: h, options: draw.options)
    let rtn = quantizeRoundToNearest(w, scheme: draw.options.scheme, minimumZero: draw.options.minimumZero)
    let ours = GPTQTestData.layerError(w, result.matrix.dequantized(), hessian: h)
    let baseline = GPTQTestData.layerError(w, rtn.dequantized(), hessian: h)
    #expect(ours <= baseline, "\(draw): GPTQ \(ours) > RTN \(baseline)")
    #expect(result.matrix.zeros.allSatisfy { $0 >= draw.options.minimumZero })
  }

  @Test(arguments: 0..<8)
  func fastSolverAgreesWithPlainTwin(_ seed: Int) throws {
    let draw = Draw(seed: UInt64(100 + seed))
    let w = GPTQTestData.weight(rows: draw.rows, columns: draw.columns, seed: UInt64(3000 + seed))
    let h = GPTQTestData.hessian(
      columns: draw.columns, tokens: draw.tokens, seed: UInt64(4000 + seed), deadColumn: draw.deadColumn)
    let fast = try gptqQuantize(weight: w, hessian: h, options: draw.options)
    let plain = try GPTQReference.quantize(weight: w, hessian: h, options: draw.options)
    let mismatches = zip(fast.matrix.codes, plain.matrix.codes).filter { $0 != $1 }.count
    #expect(
      Double(mismatches) <= GPTQSolverTests.codeMismatchTolerance * Double(fast.matrix.codes.count),
      "\(draw): \(mismatches) codes differ")
    #expect(fast.matrix.gIdx == plain.matrix.gIdx)
    #expect(abs(fast.loss - plain.loss) <= 0.01 * plain.loss + 1e-9, "\(draw)")
  }
}
