import TensorCore

// The two pruning criteria without weight updates. Magnitude: |W| (the classic baseline; Han et
// al. 2015, and SparseGPT's `--gmp`). Wanda: Sun, Liu, Bair, Kolter, "A Simple and Effective
// Pruning Approach for Large Language Models", arXiv 2306.11695, §3: |W_ij| · ‖X_j‖₂, compared per
// output row; reference code locuslab/wanda `lib/prune.py`. ‖X_j‖₂² is, up to a factor common to
// all columns, the Hessian's diagonal, so Wanda reads `diag H` and nothing else.

/// Prunes the smallest `|W|` of `weight` `(out, in)` in `pattern`.
public func magnitudePrune(weight: Tensor, pattern: SparsityPattern) -> PruningResult {
  let scores = Tensor(shape: weight.shape, scalars: weight.scalars.map { abs($0) })
  let mask = selectMask(scores: scores, pattern: pattern)
  return PruningResult(weight: mask.applied(to: weight), mask: mask, loss: 0)
}

/// Prunes the smallest `|W_ij| · √H_jj` of `weight` `(out, in)` in `pattern`, `H` the input
/// Hessian `(in, in)` (only its diagonal is read).
public func wandaPrune(weight: Tensor, hessian: Tensor, pattern: SparsityPattern) -> PruningResult {
  let (rows, columns) = (weight.shape[0], weight.shape[1])
  precondition(hessian.shape == [columns, columns], "wandaPrune: hessian \(hessian.shape), weight \(weight.shape)")
  let norms = (0..<columns).map { Float(max(hessian[$0, $0], 0)).squareRoot() }
  var scores = Tensor(shape: weight.shape)
  scores.withUnsafeMutableBufferPointer { s in
    weight.withUnsafeBufferPointer { w in
      for r in 0..<rows {
        for c in 0..<columns { s[r * columns + c] = abs(w[r * columns + c]) * norms[c] }
      }
    }
  }
  let mask = selectMask(scores: scores, pattern: pattern)
  return PruningResult(weight: mask.applied(to: weight), mask: mask, loss: 0)
}
