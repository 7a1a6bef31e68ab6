@testable import Compression
import CompressionTestSupport
import TensorCore
import Testing

/// The fast GPTQ solver against round-to-nearest (H = I), its plain Double twin, and its rules.
@Suite struct GPTQSolverTests {
  /// The share of codes the Float32 lazy-batch solver may place differently from the Double
  /// column-by-column twin: a near-tie decided the other way by float rounding, plus the error
  /// feedback of that one flip in the same row. Measured: at most 0.03% (docs/gptq.md).
  static let codeMismatchTolerance = 0.002
  /// Relative loss difference allowed between the two (float rounding, tie flips).
  static let lossTolerance = 0.002

  static let schemes: [(Int, Int?, Bool)] = [
    (4, 128, true), (4, 64, false), (3, 128, false), (2, nil, false), (8, nil, true), (4, 32, true),
  ]

  @Test(arguments: 0..<schemes.count)
  func identityHessianGivesRoundToNearest(_ index: Int) throws {
    let (bits, groupSize, symmetric) = Self.schemes[index]
    let scheme = try QuantizationScheme(bits: bits, groupSize: groupSize, symmetric: symmetric)
    let w = GPTQTestData.weight(rows: 48, columns: 320, seed: 11)
    var identity = Tensor(shape: [320, 320])
    for i in 0..<320 { identity[i, i] = 1 }
    for (actOrder, staticGroups) in [(false, false), (true, false), (true, true)] {
      let options = GPTQOptions(scheme: scheme, actOrder: actOrder, staticGroups: staticGroups)
      let result = try gptqQuantize(weight: w, hessian: identity, options: options)
      let rtn = quantizeRoundToNearest(w, scheme: scheme, minimumZero: options.minimumZero)
      #expect(result.matrix == rtn, "bits \(bits) group \(String(describing: groupSize)) act \(actOrder)")
      #expect(result.attempts == 1 && result.deadColumns == 0 && result.dampeningUsed == 0.01)
    }
  }

  static let referenceCases: [(Int, Int?, Bool, Bool, Bool, Int)] = [
    // bits, group, symmetric, actOrder, staticGroups, blockSize
    (4, 128, true, false, false, 128), (4, 64, false, false, false, 128),
    (3, 128, false, true, false, 128), (2, nil, false, false, false, 128),
    (8, nil, true, true, false, 128), (4, 64, true, true, true, 128),
    (4, 96, false, true, false, 64), (3, 256, true, false, false, 128),
  ]

  @Test(arguments: 0..<referenceCases.count)
  func fastSolverMatchesPlainTwin(_ index: Int) throws {
    let (bits, groupSize, symmetric, actOrder, staticGroups, blockSize) = Self.referenceCases[index]
    let scheme = try QuantizationScheme(bits: bits, groupSize: groupSize, symmetric: symmetric)
    let options = GPTQOptions(
      scheme: scheme, blockSize: blockSize, actOrder: actOrder, staticGroups: staticGroups)
    let w = GPTQTestData.weight(rows: 40, columns: 320, seed: UInt64(index))
    let h = GPTQTestData.hessian(columns: 320, tokens: 400, seed: 100 + UInt64(index), deadColumn: 5)
    let fast = try gptqQuantize(weight: w, hessian: h, options: options)
    let plain = try GPTQReference.quantize(weight: w, hessian: h, options: options)
    let mismatches = zip(fast.matrix.codes, plain.matrix.codes).filter { $0 != $1 }.count
    let share = Double(mismatches) / Double(fast.matrix.codes.count)
    #expect(share <= Self.codeMismatchTolerance, "\(mismatches) codes differ")
    #expect(abs(fast.loss - plain.loss) <= Self.lossTolerance * plain.loss)
    #expect(fast.matrix.gIdx == plain.matrix.gIdx)
    #expect(fast.deadColumns == 1 && plain.deadColumns == 1)
    let scaleMismatches = zip(fast.matrix.scales, plain.matrix.scales).filter { $0 != $1 }.count
    #expect(scaleMismatches <= fast.matrix.scales.count / 50, "\(scaleMismatches) scales differ")
    print("GPTQ fast vs plain case \(index): \(mismatches) codes, \(scaleMismatches) scales differ; loss \(fast.loss) vs \(plain.loss)")
  }

  @Test func deadColumnIsQuantizedAsZero() throws {
    let scheme = try QuantizationScheme(bits: 4, groupSize: 64, symmetric: false)
    let w = GPTQTestData.weight(rows: 16, columns: 128, seed: 3)
    let h = GPTQTestData.hessian(columns: 128, tokens: 200, seed: 4, deadColumn: 70)
    let result = try gptqQuantize(weight: w, hessian: h, options: GPTQOptions(scheme: scheme))
    #expect(result.deadColumns == 1)
    let q = result.matrix.dequantized()
    #expect((0..<16).allSatisfy { q[$0, 70] == 0 })
  }

