import TensorCore

/// The plain twin of `gptqQuantize`, to hold the fast solver to (house rule 6).
///
/// Column by column with full (not lazy) OBS updates `W[:, j] −= e · U[p, j]` for every later
/// `j`, in Double, with U from the reference's three factorization steps
/// (cholesky → cholesky_inverse → cholesky upper, in Double). Same grid rules as the fast solver,
/// including the replicated quirk that a group is fitted to its columns as they were at the start
/// of the `blockSize` block holding its first column. Slow: `O(R·C²)` scalar work; for tests.
public enum GPTQReference {
  /// The same contract as `gptqQuantize`, except that every dampening level is tried in Double
  /// only, so `attempts` counts levels.
  public static func quantize(
    weight: Tensor, hessian: Tensor, options: GPTQOptions, mask: SparsityMask? = nil
  ) throws(GPTQError) -> GPTQResult {
    let (rows, columns) = (weight.shape[0], weight.shape[1])
    if let (r, c) = firstNonFinite(weight) { throw .nonFiniteWeight(row: r, column: c) }
    if let (r, c) = firstNonFinite(hessian) { throw .nonFiniteHessian(row: r, column: c) }
    let scheme = options.scheme
    let groupSize = scheme.groupSize ?? columns
    var grids = Grids(rows: rows, options: options)
    var w = (0..<rows).map { r in (0..<columns).map { Double(weight[r, $0]) } }
    if scheme.groupSize == nil { grids.fit { w[$0] } }  // before the dead columns are zeroed
    let dead = (0..<columns).map { hessian[$0, $0] == 0 }
    for r in 0..<rows { for c in 0..<columns where dead[c] { w[r][c] = 0 } }
    let staticGroups = options.staticGroups && scheme.groupSize != nil
    if staticGroups {
      for start in stride(from: 0, to: columns, by: groupSize) {
        grids.fit { Array(w[$0][start..<min(start + groupSize, columns)]) }
      }
    }
    let diagonal = (0..<columns).map { dead[$0] ? 1 : Double(hessian[$0, $0]) }
    var perm = Array(0..<columns)
    if options.actOrder {
      perm.sort { diagonal[$0] > diagonal[$1] || (diagonal[$0] == diagonal[$1] && $0 < $1) }
    }
    w = w.map { row in perm.map { row[$0] } }
    let (u, level, attempts) = try factor(hessian, dead: dead, perm: perm, dampeningSchedule: options.dampeningSchedule)
    let pruned = (0..<rows).map { r in perm.map { mask?.pruned[r * columns + $0] ?? false } }  // permuted

    let (codes, loss) = quantizeColumns(
      &w, u: u, perm: perm, options: options, staticGroups: staticGroups, grids: &grids, pruned: pruned)
    var gIdx = [Int32](repeating: 0, count: columns)
    for p in 0..<columns { gIdx[perm[p]] = Int32((staticGroups ? perm[p] : p) / groupSize) }
    let matrix = QuantizedMatrix(
      rows: rows, columns: columns, scheme: scheme, codes: codes, scales: grids.scales,
      zeros: grids.zeros, gIdx: gIdx)
    return GPTQResult(
      matrix: matrix, loss: loss, dampeningUsed: level, attempts: attempts,
      deadColumns: dead.filter { $0 }.count)
  }

  /// Statements 4–11 of Algorithm 1 column by column with full updates of the later columns;
  /// `w` holds the permuted rows. Returns the codes `(R, C)` in original order and the loss.
  private static func quantizeColumns(
    _ w: inout [[Double]], u: [[Double]], perm: [Int], options: GPTQOptions, staticGroups: Bool,
    grids: inout Grids, pruned: [[Bool]]
  ) -> ([UInt8], Double) {
    let (rows, columns) = (w.count, perm.count)
    let groupSize = options.scheme.groupSize ?? columns
    var codes = [UInt8](repeating: 0, count: rows * columns)
    var loss = 0.0
    var snapshot = w
    for p in 0..<columns {
      if p % options.blockSize == 0 { snapshot = w }
      var group = 0
      if options.scheme.groupSize != nil {
        if staticGroups {
          group = (options.actOrder ? perm[p] : p) / groupSize
        } else {
          if p % groupSize == 0 {
            grids.fit { r in (p..<min(p + groupSize, columns)).map { pruned[r][$0] ? 0 : snapshot[r][$0] } }
          }
          group = p / groupSize
        }
      }
      let d = u[p][p]
      for r in 0..<rows {
        let s = Double(grids.scales[group * rows + r])
        let z = Double(grids.zeros[group * rows + r])
        let x = pruned[r][p] ? 0 : w[r][p]  // a pruned weight is quantized as the grid's 0
        let k = min(max((x / s).rounded(.toNearestOrEven) + z, 0), Double(options.scheme.maxCode))
        let q = s * (k - z)
        codes[r * columns + perm[p]] = UInt8(k)
        loss += (w[r][p] - q) * (w[r][p] - q) / (d * d) / 2
        let e = (w[r][p] - q) / d
        for j in p..<columns { w[r][j] -= e * u[p][j] }
      }
    }
    return (codes, loss)
  }

  /// Grids in creation order. // (G, R)
  struct Grids {
    let rows: Int
    let options: GPTQOptions
    var scales: [Float] = []
    var zeros: [Int32] = []

    /// Appends the grid of every row over `values(r)`, the group's values of row `r`.
    mutating func fit(_ values: (Int) -> [Double]) {
      for r in 0..<rows {
        let x = values(r)
        let grid = QuantizationGrid(
          minimum: Float(min(x.min() ?? 0, 0)), maximum: Float(max(x.max() ?? 0, 0)),
          bits: options.scheme.bits, symmetric: options.scheme.symmetric,
          minimumZero: options.minimumZero)
        scales.append(grid.scale)
        zeros.append(grid.zero)
      }
    }
  }

  /// U (as rows) of the damped, permuted Hessian in Double by the reference's three steps, trying
  /// each level of `dampeningSchedule` (shared with `SparseGPTReference`).
  static func factor(
    _ hessian: Tensor, dead: [Bool], perm: [Int], dampeningSchedule: [Double]
  ) throws(GPTQError) -> ([[Double]], Double, Int) {
    let n = perm.count
    var h = [Double](repeating: 0, count: n * n)
    for a in 0..<n {
      for b in 0..<n {
        let (ca, cb) = (perm[a], perm[b])
        h[a * n + b] = Double(ca >= cb ? hessian[ca, cb] : hessian[cb, ca])
      }
      if dead[perm[a]] { h[a * n + a] = 1 }
    }
    let mean = (0..<n).map { h[$0 * n + $0] }.reduce(0, +) / Double(max(n, 1))
    var attempts = 0
    for level in dampeningSchedule {
      attempts += 1
      var damped = h
      for i in 0..<n { damped[i * n + i] += level * mean }
      guard let lower = try? cholesky(damped, n: n, upper: false),
        let inverse = try? inverseFromCholesky(lower, n: n, upper: false),
        let u = try? cholesky(inverse, n: n, upper: true)
      else { continue }
      return ((0..<n).map { Array(u[($0 * n)..<($0 * n + n)]) }, level, attempts)
    }
    throw .notPositiveDefinite(dampening: dampeningSchedule.last!)
  }
}
