import CompressionTestSupport
import Foundation
import Testing

@testable import Compression
@testable import TensorCore

/// The pruning solvers alone: exact counts for every pattern, the fast SparseGPT against its plain
/// twin, the sparse-regularized refit against a direct solve, and the order of the methods' output
/// errors on layers with correlated inputs.
@Suite struct PruningSolverTests {
  static let patterns: [SparsityPattern] = [
    .unstructured(sparsity: 0.5, allocation: .row), .unstructured(sparsity: 0.5, allocation: .layer),
    .unstructured(sparsity: 0.7, allocation: .layer), .unstructured(sparsity: 0.37, allocation: .row),
    .nOfM(n: 2, m: 4), .nOfM(n: 4, m: 8), .nOfM(n: 1, m: 4),
  ]

  /// Checks a mask against its pattern: exact counts per row or per layer, at most N kept in every
  /// group of M.
  static func expectExact(_ mask: SparsityMask, _ pattern: SparsityPattern, sourceLocation: SourceLocation = #_sourceLocation) {
    switch pattern {
    case .unstructured(let sparsity, .row):
      let count = SparsityPattern.prunedCount(prefix: mask.columns, sparsity: sparsity)
      #expect((0..<mask.rows).allSatisfy { mask.count(row: $0) == count }, sourceLocation: sourceLocation)
    case .unstructured(let sparsity, .layer):
      #expect(mask.count == SparsityPattern.prunedCount(prefix: mask.rows * mask.columns, sparsity: sparsity), sourceLocation: sourceLocation)
    case .nOfM(let n, let m):
      #expect(mask.satisfies(n: n, m: m), sourceLocation: sourceLocation)
      #expect(mask.count == mask.rows * mask.columns / m * (m - n), sourceLocation: sourceLocation)
    }
  }

  @Test(arguments: 0..<patterns.count)
  func everyMethodMeetsItsPatternExactly(_ index: Int) throws {
    let pattern = Self.patterns[index]
    let w = GPTQTestData.weight(rows: 24, columns: 320, seed: UInt64(index))
    let h = GPTQTestData.hessian(columns: 320, tokens: 400, seed: 50 + UInt64(index), deadColumn: 5)
    Self.expectExact(magnitudePrune(weight: w, pattern: pattern).mask, pattern)
    Self.expectExact(wandaPrune(weight: w, hessian: h, pattern: pattern).mask, pattern)
    let sparseGPT = try sparseGPTPrune(weight: w, hessian: h, options: SparseGPTOptions(pattern: pattern))
    Self.expectExact(sparseGPT.mask, pattern)
    let regularized = sparseRegularizedPrune(weight: w, hessian: h, options: SparseRegularizedOptions(pattern: pattern))
    Self.expectExact(regularized.mask, pattern)
    for result in [sparseGPT, regularized] {
      #expect(zip(result.weight.scalars, result.mask.pruned).allSatisfy { !$1 || $0 == 0 })
    }
  }

  @Test func selectionPrunesTheSmallestAndBreaksTiesByPosition() {
    var generator = SeededGenerator(seed: 3)
    // Few distinct values, so that ties are everywhere.
    let values = (0..<(37 * 41)).map { _ in Float(Int(generator.nextGaussian() * 3)) }
    let scores = Tensor(shape: [37, 41], scalars: values)
    for pattern in [SparsityPattern.unstructured(sparsity: 0.5, allocation: .layer), .unstructured(sparsity: 0.3, allocation: .row)] {
      let mask = selectMask(scores: scores, pattern: pattern)
      // The twin: a stable ascending sort of each comparison group.
      let groups: [Range<Int>] =
        if case .unstructured(_, .row) = pattern { (0..<37).map { ($0 * 41)..<(($0 + 1) * 41) } } else { [0..<(37 * 41)] }
      for group in groups {
        let k = SparsityPattern.prunedCount(prefix: group.count, sparsity: pattern.sparsity)
        let order = group.sorted { values[$0] < values[$1] || (values[$0] == values[$1] && $0 < $1) }
        #expect(Set(order.prefix(k)) == Set(group.filter { mask.pruned[$0] }))
      }
    }
    let equal = selectMask(scores: Tensor(shape: [2, 8], repeating: 1), pattern: .nOfM(n: 2, m: 4))
    #expect(equal.pruned == [true, true, false, false, true, true, false, false, true, true, false, false, true, true, false, false])
  }

