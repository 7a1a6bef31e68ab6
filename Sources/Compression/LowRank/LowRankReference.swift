import TensorCore

/// The plain twin of `lowRankFactorize`, to hold the fast solver to: every step in Double with
/// plain loops — the damped Hessian's Cholesky factor L, the fitted matrix M (W, W·L or
/// W·C·L⁻ᵀ), the top-r right singular vectors V_r of M as eigenvectors of MᵀM (cyclic Jacobi),
/// and the rank-r product M·V_r·V_rᵀ·L⁻¹ — which is unique when σ_r > σ_{r+1}, unlike the
/// factors. Slow (O(n³) scalar work); for tests.
public enum LowRankReference {
  /// The dense rank-`rank` approximation B·A `(out, in)` and the discarded energy Σ_{i>r} σ_i².
  public static func product(
    weight: Tensor, objective: LowRankObjective, rank: Int, dampening: Double = 0.01
  ) throws(LinearAlgebraError) -> (product: Tensor, discardedEnergy: Double) {
    let (out, n) = (weight.shape[0], weight.shape[1])
    let w = weight.scalars.map(Double.init)
    var m = w  // the fitted matrix, (out, n)
    var l: [Double]?  // lower Cholesky factor of the damped Hessian, (n, n)
    switch objective {
    case .weight:
      break
    case .output(let hessian):
      l = try Reference.cholesky(damped(hessian, dampening), n: n)
      m = multiply(w, l!, rows: out, inner: n, columns: n)
    case .shiftedOutput(let hessian, let cross):
      l = try Reference.cholesky(damped(hessian, dampening), n: n)
      let wc = multiply(w, cross.scalars.map(Double.init), rows: out, inner: n, columns: n)
      // X·Lᵀ = W·C row by row: L·xᵀ = (W·C)ᵀ, forward substitution.
      for r in 0..<out {
        for j in 0..<n {
          var sum = wc[r * n + j]
          for k in 0..<j { sum -= m[r * n + k] * l![j * n + k] }
          m[r * n + j] = sum / l![j * n + j]
        }
      }
    }
    var gram = [Double](repeating: 0, count: n * n)  // MᵀM
    for i in 0..<n { for j in 0..<n { for r in 0..<out { gram[i * n + j] += m[r * n + i] * m[r * n + j] } } }
    let (values, vectors) = Reference.symmetricEigen(gram, n: n)  // ascending
    let top = (0..<n).reversed().prefix(rank)  // columns of the r largest
    var projected = [Double](repeating: 0, count: out * n)  // M·V_r·V_rᵀ
    for r in 0..<out {
      for c in top {
        var dot = 0.0
        for k in 0..<n { dot += m[r * n + k] * vectors[k * n + c] }
        for j in 0..<n { projected[r * n + j] += dot * vectors[j * n + c] }
      }
    }
    if let l {  // X·L = P row by row: Lᵀ·xᵀ = pᵀ, back substitution.
      for r in 0..<out {
        for j in stride(from: n - 1, through: 0, by: -1) {
          var sum = projected[r * n + j]
          for k in (j + 1)..<max(n, j + 1) { sum -= projected[r * n + k] * l[k * n + j] }
          projected[r * n + j] = sum / l[j * n + j]
        }
      }
    }
    let discarded = values.dropLast(rank).reduce(0) { $0 + max($1, 0) }
    return (Tensor(shape: [out, n], scalars: projected.map { Float($0) }), discarded)
  }

  private static func damped(_ hessian: Tensor, _ dampening: Double) -> [Double] {
    let n = hessian.shape[0]
    var h = hessian.scalars.map(Double.init)
    let mean = (0..<n).reduce(0.0) { $0 + h[$1 * n + $1] } / Double(n)
    for i in 0..<n { h[i * n + i] += dampening * mean }
    return h
  }

  private static func multiply(_ a: [Double], _ b: [Double], rows: Int, inner: Int, columns: Int) -> [Double] {
    var c = [Double](repeating: 0, count: rows * columns)
    for i in 0..<rows { for k in 0..<inner where a[i * inner + k] != 0 { for j in 0..<columns { c[i * columns + j] += a[i * inner + k] * b[k * columns + j] } } }
    return c
  }
}
