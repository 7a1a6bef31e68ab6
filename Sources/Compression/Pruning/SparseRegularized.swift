import Foundation
import TensorCore

// Sparse-regularized pruning: the idea of Prasetyo, Yudistira, Widodo, "Sparse then Prune: Toward
// Efficient Vision Transformers", arXiv 2307.11988 — train with a sparsity regularizer, then prune
// — solved per layer on calibration statistics, since this tool has no training run
// (docs/prune.md):
//
//   1. regularize:  W* = argmin_V  tr((V − W) H (V − W)ᵀ) + Σ_r λ_r ‖V_r‖₁
//      by FISTA (Beck & Teboulle 2009) with adaptive restart (O'Donoghue & Candès 2015) on the
//      Jacobi-scaled problem; one product with H per iteration, H never X;
//   2. prune:       the mask at the target sparsity and pattern from the regularized weights,
//      score |W*_ij|·√H_jj (weights the regularizer zeroed rank below all others, among themselves
//      by the original |W_ij|·√H_jj);
//   3. refit:       the surviving weights of every row minimize the same output error with the
//      pruned ones held at 0 (H_KK v_K = (W H)_K), by Jacobi-preconditioned conjugate gradients,
//      all rows at once (one product with H per iteration).
//
// λ is scaled to each layer by the diagonal model: were H diagonal, the regularized solution
// would zero exactly the weights with 2|W_ij|·H_jj ≤ λ, so λ_r = strength · (the s-quantile of
// 2|W_ij|·H_jj) over row r (allocation row, N:M) or over the layer (allocation layer).
// Legend: R = rows = out, C = columns = in.

/// The settings of one sparse-regularized solve.
public struct SparseRegularizedOptions: Sendable, Equatable {
  public var pattern: SparsityPattern
  /// λ relative to the diagonal model's λ for the target sparsity (1: that λ).
  public var strength: Double
  /// Proximal-gradient iterations at most; the solve stops earlier once its step
  /// `‖Y_k − V_{k+1}‖_F` (the gradient mapping over L) is at most `tolerance` times the first.
  public var maxIterations: Int
  public var tolerance: Double
  /// Conjugate-gradient iterations of the refit at most; it stops earlier once the masked
  /// residual is `≤ tolerance · ‖(W H)_K‖_F`.
  public var refitIterations: Int
  /// Relative dampening `δ · mean(diag H)` added to the diagonal of H for both solves.
  public var dampening: Double

  public init(
    pattern: SparsityPattern, strength: Double = 0.1, maxIterations: Int = 100, tolerance: Double = 1e-4,
    refitIterations: Int = 100, dampening: Double = 0.01
  ) {
    self.pattern = pattern
    self.strength = strength
    self.maxIterations = maxIterations
    self.tolerance = tolerance
    self.refitIterations = refitIterations
    self.dampening = dampening
  }
}