  /// Both routes of the threshold search (quickselect below 2¹⁶ scores, radix select above),
  /// against sorting, with many ties and negative scores.
  @Test func thresholdSelectionEqualsSorting() {
    var generator = SeededGenerator(seed: 11)
    var scratch: [Float] = []
    for trial in 0..<206 {
      let n = trial < 200 ? 1 + trial * 7 % 300 : 70_000 + trial * 1_000
      let values = (0..<n).map { _ in Float(Int(generator.nextGaussian() * 4)) / 4 }
      let k = 1 + trial % n
      let (threshold, ties) = smallestThreshold(of: values, count: k, scratch: &scratch)
      let sorted = values.sorted()
      #expect(threshold == sorted[k - 1])
      #expect(ties == k - sorted.filter { $0 < threshold }.count)
    }
  }

  @Test func wandaIsMagnitudeTimesInputNormAndScaleFree() {
    let w = GPTQTestData.weight(rows: 16, columns: 64, seed: 2)
    let h = GPTQTestData.hessian(columns: 64, tokens: 200, seed: 4)
    let pattern = SparsityPattern.unstructured(sparsity: 0.5, allocation: .row)
    let mask = wandaPrune(weight: w, hessian: h, pattern: pattern).mask
    #expect(wandaPrune(weight: w, hessian: 7 * h, pattern: pattern).mask == mask)
    let scores = Tensor(shape: [16, 64], scalars: (0..<(16 * 64)).map { abs(w.scalars[$0]) * h[$0 % 64, $0 % 64].squareRoot() })
    #expect(selectMask(scores: scores, pattern: pattern) == mask)
    #expect(wandaPrune(weight: w, hessian: .identity(64), pattern: pattern).mask == magnitudePrune(weight: w, pattern: pattern).mask)
  }

  static let sparseGPTCases: [(SparsityPattern, Int)] = [
    (.unstructured(sparsity: 0.5, allocation: .layer), 128), (.unstructured(sparsity: 0.6, allocation: .row), 64),
    (.nOfM(n: 2, m: 4), 128), (.nOfM(n: 4, m: 8), 96), (.unstructured(sparsity: 0.5, allocation: .layer), 100),
  ]

  @Test(arguments: 0..<sparseGPTCases.count)
  func fastSparseGPTMatchesPlainTwin(_ index: Int) throws {
    let (pattern, blockSize) = Self.sparseGPTCases[index]
    let options = SparseGPTOptions(pattern: pattern, blockSize: blockSize)
    let w = GPTQTestData.weight(rows: 40, columns: 320, seed: 10 + UInt64(index))
    let h = GPTQTestData.hessian(columns: 320, tokens: 400, seed: 200 + UInt64(index), deadColumn: 5)
    let fast = try sparseGPTPrune(weight: w, hessian: h, options: options)
    let plain = try SparseGPTReference.prune(weight: w, hessian: h, options: options)
    let differ = zip(fast.mask.pruned, plain.mask.pruned).filter { $0 != $1 }.count
    #expect(differ <= fast.mask.pruned.count / 500, "\(differ) mask entries differ")
    #expect(abs(fast.loss - plain.loss) <= 1e-3 * plain.loss, "loss \(fast.loss) vs \(plain.loss)")
    #expect(relativeError(plain.weight, fast.weight) < 1e-2)
    print("SparseGPT fast vs plain case \(index): \(differ) mask entries differ; loss \(fast.loss) vs \(plain.loss)")
  }

  /// With H = I nothing is fed back and the saliency is w²: magnitude pruning, when one block spans
  /// the row (SparseGPT's unstructured counts are per block).
  @Test func sparseGPTWithIdentityHessianIsMagnitudePruning() throws {
    let w = GPTQTestData.weight(rows: 20, columns: 256, seed: 8)
    for pattern in [SparsityPattern.unstructured(sparsity: 0.5, allocation: .row), .unstructured(sparsity: 0.3, allocation: .layer), .nOfM(n: 2, m: 4)] {
      let options = SparseGPTOptions(pattern: pattern, blockSize: 256, dampening: 0)
      let result = try sparseGPTPrune(weight: w, hessian: .identity(256), options: options)
      #expect(result.mask == magnitudePrune(weight: w, pattern: pattern).mask)
      #expect(result.weight == magnitudePrune(weight: w, pattern: pattern).weight)
    }
  }

