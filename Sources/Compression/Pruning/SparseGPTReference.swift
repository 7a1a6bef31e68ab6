import TensorCore

/// The plain twin of `sparseGPTPrune`, to hold the fast solver to.
///
/// Column by column with full (not lazy) OBS updates `W[:, j] −= e · U[p, j]` for every later `j`,
/// in Double, with U from the reference's three factorization steps (`GPTQReference.factor`). The
/// same mask rules: each block's unstructured mask chosen from the weights as they stand at the
/// block's first column, each N:M group's at the group's first column, ties by position. Slow:
/// `O(R·C²)` scalar work; for tests.
public enum SparseGPTReference {
  public static func prune(weight: Tensor, hessian: Tensor, options: SparseGPTOptions) throws(GPTQError)
    -> PruningResult
  {
    let (rows, columns) = (weight.shape[0], weight.shape[1])
    if let (r, c) = firstNonFinite(weight) { throw .nonFiniteWeight(row: r, column: c) }
    if let (r, c) = firstNonFinite(hessian) { throw .nonFiniteHessian(row: r, column: c) }
    let dead = (0..<columns).map { hessian[$0, $0] == 0 }
    var w = (0..<rows).map { r in (0..<columns).map { dead[$0] ? 0 : Double(weight[r, $0]) } }
    let (u, level, _) = try GPTQReference.factor(
      hessian, dead: dead, perm: Array(0..<columns), dampeningSchedule: options.dampeningSchedule)
    var pruned = Array(repeating: Array(repeating: false, count: columns), count: rows)
    let blockSize = options.effectiveBlockSize
    var loss = 0.0
    func saliency(_ r: Int, _ c: Int) -> Double { w[r][c] * w[r][c] / (u[c][c] * u[c][c]) }
    for p in 0..<columns {
      if p % blockSize == 0, case .unstructured(let sparsity, let allocation) = options.pattern {
        let end = min(p + blockSize, columns)
        switch allocation {
        case .layer:
          let k =
            SparsityPattern.prunedCount(prefix: rows * end, sparsity: sparsity)
            - SparsityPattern.prunedCount(prefix: rows * p, sparsity: sparsity)
          let order = (0..<rows).flatMap { r in (p..<end).map { (r, $0) } }  // row-major
            .enumerated().sorted { a, b in
              let (sa, sb) = (saliency(a.element.0, a.element.1), saliency(b.element.0, b.element.1))
              return sa < sb || (sa == sb && a.offset < b.offset)
            }
          for item in order.prefix(k) { pruned[item.element.0][item.element.1] = true }
        case .row:
          let k =
            SparsityPattern.prunedCount(prefix: end, sparsity: sparsity)
            - SparsityPattern.prunedCount(prefix: p, sparsity: sparsity)
          for r in 0..<rows {
            let order = (p..<end).sorted { saliency(r, $0) < saliency(r, $1) || (saliency(r, $0) == saliency(r, $1) && $0 < $1) }
            for c in order.prefix(k) { pruned[r][c] = true }
          }
        }
      }
      if case .nOfM(let n, let m) = options.pattern, p % m == 0 {
        for r in 0..<rows {
          let order = (p..<(p + m)).sorted { saliency(r, $0) < saliency(r, $1) || (saliency(r, $0) == saliency(r, $1) && $0 < $1) }
          for c in order.prefix(m - n) { pruned[r][c] = true }
        }
      }
      let d = u[p][p]
      for r in 0..<rows {
        let q = pruned[r][p] ? 0 : w[r][p]
        let e = (w[r][p] - q) / d
        loss += e * e / 2
        for j in p..<columns { w[r][j] -= e * u[p][j] }
        w[r][p] = q
      }
    }
    return PruningResult(
      weight: Tensor(shape: [rows, columns], scalars: w.flatMap { $0.map(Float.init) }),
      mask: SparsityMask(rows: rows, columns: columns, pruned: pruned.flatMap { $0 }), loss: loss,
      dampening: level)
  }
}