/// Prunes a linear weight `(out, in)` by L1-regularized reconstruction, mask and refit, given its
/// input Hessian `(in, in)` (its lower triangle is read). Dead inputs (`H[j,j] == 0`) have a
/// zero target weight and a unit diagonal, as in GPTQ. Figures: `lambda` (mean λ_r), `iterations`,
/// `objective_start` and `objective_end` (the regularized objective at V = W and at W*),
/// `regularized_sparsity`, `masked_error` and `refit_error` (tr(ΔHΔᵀ) before and after the
/// refit), `refit_iterations`.
/// - Precondition: shapes as above; for N:M, `m` divides `in`.
public func sparseRegularizedPrune(weight: Tensor, hessian: Tensor, options: SparseRegularizedOptions)
  -> PruningResult
{
  let (rows, columns) = (weight.shape[0], weight.shape[1])
  precondition(hessian.shape == [columns, columns], "sparseRegularizedPrune: hessian \(hessian.shape), weight \(weight.shape)")
  // H symmetric from its lower triangle, dead diagonals 1, damped; the target W with dead columns 0.
  var h = hessian
  var target = weight
  let dead = (0..<columns).map { hessian[$0, $0] == 0 }
  h.withUnsafeMutableBufferPointer { h in
    for i in 0..<columns {
      for j in (i + 1)..<max(i + 1, columns) { h[i * columns + j] = h[j * columns + i] }
      if dead[i] { h[i * columns + i] = 1 }
    }
    let mean = (0..<columns).reduce(0.0) { $0 + Double(h[$1 * columns + $1]) } / Double(max(columns, 1))
    for i in 0..<columns { h[i * columns + i] += Float(options.dampening * mean) }
  }
  target.withUnsafeMutableBufferPointer { w in
    for r in 0..<rows { for c in 0..<columns where dead[c] { w[r * columns + c] = 0 } }
  }
  let diagonal = (0..<columns).map { h[$0, $0] }
  let lambdas = regularizationStrengths(target, diagonal: diagonal, options: options)
  let targetTimesH = matmul(target, h)  // W H // (R, C)

  // 1. FISTA with adaptive restart, on the Jacobi-scaled problem: with D = diag(H) and
  // U = V·D^½, the objective is tr((U − W D^½) H̃ (U − W D^½)ᵀ) + Σ λ_r Σ_j |U_rj| / √H_jj with
  // H̃ = D^-½ H D^-½ (unit diagonal): the same minimizer, better conditioned when input channels
  // differ in scale, so the same iterations land nearer it (docs/prune.md).
  let scale = diagonal.map { $0.squareRoot() }  // √H_jj > 0 after the fixes above
  var scaledH = h
  scaledH.withUnsafeMutableBufferPointer { s in
    for i in 0..<columns { for j in 0..<columns { s[i * columns + j] /= scale[i] * scale[j] } }
  }
  let lipschitz = 2 * largestEigenvalue(scaledH) * 1.02
  var scaledTarget = target  // W D^½
  var scaledB = targetTimesH  // W H D^-½ = (W D^½) H̃
  scaledTarget.withUnsafeMutableBufferPointer { w in
    scaledB.withUnsafeMutableBufferPointer { b in
      for r in 0..<rows {
        for c in 0..<columns {
          w[r * columns + c] *= scale[c]
          b[r * columns + c] /= scale[c]
        }
      }
    }
  }
  let columnThresholds = scale.map { 1 / (Float(lipschitz) * $0) }  // × λ_r: the prox thresholds
  var x = scaledTarget
  var y = scaledTarget
  var t = 1.0
  var iterations = 0
  var firstStep = 0.0  // ‖Y_0 − V_1‖, the scale of the stopping rule
  var product = Tensor(shape: [rows, columns])  // Y H̃
  for _ in 0..<options.maxIterations {
    iterations += 1
    gemm(y, scaledH, into: &product, alpha: 1, beta: 0)
    var next = y
    var (moved, restart) = (0.0, 0.0)  // ‖Y_k − V_{k+1}‖², the restart test
    next.withUnsafeMutableBufferPointer { n in
      product.withUnsafeBufferPointer { g in
        scaledB.withUnsafeBufferPointer { b in
          x.withUnsafeBufferPointer { old in
            let step = Float(2 / lipschitz)
            for r in 0..<rows {
              let lambda = Float(lambdas[r])
              for c in 0..<columns {
                let i = r * columns + c
                let threshold = lambda * columnThresholds[c]
                let z = n[i] - step * (g[i] - b[i])
                let v = z > threshold ? z - threshold : (z < -threshold ? z + threshold : 0)
                restart += Double((n[i] - v) * (v - old[i]))
                moved += Double((n[i] - v) * (n[i] - v))
                n[i] = v
              }
            }
          }
        }
      }
    }
    // Restart the momentum when it points uphill (the gradient-mapping test).
    if restart > 0 { t = 1 }
    let tNext = (1 + (1 + 4 * t * t).squareRoot()) / 2
    let momentum = Float((t - 1) / tNext)
    y = next
    y.withUnsafeMutableBufferPointer { y in
      x.withUnsafeBufferPointer { old in
        for i in y.indices { y[i] += momentum * (y[i] - old[i]) }
      }
    }
    x = next
    t = tNext
    // The step ‖Y_k − V_{k+1}‖ is the gradient mapping's norm over L: zero exactly at the minimizer,
    // and measured against the first step it does not depend on the step size.
    if iterations == 1 { firstStep = moved.squareRoot() }
    if moved.squareRoot() <= options.tolerance * firstStep { break }
  }
  x.withUnsafeMutableBufferPointer { x in  // back to V = U D^-½
    for r in 0..<rows { for c in 0..<columns { x[r * columns + c] /= scale[c] } }
  }
  let objectiveStart = l1Penalty(target, lambdas)
  let objectiveEnd = outputError(target, x, hessian: h) + l1Penalty(x, lambdas)
  let regularizedSparsity = Double(x.scalars.filter { $0 == 0 }.count) / Double(max(x.count, 1))

  // 2. The mask from the regularized weights.
  let norms = diagonal.map { $0.squareRoot() }
  var scores = Tensor(shape: [rows, columns])
  scores.withUnsafeMutableBufferPointer { s in
    for r in 0..<rows {
      for c in 0..<columns {
        let i = r * columns + c
        let v = x.scalars[i]
        s[i] = v != 0 ? abs(v) * norms[c] : -1 / (1 + abs(target.scalars[i]) * norms[c])
      }
    }
  }
  let mask = selectMask(scores: scores, pattern: options.pattern)

  // 3. The refit.
  let masked = mask.applied(to: x)
  let (refit, refitIterations) = refitMasked(
    start: masked, mask: mask, hessian: h, diagonal: diagonal, rightHandSide: targetTimesH, options: options)
  let refitError = outputError(weight, refit, hessian: hessian)
  return PruningResult(
    weight: refit, mask: mask, loss: refitError, dampening: options.dampening,
    figures: [
      "lambda": lambdas.reduce(0, +) / Double(max(rows, 1)), "iterations": Double(iterations),
      "objective_start": objectiveStart, "objective_end": objectiveEnd,
      "regularized_sparsity": regularizedSparsity,
      "masked_error": outputError(weight, masked, hessian: hessian),
      "refit_error": refitError, "refit_iterations": Double(refitIterations),
    ])
}

