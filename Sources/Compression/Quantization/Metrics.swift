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
  return trace(delta, hessian, delta)
}

/// tr(A·M·Bᵀ) for `a`, `b` `(out, in)` and `m` `(in, in)`: one sgemm, the rest in Double.
private func trace(_ a: Tensor, _ m: Tensor, _ b: Tensor) -> Double {
  let product = matmul(a, m)  // (out, in)
  var total = 0.0
  product.withUnsafeBufferPointer { p in
    b.withUnsafeBufferPointer { b in for i in p.indices { total += Double(p[i]) * Double(b[i]) } }
  }
  return total
}

/// The relative error of a layer fed other inputs: ‖WX − ŴX̃‖² / ‖WX‖² over the calibration tokens,
/// from H = (2/n)·Σ xxᵀ of the original inputs, C = (2/n)·Σ x·x̃ᵀ and H̃ = (2/n)·Σ x̃x̃ᵀ:
/// (tr(WHWᵀ) − 2·tr(WCŴᵀ) + tr(ŴH̃Ŵᵀ)) / tr(WHWᵀ). 0 when WHWᵀ has zero trace.
public func shiftedOutputError(
  _ original: Tensor, _ approximation: Tensor, originalHessian: Tensor, cross: Tensor, hessian: Tensor
) -> Double {
  let reference = trace(original, originalHessian, original)
  guard reference > 0 else { return 0 }
  let error =
    reference - 2 * trace(original, cross, approximation) + trace(approximation, hessian, approximation)
  return max(error, 0) / reference
}
