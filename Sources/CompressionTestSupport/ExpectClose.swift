/// Compares two float arrays element-wise with `|a - b| <= atol + rtol * |b|`.
/// Returns `nil` when they match, else a message with the largest difference and the first
/// mismatching pairs, for use as `#expect(closeness(a, b, ...) == nil)`.
public func closeness(
  _ actual: [Float], _ expected: [Float], rtol: Float, atol: Float
) -> String? {
  guard actual.count == expected.count else {
    return "count \(actual.count) differs from expected \(expected.count)"
  }
  var worst: Float = 0
  var mismatches: [String] = []
  for i in actual.indices {
    let a = actual[i]
    let b = expected[i]
    if a.isNaN && b.isNaN { continue }
    let difference = abs(a - b)
    worst = max(worst, difference.isNaN ? .infinity : difference)
    if !(difference <= atol + rtol * abs(b)) {
      if mismatches.count < 5 { mismatches.append("[\(i)] \(a) vs \(b)") }
    }
  }
  if mismatches.isEmpty { return nil }
  return "max |diff| \(worst); first mismatches: " + mismatches.joined(separator: ", ")
}
