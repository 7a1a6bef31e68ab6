import CompressionTestSupport
import Foundation
import TensorCore
import Testing

@testable import Compression

/// The scheme, the min-max grid and the round-to-nearest solver.
@Suite struct QuantRoundToNearestTests {
  /// Slack on the `|w − ŵ| ≤ scale/2` bound: `w / scale` and `scale · k` are each rounded once in
  /// Float32, so allow a few ulps of `w` and of the half step.
  static let boundRelativeSlack: Float = 4 * Float.ulpOfOne

  /// A random weight with the special rows of the reference quirks mixed in. // (rows, columns)
  static func weight(rows: Int, columns: Int, seed: UInt64) -> Tensor {
    var generator = SeededGenerator(seed: seed)
    var w = Tensor(shape: [rows, columns], scalars: generator.gaussians(rows * columns, scale: 0.05))
    for c in 0..<columns {
      if rows > 0 { w[0, c] = 0 }
      if rows > 1 { w[1, c] = abs(w[1, c]) + 0.01 }
      if rows > 2 { w[2, c] = -abs(w[2, c]) }
      if rows > 3 { w[3, c] = 0.25 }
    }
    return w
  }

  @Test func schemeValidationHasOneErrorPerRule() throws {
    #expect(throws: QuantizationError.bitsOutOfRange(bits: 1)) {
      try QuantizationScheme(bits: 1, groupSize: nil, symmetric: true)
    }
    #expect(throws: QuantizationError.bitsOutOfRange(bits: 9)) {
      try QuantizationScheme(bits: 9, groupSize: 128, symmetric: true)
    }
    #expect(throws: QuantizationError.groupSizeNotPositive(groupSize: 0)) {
      try QuantizationScheme(bits: 4, groupSize: 0, symmetric: true)
    }
    #expect(throws: QuantizationError.groupSizeNotPositive(groupSize: -1)) {
      try QuantizationScheme(bits: 4, groupSize: -1, symmetric: false)
    }
    let scheme = try QuantizationScheme(bits: 4, groupSize: 128, symmetric: true)
    #expect(scheme.maxCode == 15)
    #expect(scheme.groupCount(columns: 576) == 5)
    #expect(try QuantizationScheme(bits: 3, groupSize: nil, symmetric: false).groupCount(columns: 576) == 1)
  }

  @Test func schemeCodableRoundTripsAndValidates() throws {
    let scheme = try QuantizationScheme(bits: 3, groupSize: nil, symmetric: false)
    let data = try JSONEncoder().encode(scheme)
    #expect(try JSONDecoder().decode(QuantizationScheme.self, from: data) == scheme)
    let bad = Data(#"{"bits": 12, "groupSize": 64, "symmetric": true}"#.utf8)
    #expect(throws: DecodingError.self) { try JSONDecoder().decode(QuantizationScheme.self, from: bad) }
  }

  @Test func gridReplicatesTheReferenceQuirks() {
    // Symmetric, no negative value: xmin stays 0, scale = xmax/15, zero 8 (values above 7·scale clip).
    let positive = QuantizationGrid(minimum: 0.5, maximum: 1.5, bits: 4, symmetric: true)
    #expect(positive.scale == Float(Float16(Float(1.5) / 15)) && positive.zero == 8)
    #expect(positive.code(1.5) == 15)
    // All zero: the range becomes [−1, 1].
    let zero = QuantizationGrid(minimum: 0, maximum: 0, bits: 4, symmetric: false)
    #expect(zero.scale == Float(Float16(Float(2) / 15)) && zero.zero == 8)
    // Asymmetric, non-negative: zero point 0, or the requested minimum.
    #expect(QuantizationGrid(minimum: 0.1, maximum: 1, bits: 4, symmetric: false).zero == 0)
    #expect(
      QuantizationGrid(minimum: 0.1, maximum: 1, bits: 4, symmetric: false, minimumZero: 1).zero == 1)
    // The scale is an F16 value, clamped into the positive finite F16 range.
    let tiny = QuantizationGrid(minimum: -1e-12, maximum: 1e-12, bits: 8, symmetric: true)
    #expect(tiny.scale == Float(Float16.leastNonzeroMagnitude))
    let huge = QuantizationGrid(minimum: -1e9, maximum: 1e9, bits: 2, symmetric: false)
    #expect(huge.scale == Float(Float16.greatestFiniteMagnitude))
    // Ties go to even before the zero point is added.
    let grid = QuantizationGrid(scale: 0.5, zero: 7, maxCode: 15)
    #expect(grid.code(0.25) == 7)  // round(0.5) = 0, + 7
    #expect(grid.code(0.75) == 9)  // round(1.5) = 2, + 7
    #expect(grid.value(ofCode: 9) == 1)
  }

  @Test(arguments: [2, 3, 4, 5, 6, 7, 8])
  func fastSolverEqualsReference(bits: Int) throws {
    var seed: UInt64 = UInt64(bits) * 100
    for (rows, columns) in [(1, 1), (5, 7), (16, 96), (9, 200)] {
      for groupSize in [nil, 1, 7, 32, 128] as [Int?] {
        for symmetric in [false, true] {
          seed += 1
          let scheme = try QuantizationScheme(bits: bits, groupSize: groupSize, symmetric: symmetric)
          let w = Self.weight(rows: rows, columns: columns, seed: seed)
          for minimumZero: Int32 in [0, 1] {
            let fast = quantizeRoundToNearest(w, scheme: scheme, minimumZero: minimumZero)
            let reference = QuantizationReference.quantizeRoundToNearest(
              w, scheme: scheme, minimumZero: minimumZero)
            let group = groupSize.map(String.init) ?? "row"
            #expect(fast == reference, "bits \(bits) (\(rows), \(columns)) group \(group) sym \(symmetric)")
          }
        }
      }
    }
  }

  /// Inside the clip range every weight is within half a step of its dequantized value.
  @Test(arguments: [2, 3, 4, 8])
  func dequantizationErrorIsAtMostHalfAStep(bits: Int) throws {
    let scheme = try QuantizationScheme(bits: bits, groupSize: 32, symmetric: bits % 2 == 0)
    let w = Self.weight(rows: 24, columns: 100, seed: UInt64(bits))
    let m = quantizeRoundToNearest(w, scheme: scheme)
    let approximation = m.dequantized()  // (24, 100)
    #expect(approximation.shape == [24, 100])
    var checked = 0
    for r in 0..<24 {
      for c in 0..<100 {
        let grid = m.grid(group: Int(m.gIdx[c]), row: r)
        let unclamped = (w[r, c] / grid.scale).rounded(.toNearestOrEven) + Float(grid.zero)
        guard unclamped >= 0 && unclamped <= Float(grid.maxCode) else { continue }
        let bound = grid.scale / 2 * (1 + Self.boundRelativeSlack) + abs(w[r, c]) * Self.boundRelativeSlack
        #expect(abs(w[r, c] - approximation[r, c]) <= bound)
        checked += 1
      }
    }
    #expect(checked > 24 * 100 * 9 / 10)
  }

  /// 576 inputs with group 128: four groups of 128 and a last one of 64, fitted to its own columns.
  @Test func lastGroupMayBeNarrower() throws {
    let scheme = try QuantizationScheme(bits: 4, groupSize: 128, symmetric: false)
    let w = Self.weight(rows: 6, columns: 576, seed: 42)
    let m = quantizeRoundToNearest(w, scheme: scheme)
    #expect(m.groupCount == 5)
    #expect(m.gIdx[511] == 3 && m.gIdx[512] == 4 && m.gIdx[575] == 4)
    for r in 0..<6 {
      let tail = (512..<576).map { w[r, $0] }
      #expect(m.grid(group: 4, row: r) == QuantizationGrid(fitting: tail, bits: 4, symmetric: false))
    }
  }

  @Test func relativeErrorIsTheFrobeniusRatio() {
    let w = Tensor(shape: [1, 2], scalars: [3, 4])
    #expect(relativeError(w, w) == 0)
    #expect(relativeError(w, Tensor(shape: [1, 2], scalars: [0, 0])) == 1)
    #expect(abs(relativeError(w, Tensor(shape: [1, 2], scalars: [3, 3])) - 0.2) < 1e-12)
    let zero = Tensor(shape: [2, 2])
    #expect(relativeError(zero, zero) == 0)
    #expect(relativeError(zero, Tensor(shape: [2, 2], repeating: 1)) == .infinity)
  }

  @Test func quantizationErrorShrinksWithMoreBits() throws {
    let w = Self.weight(rows: 32, columns: 128, seed: 7)
    var previous = Double.infinity
    for bits in 2...8 {
      let scheme = try QuantizationScheme(bits: bits, groupSize: 32, symmetric: false)
      let error = relativeError(w, quantizeRoundToNearest(w, scheme: scheme).dequantized())
      #expect(error < previous)
      previous = error
    }
    #expect(previous < 0.01)
  }
}

/// The grid's F16 rounding (TensorCore's bit-level conversion) against Swift's `Float16`.
@Suite struct GridScaleRoundingTests {
  @Test func scaleRoundingMatchesFloat16() {
    var values: [Float] = [0, 0x1p-26, 0x1p-25, 0x1.8p-25, 0x1p-24, 0x1.8p-24, 0x1p-14, 0x1.ffcp-15, 1, 1.0004883]
    values += [65504, 65519, 65520, 1e6, 0.1, 1.0 / 3]
    var generator = SeededGenerator(seed: 3)
    for _ in 0..<50_000 {
      let exponent = Float(Int.random(in: -30...17, using: &generator))
      values.append(Float.random(in: 1..<2, using: &generator) * pow(2, exponent))
    }
    for x in values {
      let expected = min(max(Float(Float16(x)), Float(Float16.leastNonzeroMagnitude)), Float(Float16.greatestFiniteMagnitude))
      #expect(QuantizationGrid.roundedToFloat16(x) == expected, "x = \(x)")
    }
  }
}
