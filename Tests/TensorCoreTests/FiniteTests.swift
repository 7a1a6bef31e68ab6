import Testing
import TensorCore

/// The vectorized non-finite scan against a plain `firstIndex`.
@Suite struct FiniteTests {
  @Test(arguments: [0, 1, 7, 8, 9, 63, 64, 1000])
  func findsTheFirstNonFiniteValue(count: Int) {
    let finite = (0..<count).map { Float($0) * 0.25 - 3 }
    finite.withUnsafeBufferPointer { #expect(firstNonFinite($0) == nil) }
    for bad: Float in [.nan, .infinity, -.infinity, .signalingNaN] {
      for position in Set([0, count / 2, count - 1]) where position >= 0 && position < count {
        var values = finite
        values[position] = bad
        if position + 1 < count { values[count - 1] = .nan }
        values.withUnsafeBufferPointer { #expect(firstNonFinite($0) == position, "\(bad) at \(position)") }
      }
    }
  }

  @Test func hugeFiniteValuesAreFinite() {
    let values: [Float] = Array(repeating: .greatestFiniteMagnitude, count: 20) + [-.greatestFiniteMagnitude]
    values.withUnsafeBufferPointer { #expect(firstNonFinite($0) == nil) }
  }
}