  @Test func actOrderGroupIndexFollowsProcessingOrder() throws {
    let scheme = try QuantizationScheme(bits: 4, groupSize: 32, symmetric: true)
    let w = GPTQTestData.weight(rows: 16, columns: 128, seed: 5)
    let h = GPTQTestData.hessian(columns: 128, tokens: 200, seed: 6)
    let dynamic = try gptqQuantize(
      weight: w, hessian: h, options: GPTQOptions(scheme: scheme, actOrder: true))
    // Column 3 and every 17th channel are large, so they come first: group 0.
    for c in [0, 3, 17, 34, 51, 68, 85] { #expect(dynamic.matrix.gIdx[c] == 0) }
    #expect(dynamic.matrix.gIdx != QuantizedMatrix.sequentialGroupIndex(columns: 128, groupWidth: 32))
    let fixed = try gptqQuantize(
      weight: w, hessian: h, options: GPTQOptions(scheme: scheme, actOrder: true, staticGroups: true))
    #expect(fixed.matrix.gIdx == QuantizedMatrix.sequentialGroupIndex(columns: 128, groupWidth: 32))
  }

  @Test func resultsAreDeterministic() throws {
    let scheme = try QuantizationScheme(bits: 3, groupSize: 128, symmetric: false)
    let w = GPTQTestData.weight(rows: 600, columns: 256, seed: 8)
    let h = GPTQTestData.hessian(columns: 256, tokens: 300, seed: 9)
    let a = try gptqQuantize(weight: w, hessian: h, options: GPTQOptions(scheme: scheme))
    let b = try gptqQuantize(weight: w, hessian: h, options: GPTQOptions(scheme: scheme))
    #expect(a.matrix == b.matrix && a.loss == b.loss)
  }
}

/// Input rules and the dampening retry.
@Suite struct GPTQErrorTests {
  let scheme = try! QuantizationScheme(bits: 4, groupSize: nil, symmetric: true)

  func identity(_ n: Int) -> Tensor {
    var h = Tensor(shape: [n, n])
    for i in 0..<n { h[i, i] = 1 }
    return h
  }

  @Test func nonFiniteWeightIsRejected() {
    var w = GPTQTestData.weight(rows: 4, columns: 8, seed: 1)
    w[2, 5] = .nan
    #expect(throws: GPTQError.nonFiniteWeight(row: 2, column: 5)) {
      try gptqQuantize(weight: w, hessian: identity(8), options: GPTQOptions(scheme: scheme))
    }
  }

  @Test func nonFiniteHessianIsRejected() {
    var h = identity(8)
    h[6, 1] = .infinity
    #expect(throws: GPTQError.nonFiniteHessian(row: 6, column: 1)) {
      try gptqQuantize(
        weight: GPTQTestData.weight(rows: 4, columns: 8, seed: 1), hessian: h,
        options: GPTQOptions(scheme: scheme))
    }
  }

  @Test func indefiniteHessianRetriesWithMoreDampening() throws {
    var h = identity(8)  // the block [[1, 1.05], [1.05, 1]] has eigenvalue −0.05
    h[2, 3] = 1.05
    h[3, 2] = 1.05
    let result = try gptqQuantize(
      weight: GPTQTestData.weight(rows: 4, columns: 8, seed: 1), hessian: h,
      options: GPTQOptions(scheme: scheme))
    #expect(result.dampeningUsed == 0.1)
    #expect(result.attempts == 3)  // F32 and F64 at 0.01, F32 at 0.1
  }

  @Test func hopelessHessianThrowsWithTheLastDampening() {
    var h = identity(8)
    for i in 0..<8 { h[i, i] = -1 }
    let error = GPTQError.notPositiveDefinite(dampening: 1.0)
    #expect(throws: error) {
      try gptqQuantize(
        weight: GPTQTestData.weight(rows: 4, columns: 8, seed: 1), hessian: h,
        options: GPTQOptions(scheme: scheme))
    }
    #expect(error.description.contains("dampening 1.0"))
  }

  @Test func dampeningScheduleIsTenfold() throws {
    #expect(GPTQOptions(scheme: scheme).dampeningSchedule == [0.01, 0.1, 1.0])
    #expect(GPTQOptions(scheme: scheme, dampening: 0, maximumDampening: 0.1).dampeningSchedule == [0, 0.01, 0.1])
    #expect(GPTQOptions(scheme: scheme, dampening: 0.05, maximumDampening: 0.05).dampeningSchedule == [0.05])
  }
}

/// The kernel's branch-free rounding against the library's `rounded(.toNearestOrEven)`.
@Suite struct GPTQRoundingTests {
  @Test func shiftRoundingEqualsLibraryRounding() {
    var values: [Float] = [0, -0, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999997, 7.5, 254.5, 255.5]
    values += [4_194_303.5, 4_194_304, -4_194_303.5, -4_194_304, 1e-30, -1e-30]
    var generator = SeededGenerator(seed: 7)
    for _ in 0..<100_000 { values.append(Float.random(in: -300...300, using: &generator)) }
    for _ in 0..<1_000 {
      values.append(Float(Int.random(in: -1000...1000, using: &generator)) + 0.5)
    }
    for x in values {
      #expect(roundedToNearestEven(x) == x.rounded(.toNearestOrEven), "x = \(x)")
    }
  }

  /// Beyond `±2²²` the value is clamped there: it is still an integer of the same sign, so every
  /// code `clamp(round(x) + z, 0, 255)` comes out the same.
  @Test func largeValuesClampToTheSameCodes() {
    for x: Float in [4_194_305, 1e9, 3e38, .infinity, -4_194_305, -1e9, -3e38, -.infinity] {
      let y = roundedToNearestEven(x)
      #expect(abs(y) == 4_194_304 && (y > 0) == (x > 0), "x = \(x)")
    }
  }
}
