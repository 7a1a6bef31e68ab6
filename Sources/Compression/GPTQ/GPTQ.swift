import Dispatch
import TensorCore

// GPTQ: Frantar, Ashkboos, Hoefler, Alistarh, "GPTQ: Accurate Post-training Quantization for
// Generative Pre-trained Transformers", arXiv 2210.17323, Algorithm 1; reference code
// IST-DASLab/gptq `gptq.py::GPTQ.fasterquant` and `quant.py::Quantizer` (passes.md §1.2).
// Every deliberate difference from the reference is listed in docs/gptq.md.
//
// Legend: R = rows = out, C = columns = in, B = block width, G = groups along the input,
// p = a position in processing order (act-order permutes), c = an original column,
// perm[p] = c.

/// Quantizes a linear weight `(out, in)` with GPTQ given the layer Hessian `H = 2/n Σ x xᵀ`
/// `(in, in)` (passes.md §0.2; only its scale-free shape matters).
///
/// Steps, as the reference: per-row grids (no groups) from the original weight; dead columns
/// (`H[i,i] == 0`) get `H[i,i] = 1` and a zero weight column; static groups fitted before any
/// update; act-order permutation by descending `diag H` (stable); `H += λI` with
/// `λ = dampening · mean(diag H)`; U, the upper Cholesky factor of `H⁻¹`; then blocks of
/// `blockSize` columns with error feedback inside the block (rank-1 updates) and across blocks
/// (one GEMM per later block); groups fitted at their first column from the weights as updated
/// so far. With `H = I` the result equals round-to-nearest.
///
/// Dampening retry: each level of `options.dampeningSchedule` is tried with a Float32
/// factorization, then a Double one; the first success is used.
/// - Throws: `.nonFiniteWeight`, `.nonFiniteHessian`, `.notPositiveDefinite(dampening:)`.
/// - Precondition: `weight` is `(out, in)`, `hessian` is `(in, in)` and symmetric (its lower
///   triangle is read), `blockSize ≥ 1`, `0 ≤ dampening ≤ maximumDampening`, finite, and
///   `minimumZero` in `0...maxCode`.
///
/// With a `mask`, the pruned weights stay exactly zero, as in SparseGPT's joint sparse and
/// quantized mode (arXiv 2301.00774 §3.5): at its column each is quantized as 0 (the grid's own
/// zero, which every grid holds) and its current value, drift from earlier feedback included,
/// is fed back as error; dynamic groups are fitted with pruned weights counted as 0.
public func gptqQuantize(
  weight: Tensor, hessian: Tensor, options: GPTQOptions, mask: SparsityMask? = nil
) throws(GPTQError) -> GPTQResult {
  precondition(weight.rank == 2, "gptqQuantize: weight shape \(weight.shape) is not (out, in)")
  let (rows, columns) = (weight.shape[0], weight.shape[1])
  precondition(
    hessian.shape == [columns, columns],
    "gptqQuantize: hessian shape \(hessian.shape) does not match weight \(weight.shape)")
  precondition(options.blockSize >= 1, "gptqQuantize: blockSize \(options.blockSize) < 1")
  precondition(
    options.dampening >= 0 && options.maximumDampening.isFinite
      && options.maximumDampening >= options.dampening,
    "gptqQuantize: dampening \(options.dampening) / maximum \(options.maximumDampening) invalid")
  precondition(
    (0...Int32(options.scheme.maxCode)).contains(options.minimumZero),
    "gptqQuantize: minimumZero \(options.minimumZero) outside 0...\(options.scheme.maxCode)")
  if let (r, c) = firstNonFinite(weight) { throw .nonFiniteWeight(row: r, column: c) }
  if let (r, c) = firstNonFinite(hessian) { throw .nonFiniteHessian(row: r, column: c) }

  var problem = GPTQProblem(weight: weight, hessian: hessian, options: options)
  let factor = try GPTQInverseHessian.factor(problem.prelude)
  let work = problem.transposed
  problem.transposed = []  // the solver's `work` is the only copy
  let keep = mask.map { mask in
    precondition(mask.rows == rows && mask.columns == columns, "gptqQuantize: mask \(mask.rows) × \(mask.columns)")
    let flags = Tensor(shape: [rows, columns], scalars: mask.pruned.map { $0 ? 0 : 1 })
    return GPTQProblem.transposed(flags, permutation: problem.permutation, zeroing: problem.dead)
  }
  var solver = GPTQBlockSolver(problem: problem, work: work, uTransposed: factor.uTransposed, keep: keep)
  solver.run()
  let matrix = QuantizedMatrix(
    rows: rows, columns: columns, scheme: options.scheme,
    codes: solver.codesInOriginalOrder(permutation: problem.permutation),
    scales: solver.scales, zeros: solver.zeros, gIdx: problem.groupIndex())
  return GPTQResult(
    matrix: matrix, loss: solver.loss, dampeningUsed: factor.dampening,
    attempts: factor.attempts, deadColumns: problem.deadColumns)
}

