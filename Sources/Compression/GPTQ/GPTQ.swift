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
public func gptqQuantize(
  weight: Tensor, hessian: Tensor, options: GPTQOptions
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
  let factor = try GPTQInverseHessian.factor(
    problem.permutedHessian, columns: columns, options: options)
  problem.permutedHessian = []  // (C, C) no longer needed: keep the peak memory down
  let work = problem.transposed
  problem.transposed = []  // the solver's `work` is the only copy
  var solver = GPTQBlockSolver(problem: problem, work: work, upper: factor.upper)
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
    var allFinite = true
    for value in buffer { allFinite = allFinite && value.isFinite }
    if allFinite { return nil }
    let index = buffer.firstIndex { !$0.isFinite }!
    return (index / t.shape[1], index % t.shape[1])
  }
}

/// Everything fixed before the first column is quantized: dead columns, the permutation, the
/// grids known in advance, the permuted Hessian and the permuted, transposed weight.
struct GPTQProblem {
  let rows: Int
  let columns: Int
  let options: GPTQOptions
  /// Inputs with `H[i, i] == 0`.
  let deadColumns: Int
  /// `perm[p] = c`: the original column processed at position `p`. // (C)
  let permutation: [Int]
  /// The prepared Hessian, `H[perm][:, perm]` with dead diagonals 1, symmetric, undamped. // (C, C)
  var permutedHessian: [Float]
  /// Grids fitted up front: one per row (no groups), or every static group; else empty. // (G, R)
  let presetScales: [Float]
  /// Zero points matching `presetScales`. // (G, R)
  let presetZeros: [Int32]
  /// The weight with dead columns zeroed, transposed and permuted: row `p` is column `perm[p]`,
  /// so block `k` is rows `[k·B, min((k+1)·B, C))`. // (C, R)
  var transposed: [Float]

  init(weight: Tensor, hessian: Tensor, options: GPTQOptions) {
    let (rows, columns) = (weight.shape[0], weight.shape[1])
    self.rows = rows
    self.columns = columns
    self.options = options
    let diagonal = (0..<columns).map { hessian[$0, $0] }
    let dead = diagonal.map { $0 == 0 }
    deadColumns = dead.filter { $0 }.count
    let sortKey = zip(diagonal, dead).map { $1 ? Float(1) : $0 }
    permutation =
      options.actOrder
      ? (0..<columns).sorted { sortKey[$0] > sortKey[$1] || (sortKey[$0] == sortKey[$1] && $0 < $1) }
      : Array(0..<columns)
    permutedHessian = Self.permuted(hessian, dead: dead, permutation: permutation)
    var zeroed = weight  // (R, C), dead columns 0
    if deadColumns > 0 {
      zeroed.withUnsafeMutableBufferPointer { w in
        for r in 0..<rows { for c in 0..<columns where dead[c] { w[r * columns + c] = 0 } }
      }
    }
    let width = options.scheme.groupWidth(columns: columns)
    if options.scheme.groupSize == nil {
      // The reference fits the per-row grid before the dead columns are zeroed.
      (presetScales, presetZeros) = fitRowMajorGrids(
        weight, ranges: [0..<columns], options: options)
    } else if options.staticGroups {
      let ranges = stride(from: 0, to: columns, by: width).map { $0..<min($0 + width, columns) }
      (presetScales, presetZeros) = fitRowMajorGrids(zeroed, ranges: ranges, options: options)
    } else {
      (presetScales, presetZeros) = ([], [])
    }
    transposed = Self.transposed(zeroed, permutation: permutation)
  }

  /// `H[perm][:, perm]` read from the lower triangle of `h`, with `H[i, i] = 1` for dead `i`.
  static func permuted(_ h: Tensor, dead: [Bool], permutation: [Int]) -> [Float] {
    let n = permutation.count
    var symmetric = h.scalars  // (C, C), the lower triangle mirrored in 32×32 tiles
    symmetric.withUnsafeMutableBufferPointer { s in
      for i0 in stride(from: 0, to: n, by: 32) {
        for j0 in stride(from: 0, through: i0, by: 32) {
          for i in i0..<min(i0 + 32, n) {
            for j in j0..<min(j0 + 32, i) { s[j * n + i] = s[i * n + j] }
          }
        }
      }
      for i in 0..<n where dead[i] { s[i * n + i] = 1 }
    }
    if permutation.elementsEqual(0..<n) { return symmetric }
    var out = [Float](repeating: 0, count: n * n)  // (C, C)
    symmetric.withUnsafeBufferPointer { s in
      out.withUnsafeMutableBufferPointer { out in
        for a in 0..<n {
          let row = permutation[a] * n
          for b in 0..<n { out[a * n + b] = s[row + permutation[b]] }
        }
      }
    }
    return out
  }

  /// The permuted columns of `w` `(R, C)` as rows, in 64 × 64 tiles. // (C, R)
  static func transposed(_ w: Tensor, permutation: [Int]) -> [Float] {
    let (rows, columns) = (w.shape[0], w.shape[1])
    var out = [Float](repeating: 0, count: columns * rows)  // (C, R)
    w.withUnsafeBufferPointer { w in
      out.withUnsafeMutableBufferPointer { out in
        for p0 in stride(from: 0, to: columns, by: 64) {
          for r0 in stride(from: 0, to: rows, by: 64) {
            for p in p0..<min(p0 + 64, columns) {
              let c = permutation[p]
              for r in r0..<min(r0 + 64, rows) { out[p * rows + r] = w[r * columns + c] }
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

/// Grids of every row over each column range of a row-major `(R, C)` weight, group-major.
func fitRowMajorGrids(
  _ w: Tensor, ranges: [Range<Int>], options: GPTQOptions
) -> ([Float], [Int32]) {
  let (rows, columns) = (w.shape[0], w.shape[1])
  var scales = [Float](repeating: 0, count: ranges.count * rows)  // (G, R)
  var zeros = [Int32](repeating: 0, count: ranges.count * rows)  // (G, R)
  w.withUnsafeBufferPointer { w in
    for (g, range) in ranges.enumerated() {
      for r in 0..<rows {
        var (minimum, maximum): (Float, Float) = (0, 0)
        for c in range {
          minimum = min(minimum, w[r * columns + c])
          maximum = max(maximum, w[r * columns + c])
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