  @Test func refitIsTheLeastSquaresOptimumForItsMask() throws {
    let (rows, columns) = (6, 48)
    let w = GPTQTestData.weight(rows: rows, columns: columns, seed: 21)
    let h = GPTQTestData.hessian(columns: columns, tokens: 300, seed: 22)
    let options = SparseRegularizedOptions(pattern: .unstructured(sparsity: 0.5, allocation: .row), tolerance: 1e-7, refitIterations: 500)
    let result = sparseRegularizedPrune(weight: w, hessian: h, options: options)
    // The twin: per row, H_KK v_K = (W H)_K by Cholesky in Double on the damped H.
    let mean = (0..<columns).reduce(0.0) { $0 + Double(h[$1, $1]) } / Double(columns)
    for r in 0..<rows {
      let kept = (0..<columns).filter { !result.mask.pruned[r * columns + $0] }
      let n = kept.count
      var a = [Double](repeating: 0, count: n * n)
      var b = [Double](repeating: 0, count: n)
      for (i, ci) in kept.enumerated() {
        for (j, cj) in kept.enumerated() { a[i * n + j] = Double(h[ci, cj]) + (ci == cj ? 0.01 * mean : 0) }
        b[i] = (0..<columns).reduce(0.0) { $0 + Double(w[r, $1]) * (Double(h[$1, ci]) + ($1 == ci ? 0.01 * mean : 0)) }
      }
      let lower = try cholesky(a, n: n, upper: false)
      var y = b
      for i in 0..<n { for j in 0..<i { y[i] -= lower[i * n + j] * y[j] }; y[i] /= lower[i * n + i] }
      for i in stride(from: n - 1, through: 0, by: -1) {
        for j in (i + 1)..<max(i + 1, n) { y[i] -= lower[j * n + i] * y[j] }
        y[i] /= lower[i * n + i]
      }
      for (i, c) in kept.enumerated() {
        #expect(abs(Double(result.weight[r, c]) - y[i]) <= 2e-3 * max(abs(y[i]), 1e-2), "row \(r) column \(c)")
      }
    }
    #expect(result.figures["objective_end"]! < result.figures["objective_start"]!)
    #expect(result.figures["refit_error"]! <= result.figures["masked_error"]!)
  }

  /// On layers with correlated inputs, over several seeds: sparse-reg ≤ SparseGPT < Wanda < magnitude.
  @Test(arguments: [0, 1, 2] as [UInt64])
  func outputErrorsOrderAsTheMethods(_ seed: UInt64) throws {
    for pattern in [SparsityPattern.unstructured(sparsity: 0.5, allocation: .row), .nOfM(n: 2, m: 4)] {
      let w = GPTQTestData.weight(rows: 64, columns: 256, seed: 300 + seed)
      let h = GPTQTestData.hessian(columns: 256, tokens: 1024, seed: 400 + seed)
      let error = { (v: Tensor) in outputError(w, v, hessian: h) }
      let magnitude = error(magnitudePrune(weight: w, pattern: pattern).weight)
      let wanda = error(wandaPrune(weight: w, hessian: h, pattern: pattern).weight)
      let sparseGPT = error(try sparseGPTPrune(weight: w, hessian: h, options: SparseGPTOptions(pattern: pattern)).weight)
      let regularized = error(sparseRegularizedPrune(weight: w, hessian: h, options: SparseRegularizedOptions(pattern: pattern)).weight)
      print("seed \(seed) \(pattern): magnitude \(magnitude), wanda \(wanda), sparsegpt \(sparseGPT), sparse-reg \(regularized)")
      #expect(regularized <= sparseGPT && sparseGPT < wanda && wanda < magnitude)
    }
  }

  @Test func gptqKeepsPrunedWeightsExactlyZero() throws {
    let w = GPTQTestData.weight(rows: 32, columns: 256, seed: 31)
    let h = GPTQTestData.hessian(columns: 256, tokens: 400, seed: 32, deadColumn: 5)
    let pruned = try sparseGPTPrune(weight: w, hessian: h, options: SparseGPTOptions(pattern: .nOfM(n: 2, m: 4)))
    for (symmetric, actOrder, staticGroups) in [(false, true, true), (true, false, false), (false, true, false)] {
      let options = GPTQOptions(
        scheme: try QuantizationScheme(bits: 4, groupSize: 64, symmetric: symmetric), actOrder: actOrder, staticGroups: staticGroups)
      let fast = try gptqQuantize(weight: pruned.weight, hessian: h, options: options, mask: pruned.mask)
      let plain = try GPTQReference.quantize(weight: pruned.weight, hessian: h, options: options, mask: pruned.mask)
      for result in [fast, plain] {
        let dense = result.matrix.dequantized()
        #expect(zip(dense.scalars, pruned.mask.pruned).allSatisfy { !$1 || $0 == 0 })
      }
      let differ = zip(fast.matrix.codes, plain.matrix.codes).filter { $0 != $1 }.count
      #expect(differ <= fast.matrix.codes.count / 200, "\(differ) codes differ")
      // Without the mask, error feedback refills pruned positions.
      let unmasked = try gptqQuantize(weight: pruned.weight, hessian: h, options: options).matrix.dequantized()
      #expect(zip(unmasked.scalars, pruned.mask.pruned).contains { $1 && $0 != 0 })
    }
  }
}
