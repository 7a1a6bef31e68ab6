import TensorCore

/// The relative Frobenius error `‖W − Ŵ‖_F / ‖W‖_F`, accumulated in Double.
///
/// Returns 0 when both norms are 0 (nothing to approximate, nothing lost) and `+infinity` when only
/// `‖W‖_F` is 0. - Precondition: the shapes are equal.
public func relativeError(_ original: Tensor, _ approximation: Tensor) -> Double {
  precondition(
    original.shape == approximation.shape,
    "relativeError: shapes \(original.shape) and \(approximation.shape) differ")
  var differenceSquared = 0.0
  var originalSquared = 0.0
  original.scalars.withUnsafeBufferPointer { w in
    approximation.scalars.withUnsafeBufferPointer { a in
      for i in w.indices {
        let x = Double(w[i])
        let d = x - Double(a[i])
        differenceSquared += d * d
        originalSquared += x * x
      }
    }
  }
  if differenceSquared == 0 { return 0 }
  return (differenceSquared / originalSquared).squareRoot()
}