/// λ_r for every row: `strength ·` the target-sparsity quantile of `2|W_ij|·H_jj` over the row
/// (allocation row, N:M) or over the layer (allocation layer).
func regularizationStrengths(_ w: Tensor, diagonal: [Float], options: SparseRegularizedOptions) -> [Double] {
  let (rows, columns) = (w.shape[0], w.shape[1])
  var values = [Float](repeating: 0, count: rows * columns)
  for r in 0..<rows {
    for c in 0..<columns { values[r * columns + c] = 2 * abs(w[r, c]) * diagonal[c] }
  }
  var scratch: [Float] = []
  func quantile(_ range: Range<Int>, _ sparsity: Double) -> Double {
    let k = SparsityPattern.prunedCount(prefix: range.count, sparsity: sparsity)
    guard k > 0 else { return 0 }
    return Double(smallestThreshold(of: values[range], count: k, scratch: &scratch).0)
  }
  switch options.pattern {
  case .unstructured(let sparsity, .layer):
    return Array(repeating: options.strength * quantile(0..<(rows * columns), sparsity), count: rows)
  case .unstructured(let sparsity, .row):
    return (0..<rows).map { options.strength * quantile(($0 * columns)..<(($0 + 1) * columns), sparsity) }
  case .nOfM:
    let sparsity = options.pattern.sparsity
    return (0..<rows).map { options.strength * quantile(($0 * columns)..<(($0 + 1) * columns), sparsity) }
  }
}

/// `Σ_r λ_r ‖V_r‖₁`.
private func l1Penalty(_ v: Tensor, _ lambdas: [Double]) -> Double {
  let columns = v.shape[1]
  return lambdas.indices.reduce(0.0) { total, r in
    total + lambdas[r] * (0..<columns).reduce(0.0) { $0 + Double(abs(v.scalars[r * columns + $1])) }
  }
}

