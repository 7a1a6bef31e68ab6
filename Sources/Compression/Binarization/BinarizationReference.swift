import TensorCore

/// The plain twin of `binarize`, to hold the fast solver to: plain loops in Double.
///
/// The same rules: salient weights by the largest w²/U[c,c]² (ties to the earlier position), α, μ
/// and the salient grids from the original weights (rounded to F16), then, with feedback, column by
/// column with full (not lazy) OBS updates `W[:, j] −= e · U[p, j]` for every later `j`, U from the
/// reference's three factorization steps (`GPTQReference.factor`). Returns the dense binarized
/// weight (no residual), the sign flags and the salient flags. Slow: `O(R·C²)`; for tests.
public enum BinarizationReference {
  public static func binarize(weight: Tensor, hessian: Tensor?, options: BinarizationOptions) throws(GPTQError)
    -> (weight: Tensor, positive: [Bool], salient: [Bool]?)
  {
    let (rows, columns) = (weight.shape[0], weight.shape[1])
    if let (r, c) = firstNonFinite(weight) { throw .nonFiniteWeight(row: r, column: c) }
    if let hessian, let (r, c) = firstNonFinite(hessian) { throw .nonFiniteHessian(row: r, column: c) }
    let dead = (0..<columns).map { hessian?[$0, $0] == 0 }
    var u: [[Double]]?
    if let hessian, options.feedback || options.salientFraction > 0 {
      u = try GPTQReference.factor(
        hessian, dead: dead, perm: Array(0..<columns), dampeningSchedule: options.dampeningSchedule
      ).0
    }
    let original = (0..<rows).map { r in (0..<columns).map { Double(weight[r, $0]) } }

    // Salient weights: the largest saliencies, ties to the earlier position.
    var salient: [[Bool]]?
    if options.salientFraction > 0 {
      let count = Int((Double(rows * columns) * options.salientFraction + 1e-9).rounded(.down))
      func score(_ i: Int) -> Double {
        let (r, c) = (i / columns, i % columns)
        let d = u?[c][c] ?? 1
        // As the fast solver: in Float32, so that equal scores tie the same way.
        return Double(Float(weight[r, c]) * Float(weight[r, c]) / Float(d * d))
      }
      let order = (0..<(rows * columns)).sorted { score($0) > score($1) || (score($0) == score($1) && $0 < $1) }
      var flags = Array(repeating: Array(repeating: false, count: columns), count: rows)
      for i in order.prefix(count) { flags[i / columns][i % columns] = true }
      salient = flags
    }
    func isSalient(_ r: Int, _ c: Int) -> Bool { salient?[r][c] ?? false }
    func half(_ x: Double) -> Double { Double(Float(float16Bits: Float(x).float16Bits)) }

    // α = mean|w − μ| and μ = mean(w) over the non-salient weights, per row or for the matrix.
    func fit(_ values: [Double]) -> (Double, Double) {
      guard !values.isEmpty else { return (0, 0) }
      let m = half(values.reduce(0, +) / Double(values.count))
      return (half(values.reduce(0) { $0 + abs($1 - m) } / Double(values.count)), m)
    }
    let kept = (0..<rows).map { r in (0..<columns).filter { !isSalient(r, $0) }.map { original[r][$0] } }
    let scales: [(Double, Double)] =
      options.scale == .row ? kept.map(fit) : Array(repeating: fit(kept.flatMap { $0 }), count: rows)
    // Each row's salient grid: value = minimum + code·step.
    let grids: [(minimum: Double, step: Double)] = (0..<rows).map { r in
      let values = (0..<columns).filter { isSalient(r, $0) }.map { original[r][$0] }
      guard let low = values.min(), let high = values.max() else { return (0, 0) }
      let minimum = half(low)
      return (minimum, half((high - minimum) / 255))
    }

    func quantize(_ w: Double, _ r: Int, _ c: Int) -> (Double, Bool) {
      if isSalient(r, c) {
        let (minimum, step) = grids[r]
        let code = step > 0 ? max(0, min(255, ((w - minimum) / step).rounded())) : 0
        return (minimum + code * step, false)
      }
      let (a, m) = scales[r]
      return w >= m ? (m + a, true) : (m - a, false)
    }

    var w = original
    if options.feedback {
      for r in 0..<rows { for c in 0..<columns where dead[c] { w[r][c] = 0 } }
    }
    var positive = [Bool](repeating: false, count: rows * columns)
    for p in 0..<columns {
      for r in 0..<rows {
        let (q, sign) = quantize(w[r][p], r, p)
        positive[r * columns + p] = sign
        if options.feedback, let u {
          let e = (w[r][p] - q) / u[p][p]
          for j in (p + 1)..<max(columns, p + 1) { w[r][j] -= e * u[p][j] }
        }
        w[r][p] = q
      }
    }
    return (
      Tensor(shape: [rows, columns], scalars: w.flatMap { $0.map(Float.init) }), positive,
      salient.map { $0.flatMap { $0 } }
    )
  }
}