/// The `(row, column)` of the first NaN or infinity of a rank-2 tensor, row-major.
func firstNonFinite(_ t: Tensor) -> (Int, Int)? {
  t.withUnsafeBufferPointer { buffer in
    guard let index = firstNonFinite(buffer) else { return nil }
    return (index / t.shape[1], index % t.shape[1])
  }
}

/// Everything fixed before the first column is quantized: the Hessian prelude (dead columns,
/// the permutation), the grids known in advance and the permuted, transposed weight.
struct GPTQProblem {
  let rows: Int
  let columns: Int
  let options: GPTQOptions
  /// Dead columns, the permutation and the damped Hessian the factorization reads.
  let prelude: HessianPrelude
  /// Grids fitted up front: one per row (no groups), or every static group; else empty. // (G, R)
  let presetScales: [Float]
  /// Zero points matching `presetScales`. // (G, R)
  let presetZeros: [Int32]
  /// The weight with dead columns zeroed, transposed and permuted: row `p` is column `perm[p]`,
  /// so block `k` is rows `[k·B, min((k+1)·B, C))`. // (C, R)
  var transposed: [Float]

  /// `H[c, c] == 0`, by original column. // (C)
  var dead: [Bool] { prelude.dead }
  /// Inputs with `H[i, i] == 0`.
  var deadColumns: Int { prelude.deadColumns }
  /// `perm[p] = c`: the original column processed at position `p`. // (C)
  var permutation: [Int] { prelude.permutation }

  init(weight: Tensor, hessian: Tensor, options: GPTQOptions) {
    let (rows, columns) = (weight.shape[0], weight.shape[1])
    self.rows = rows
    self.columns = columns
    self.options = options
    prelude = HessianPrelude(
      hessian: hessian, actOrder: options.actOrder, dampeningSchedule: options.dampeningSchedule)
    let width = options.scheme.groupWidth(columns: columns)
    if options.scheme.groupSize == nil {
      // The reference fits the per-row grid before the dead columns are zeroed.
      (presetScales, presetZeros) = fitRowMajorGrids(
        weight, ranges: [0..<columns], options: options)
    } else if options.staticGroups {
      let ranges = stride(from: 0, to: columns, by: width).map { $0..<min($0 + width, columns) }
      (presetScales, presetZeros) = fitRowMajorGrids(
        weight, ranges: ranges, options: options, zeroing: prelude.dead)
    } else {
      (presetScales, presetZeros) = ([], [])
    }
    transposed = Self.transposed(weight, permutation: prelude.permutation, zeroing: prelude.dead)
  }

  /// The permuted columns of `w` `(R, C)` as rows, in 64 × 64 tiles, the `zeroing` ones all 0;
  /// strips of 64 columns in parallel (page faults and copies on both cores). // (C, R)
  static func transposed(_ w: Tensor, permutation: [Int], zeroing: [Bool]) -> [Float] {
    let (rows, columns) = (w.shape[0], w.shape[1])
    var out = [Float](repeating: 0, count: columns * rows)  // (C, R)
    w.withUnsafeBufferPointer { w in
      out.withUnsafeMutableBufferPointer { out in
        let w = SharedPointer(base: UnsafeMutablePointer(mutating: w.baseAddress!))  // read only
        let out = SharedPointer(base: out.baseAddress!)  // each strip writes its own rows
        let strips = (columns + 63) / 64
        DispatchQueue.concurrentPerform(iterations: strips) { strip in  // 64 columns each
          let p0 = strip * 64
          for r0 in stride(from: 0, to: rows, by: 64) {
            for p in p0..<min(p0 + 64, columns) where !zeroing[permutation[p]] {
              let c = permutation[p]
              for r in r0..<min(r0 + 64, rows) { out.base[p * rows + r] = w.base[r * columns + c] }
            }
          }
        }
      }
    }
    return out
  }

  /// `g_idx` by original column (passes.md §1.2): `perm[p] / gs` under act-order with static
  /// groups, else `p / gs`, stored at `perm[p]`; all 0 without groups.
  func groupIndex() -> [Int32] {
    let width = options.scheme.groupWidth(columns: columns)
    var gIdx = [Int32](repeating: 0, count: columns)
    for p in 0..<columns {
      let c = permutation[p]
      gIdx[c] = Int32((options.staticGroups ? c : p) / width)
    }
    return gIdx
  }
}

/// The Hessian as the OBS solvers (GPTQ, SparseGPT) factor it: dead columns (`H[i, i] == 0`) get
/// a unit diagonal, columns are optionally ordered by descending diagonal (act-order), and the
/// dampening schedule says which `λ = level · mean(diag H)` to try. `GPTQInverseHessian.factor`
/// turns it into the upper Cholesky factor of `(H + λI)⁻¹`.
struct HessianPrelude {
  /// The caller's Hessian, symmetric; its lower triangle is read. // (C, C)
  let hessian: Tensor
  let columns: Int
  /// `H[c, c] == 0`, by original column. // (C)
  let dead: [Bool]
  /// Inputs with `H[i, i] == 0`.
  let deadColumns: Int
  /// `perm[p] = c`: the original column processed at position `p`. // (C)
  let permutation: [Int]
  let isPermuted: Bool
  /// Relative dampening levels, tried in order.
  let dampeningSchedule: [Double]

