/// The index of the first NaN or infinity in `values`, nil when every value is finite.
///
/// A vectorized scan first (`x − x` is 0 for finite `x` and NaN otherwise, summed in eight lanes),
/// then a scalar search only when it found something: large all-finite buffers, the common case,
/// cost one pass at memory speed.
public func firstNonFinite(_ values: UnsafeBufferPointer<Float>) -> Int? {
  guard let base = values.baseAddress else { return nil }
  var lanes = SIMD8<Float>()
  var i = 0
  while i + 8 <= values.count {
    let v = UnsafeRawPointer(base + i).loadUnaligned(as: SIMD8<Float>.self)
    lanes += v - v
    i += 8
  }
  var rest: Float = 0
  while i < values.count {
    rest += values[i] - values[i]
    i += 1
  }
  guard (lanes.sum() + rest).isNaN else { return nil }
  return values.firstIndex { !$0.isFinite }
}