/// The largest eigenvalue of a symmetric positive semi-definite `h` by 50 power iterations
/// (enough for a step size: the caller adds a margin).
func largestEigenvalue(_ h: Tensor) -> Double {
  let n = h.shape[0]
  guard n > 0 else { return 0 }
  var v = Tensor(shape: [n, 1], scalars: (0..<n).map { 1 + 0.01 * Float($0 % 7) })
  var estimate = 0.0
  for _ in 0..<50 {
    let hv = matmul(h, v)
    let norm = hv.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    let vNorm = v.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    guard norm > 0 else { return 0 }
    estimate = norm / vNorm
    v = (Float(1 / norm)) * hv
  }
  return estimate
}

/// Minimizes `tr((V − W) H (V − W)ᵀ)` over V with the masked entries held at 0, from `start`
/// (already masked), by Jacobi-preconditioned conjugate gradients on every row at once: row r
/// solves `H_KK v_K = (W H)_K` on its kept set K. Returns V and the iterations run.
func refitMasked(
  start: Tensor, mask: SparsityMask, hessian h: Tensor, diagonal: [Float], rightHandSide b: Tensor,
  options: SparseRegularizedOptions
) -> (Tensor, Int) {
  let (rows, columns) = (start.shape[0], start.shape[1])
  let count = rows * columns
  let keep = mask.pruned.map { $0 ? Float(0) : 1 }
  let inverseDiagonal = diagonal.map { 1 / $0 }
  var x = start.scalars
  var residual = [Float](repeating: 0, count: count)  // (b − x H) masked
  var direction = [Float](repeating: 0, count: count)
  var z = [Float](repeating: 0, count: count)
  var q = [Float](repeating: 0, count: count)
  var rz = [Double](repeating: 0, count: rows)
  var pq = [Double](repeating: 0, count: rows)
  var bNorm = 0.0
  var iterations = 0
  h.withUnsafeBufferPointer { h in
    b.withUnsafeBufferPointer { b in
      /// `out = (a H) ⊙ keep`.
      func productWithH(_ a: [Float], into out: inout [Float]) {
        a.withUnsafeBufferPointer { a in
          out.withUnsafeMutableBufferPointer { out in
            gemm(
              m: rows, n: columns, k: columns, alpha: 1, a: a.baseAddress!, lda: columns, b: h.baseAddress!,
              ldb: columns, beta: 0, c: out.baseAddress!, ldc: columns)
            for i in 0..<count { out[i] *= keep[i] }
          }
        }
      }
      productWithH(x, into: &residual)
      for i in 0..<count {
        residual[i] = b[i] * keep[i] - residual[i]
        bNorm += Double(b[i] * keep[i]) * Double(b[i] * keep[i])
      }
      bNorm = bNorm.squareRoot()
      for r in 0..<rows {
        var dot = 0.0
        for c in 0..<columns {
          let i = r * columns + c
          direction[i] = residual[i] * inverseDiagonal[c]
          dot += Double(residual[i]) * Double(direction[i])
        }
        rz[r] = dot
      }
      for _ in 0..<options.refitIterations {
        let residualNorm = residual.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        if residualNorm <= options.tolerance * bNorm { break }
        iterations += 1
        productWithH(direction, into: &q)
        for r in 0..<rows {
          var dot = 0.0
          for i in (r * columns)..<((r + 1) * columns) { dot += Double(direction[i]) * Double(q[i]) }
          pq[r] = dot
        }
        for r in 0..<rows {
          let alpha = pq[r] > 0 ? Float(rz[r] / pq[r]) : 0
          var dot = 0.0
          for c in 0..<columns {
            let i = r * columns + c
            x[i] += alpha * direction[i]
            residual[i] -= alpha * q[i]
            z[i] = residual[i] * inverseDiagonal[c]
            dot += Double(residual[i]) * Double(z[i])
          }
          let beta = rz[r] > 0 ? Float(dot / rz[r]) : 0
          for i in (r * columns)..<((r + 1) * columns) { direction[i] = z[i] + beta * direction[i] }
          rz[r] = dot
        }
      }
    }
  }
  return (Tensor(shape: [rows, columns], scalars: x), iterations)
}
