import CompressionTestSupport
import Foundation
import Testing

@testable import Compression
@testable import Inference
@testable import TensorCore

/// `binarize` and `fitBinarizationResidual` against their plain twin and the properties the pass
/// stands on; the packed format and the engine's row-block product.
@Suite struct BinarizationSolverTests {
  /// Rows with different scales and non-zero means, as real layers have.
  static func weight(_ out: Int, _ columns: Int, seed: UInt64) -> Tensor {
    var generator = SeededGenerator(seed: seed)
    var w = Tensor(shape: [out, columns], scalars: generator.gaussians(out * columns))
    for r in 0..<out {
      let (scale, offset) = (Float(0.5 + Double(r % 5) * 0.3), Float(r % 3) * 0.2 - 0.2)
      for c in 0..<columns { w[r, c] = w[r, c] * scale + offset }
    }
    return w
  }

  static func inputs(tokens: Int, columns: Int, seed: UInt64) -> Tensor {
    LowRankSolverTests.inputs(tokens: tokens, columns: columns, seed: seed)
  }

  static func hessian(_ x: Tensor) -> Tensor { LowRankSolverTests.hessian(x) }

  // MARK: - The packed format

  @Test(arguments: [1, 7, 8, 9, 13, 64, 65])
  func bitsPackAndUnpackExactly(columns: Int) {
    var generator = SeededGenerator(seed: UInt64(columns))
    let rows = 5
    let flags = (0..<(rows * columns)).map { _ in generator.next() % 2 == 0 }
    let bytes = BinaryLinear.pack(flags, rows: rows, columns: columns)
    #expect(bytes.count == rows * ((columns + 7) / 8))
    #expect(BinaryLinear.unpack(bytes, rows: rows, columns: columns) == flags)
    // Lowest bit first, each row starting on a byte, padding zero.
    for r in 0..<rows {
      for c in 0..<columns {
        #expect((bytes[r * ((columns + 7) / 8) + c / 8] >> UInt8(c % 8)) & 1 == (flags[r * columns + c] ? 1 : 0))
      }
      if columns % 8 != 0 { #expect(bytes[(r + 1) * ((columns + 7) / 8) - 1] >> UInt8(columns % 8) == 0) }
    }
  }

  /// The engine's product (signs decoded block of rows by block of rows, the residual as two thin
  /// products) equals x·Wᵀ with W the decoded weight, on widths that are not multiples of 8 and
  /// with more rows than one block holds.
  @Test(arguments: [(13, 19), (300, 1100)])
  func engineProductEqualsTheDecodedWeight(shape: (Int, Int)) throws {
    let (out, columns) = shape
    let w = Self.weight(out, columns, seed: 7)
    let x = Self.inputs(tokens: 9, columns: columns, seed: 8)
    let signs = try binarize(weight: w, hessian: nil, options: BinarizationOptions(salientFraction: 0.05))
    let matrix = try fitBinarizationResidual(weight: w, binarized: signs.matrix, hessian: nil, rank: 3).matrix
    var generator = SeededGenerator(seed: 9)
    let bias = Tensor(shape: [out], scalars: generator.gaussians(out))
    var expected = matmul(x, matrix.dense(), transposeB: true)
    for t in 0..<9 { for o in 0..<out { expected[t, o] += bias.scalars[o] } }
    let product = matrix.apply(x, bias: bias)
    #expect(product.shape == [9, out])
    let largest = expected.scalars.map { abs($0) }.max()!
    #expect(closeness(product.scalars, expected.scalars, rtol: 1e-5, atol: 1e-5 * largest) == nil)
  }

  @Test func encodingRoundTripsEveryPart() throws {
    let w = Self.weight(21, 70, seed: 10)
    let signs = try binarize(weight: w, hessian: nil, options: BinarizationOptions(salientFraction: 0.1))
    let matrix = try fitBinarizationResidual(weight: w, binarized: signs.matrix, hessian: nil, rank: 2).matrix
    let encoded = BinaryEncoding.encode(matrix, scale: .row, originalDType: .f32, originalShape: [70, 21], layout: .inOut)
    let parts = StoredParts(tensor: "m.weight", path: "memory", encoded: encoded)
    #expect(try BinaryEncoding.matrix(parts, entry: encoded.entry) == matrix)
    // The stored orientation: GPT-2's Conv1D layout comes back transposed.
    #expect(try encoded.decoded(tensor: "m.weight") == matrix.dense().transposed())
    #expect(encoded.entry.parameters["salient"] == "\(matrix.salient!.count)")
    #expect(encoded.entry.parameters["residual_rank"] == "2")
  }

  // MARK: - Against the plain twin

  @Test(arguments: ["row", "matrix", "salient", "feedback", "feedback-salient"])
  func matchesThePlainTwin(kind: String) throws {
    let x = Self.inputs(tokens: 128, columns: 40, seed: 11)
    let w = Self.weight(24, 40, seed: 12)
    let options = BinarizationOptions(
      scale: kind == "matrix" ? .matrix : .row, salientFraction: kind.hasSuffix("salient") ? 0.1 : 0,
      feedback: kind.hasPrefix("feedback"), blockSize: 16)
    let hessian: Tensor? = kind.hasPrefix("feedback") || kind == "salient" ? Self.hessian(x) : nil
    let fast = try binarize(weight: w, hessian: hessian, options: options)
    let plain = try BinarizationReference.binarize(weight: w, hessian: hessian, options: options)
    let decoded = fast.matrix.dense()
    let flags = BinaryLinear.unpack(fast.matrix.bits, rows: 24, columns: 40)
    // Float32 lazy batches against Double full updates: a sign may flip only where the weight, as
    // updated, sits within rounding of μ; none does here, and the values agree to float rounding.
    #expect(flags == plain.positive)
    #expect(closeness(decoded.scalars, plain.weight.scalars, rtol: 1e-3, atol: 1e-4) == nil)
    if let salient = plain.salient {
      var stored = [Bool](repeating: false, count: 24 * 40)
      let csr = try #require(fast.matrix.salient)
      for r in 0..<24 { for i in Int(csr.rowOffsets[r])..<Int(csr.rowOffsets[r + 1]) { stored[r * 40 + Int(csr.columns[i])] = true } }
      #expect(stored == salient)
    }
  }

  // MARK: - Properties

  /// For its signs, α = mean|w − μ| is the scale with the least ‖w − α·s − μ‖²: moving it either
  /// way (by more than its F16 rounding) only adds error, per row and for the whole matrix.
  @Test(arguments: [BinaryScale.row, .matrix])
  func alphaIsTheLeastSquaresScale(scale: BinaryScale) throws {
    let w = Self.weight(16, 33, seed: 13)
    let matrix = try binarize(weight: w, hessian: nil, options: BinarizationOptions(scale: scale)).matrix
    let flags = BinaryLinear.unpack(matrix.bits, rows: 16, columns: 33)
    func error(rows: Range<Int>, _ alpha: (Int) -> Double) -> Double {
      var sum = 0.0
      for r in rows {
        let m = Double(matrix.mu.count == 1 ? matrix.mu[0] : matrix.mu[r])
        for c in 0..<33 {
          let d = Double(w[r, c]) - (m + (flags[r * 33 + c] ? 1 : -1) * alpha(r))
          sum += d * d
        }
      }
      return sum
    }
    let groups: [Range<Int>] = scale == .row ? (0..<16).map { $0..<($0 + 1) } : [0..<16]
    for rows in groups {
      let alpha = Double(matrix.alpha.count == 1 ? matrix.alpha[0] : matrix.alpha[rows.lowerBound])
      let best = error(rows: rows) { _ in alpha }
      for factor in [0.99, 1.01, 0.9, 1.1] {
        #expect(error(rows: rows) { _ in alpha * factor } > best, "rows \(rows), α × \(factor)")
      }
    }
  }

  /// A larger residual rank never loses: the weight error (no data) and the output error (with
  /// data) both fall as the rank grows.
  @Test func errorFallsWithTheResidualRank() throws {
    let x = Self.inputs(tokens: 160, columns: 48, seed: 14)
    let h = Self.hessian(x)
    let w = Self.weight(40, 48, seed: 15)
    for hessian in [nil, h] {
      let signs = try binarize(weight: w, hessian: hessian, options: BinarizationOptions())
      var last = Double.infinity
      for rank in [0, 1, 2, 4, 8, 16] {
        let dense = try fitBinarizationResidual(weight: w, binarized: signs.matrix, hessian: hessian, rank: rank).matrix.dense()
        let error = hessian == nil ? relativeError(w, dense) : relativeOutputError(w, dense, hessian: h)
        #expect(error < last, "rank \(rank): \(error) after \(last)")
        last = error
      }
    }
  }

  /// On correlated inputs, error feedback lowers the layer's output error tr(ΔHΔᵀ) well below
  /// plain binarization, with and without salient weights; and the whitened residual lowers it
  /// below the plain SVD's.
  @Test func feedbackAndWhiteningLowerTheOutputError() throws {
    let x = Self.inputs(tokens: 256, columns: 64, seed: 16)
    let h = Self.hessian(x)
    let w = Self.weight(48, 64, seed: 17)
    func error(_ options: BinarizationOptions, rank: Int = 0, whitened: Bool = true) throws -> Double {
      let signs = try binarize(weight: w, hessian: h, options: options)
      let dense = try fitBinarizationResidual(weight: w, binarized: signs.matrix, hessian: whitened ? h : nil, rank: rank).matrix.dense()
      return relativeOutputError(w, dense, hessian: h)
    }
    let plain = try error(BinarizationOptions())
    let feedback = try error(BinarizationOptions(feedback: true))
    #expect(feedback < 0.7 * plain, "feedback \(feedback), plain \(plain)")
    let (salientFeedback, salient) = (try error(BinarizationOptions(salientFraction: 0.05, feedback: true)), try error(BinarizationOptions(salientFraction: 0.05)))
    #expect(salientFeedback < salient)
    let (whitened, plainResidual) = (try error(BinarizationOptions(), rank: 4), try error(BinarizationOptions(), rank: 4, whitened: false))
    #expect(whitened < plainResidual)
  }

  /// Salient weights kept at 8 bits are reproduced to within half a step of their row's grid, and
  /// the signs' α and μ ignore them.
  @Test func salientWeightsKeepEightBits() throws {
    let w = Self.weight(12, 50, seed: 18)
    let matrix = try binarize(weight: w, hessian: nil, options: BinarizationOptions(salientFraction: 0.2)).matrix
    let salient = try #require(matrix.salient)
    #expect(salient.count == 120)
    let dense = matrix.dense()
    for r in 0..<12 {
      for i in Int(salient.rowOffsets[r])..<Int(salient.rowOffsets[r + 1]) {
        let c = Int(salient.columns[i])
        #expect(abs(dense[r, c] - w[r, c]) <= salient.scale[r] * 0.5 + 1e-3 * abs(w[r, c]))
      }
      let kept = (0..<50).filter { c in !salient.columns[Int(salient.rowOffsets[r])..<Int(salient.rowOffsets[r + 1])].contains(Int32(c)) }
      let mean = kept.reduce(0.0) { $0 + Double(w[r, $1]) } / Double(kept.count)
      #expect(abs(Double(matrix.mu[r]) - mean) <= 1e-3 * max(1, abs(mean)))
    }
  }

  @Test func nonFiniteInputsAreRefused() {
    var w = Self.weight(4, 8, seed: 19)
    w[2, 5] = .nan
    #expect(throws: GPTQError.nonFiniteWeight(row: 2, column: 5)) {
      try binarize(weight: w, hessian: nil, options: BinarizationOptions())
    }
  }
}
