import Foundation
import Testing

@testable import Inference

/// The vectorized exp and activations against libm (in Double) and the scalar reference.
struct VectorMathTests {
  /// Points from −lo to hi, every `step`, plus the ends.
  private func grid(_ lo: Float, _ hi: Float, step: Float) -> [Float] {
    stride(from: lo, through: hi, by: step).map { $0 } + [hi]
  }

  @Test func vectorExpMatchesLibm() {
    for x in grid(-87, 88, step: 0.0137) {
      let fast = vectorExp(Lanes(repeating: x))[0]
      let exact = exp(Double(x))
      #expect(abs(Double(fast) - exact) <= 3e-7 * exact, "exp(\(x)) = \(fast), libm \(exact)")
    }
  }

  @Test(arguments: Activation.allCases)
  func vectorActivationsMatchScalar(activation: Activation) {
    var values = grid(-12, 12, step: 0.0031)  // count not a multiple of 8: exercises the tail
    let scalar = values.map { activation($0) }
    values.withUnsafeMutableBufferPointer { activation.applyVectorized($0.baseAddress!, count: $0.count) }
    for (i, (fast, reference)) in zip(values, scalar).enumerated() {
      // Relative to the value, with an absolute floor of 1e−7 around 0.
      #expect(abs(fast - reference) <= 2e-6 * abs(reference) + 1e-7, "\(activation) at \(i): \(fast) vs \(reference)")
    }
  }

  @Test func softmaxRowSumsToOneAndZeroesHiddenKeys() {
    for visible in [1, 7, 8, 9, 33] {
      var row = (0..<40).map { Float($0 % 11) - 5 }
      let reference = (0..<visible).map { exp(Double(row[$0]) * 0.5) }
      let total = reference.reduce(0, +)
      row.withUnsafeMutableBufferPointer { softmaxRow($0.baseAddress!, count: 40, visible: visible, scale: 0.5) }
      for j in 0..<visible { #expect(abs(Double(row[j]) - reference[j] / total) <= 1e-6 * reference[j] / total + 1e-9) }
      #expect(row[visible...].allSatisfy { $0 == 0 })
    }
  }
}