  /// With `actOrder`, columns by descending `diag H` (dead ones count as 1), ties in order.
  init(hessian: Tensor, actOrder: Bool, dampeningSchedule: [Double]) {
    let columns = hessian.shape[0]
    self.hessian = hessian
    self.columns = columns
    self.dampeningSchedule = dampeningSchedule
    let diagonal = (0..<columns).map { hessian[$0, $0] }
    dead = diagonal.map { $0 == 0 }
    deadColumns = dead.filter { $0 }.count
    let sortKey = zip(diagonal, dead).map { $1 ? Float(1) : $0 }
    isPermuted = actOrder
    permutation =
      actOrder
      ? (0..<columns).sorted { sortKey[$0] > sortKey[$1] || (sortKey[$0] == sortKey[$1] && $0 < $1) }
      : Array(0..<columns)
  }

  /// The mean of the prepared Hessian's diagonal (dead entries 1), the scale of the dampening.
  var meanDiagonal: Double {
    let sum = permutation.reduce(0.0) { $0 + (dead[$1] ? 1 : Double(hessian[$1, $1])) }
    return sum / Double(max(columns, 1))
  }

  /// `H[perm][:, perm] + λI`, dead diagonals 1 before `λ` is added, read from the lower triangle
  /// of `hessian`: its lower triangle is exact, the upper one is H's own (unchanged order) or, under
  /// a permutation, zero. With `reversed` the result is `J(·)J` (the whole buffer reversed, so the
  /// exact triangle is the upper one), which is how the Float32 factorization wants it. Without a
  /// permutation this is one streaming copy. // (C, C)
  func preparedHessian(adding lambda: Float, reversed: Bool) -> [Float] {
    let n = columns
    var out: [Float]  // (C, C)
    switch (isPermuted, reversed) {
    case (false, false): out = hessian.scalars
    case (false, true): out = Array(hessian.scalars.reversed())
    case (true, _): out = permutedLowerTriangle()
    }
    out.withUnsafeMutableBufferPointer { out in
      if isPermuted && reversed { var all = out; all.reverse() }
      for a in 0..<n {
        let c = permutation[reversed ? n - 1 - a : a]
        out[a * n + a] = (dead[c] ? 1 : out[a * n + a]) + lambda
      }
    }
    return out
  }

  /// The lower triangle of `H[perm][:, perm]` read from the lower triangle of `hessian` in 32 × 32
  /// tiles; zeros above the diagonal. // (C, C)
  private func permutedLowerTriangle() -> [Float] {
    let n = columns
    var out = [Float](repeating: 0, count: n * n)
    hessian.withUnsafeBufferPointer { h in
      permutation.withUnsafeBufferPointer { perm in
        out.withUnsafeMutableBufferPointer { out in
          for a0 in stride(from: 0, to: n, by: 32) {
            for b0 in stride(from: 0, through: a0, by: 32) {
              for a in a0..<min(a0 + 32, n) {
                let i = perm[a]
                for b in b0..<min(b0 + 32, a + 1) {
                  let j = perm[b]
                  out[a * n + b] = h[max(i, j) * n + min(i, j)]
                }
              }
            }
          }
        }
      }
    }
    return out
  }
}

/// Grids of every row over each column range of a row-major `(R, C)` weight, group-major, the
/// columns marked in `zeroing` read as 0.
func fitRowMajorGrids(
  _ w: Tensor, ranges: [Range<Int>], options: GPTQOptions, zeroing: [Bool]? = nil
) -> ([Float], [Int32]) {
  let (rows, columns) = (w.shape[0], w.shape[1])
  var scales = [Float](repeating: 0, count: ranges.count * rows)  // (G, R)
  var zeros = [Int32](repeating: 0, count: ranges.count * rows)  // (G, R)
  let skip = zeroing ?? Array(repeating: false, count: columns)
  w.withUnsafeBufferPointer { w in
    for (g, range) in ranges.enumerated() {
      for r in 0..<rows {
        var (minimum, maximum): (Float, Float) = (0, 0)
        for c in range {
          let value = skip[c] ? 0 : w[r * columns + c]
          minimum = min(minimum, value)
          maximum = max(maximum, value)
        }
        let grid = QuantizationGrid(
          minimum: minimum, maximum: maximum, bits: options.scheme.bits,
          symmetric: options.scheme.symmetric, minimumZero: options.minimumZero)
        scales[g * rows + r] = grid.scale
        zeros[g * rows + r] = grid.zero
      }
    }
  }
  return (scales, zeros)
}
