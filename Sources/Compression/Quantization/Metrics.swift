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

/// The relative output error of a layer over its calibration inputs:
/// tr(ΔHΔᵀ) / tr(WHWᵀ) with Δ = W − Ŵ, both `(out, in)`, and H the `(in, in)` input Hessian —
/// the objective GPTQ minimizes, normalized. 0 when W H Wᵀ has zero trace.
public func relativeOutputError(_ original: Tensor, _ approximation: Tensor, hessian: Tensor) -> Double {
  precondition(
    original.shape == approximation.shape && original.rank == 2 && hessian.shape == [original.shape[1], original.shape[1]],
    "relativeOutputError: W \(original.shape), Ŵ \(approximation.shape), H \(hessian.shape)")
  let denominator = outputError(Tensor(shape: original.shape), original, hessian: hessian)  // tr(WHWᵀ)
  return denominator == 0 ? 0 : outputError(original, approximation, hessian: hessian) / denominator
}

/// `tr(ΔHΔᵀ)` with `Δ = approximation − original` `(out, in)`: the layer's squared output error
/// summed over the calibration tokens (times the Hessian's scale, 2/n).
public func outputError(_ original: Tensor, _ approximation: Tensor, hessian: Tensor) -> Double {
  let delta = approximation - original
  let product = matmul(delta, hessian)  // (out, in)
  var total = 0.0
  delta.withUnsafeBufferPointer { d in
    product.withUnsafeBufferPointer { p in
      for i in d.indices { total += Double(d[i]) * Double(p[i]) }
    }
  }
  return total
}
