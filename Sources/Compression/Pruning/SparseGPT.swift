import Dispatch
import TensorCore

// SparseGPT: Frantar & Alistarh, "SparseGPT: Massive Language Models Can Be Accurately Pruned in
// One-Shot", arXiv 2301.00774, Algorithm 1; reference code IST-DASLab/sparsegpt
// `sparsegpt.py::SparseGPT.fasterprune`. The OBS reconstruction of GPTQ with pruning in place of
// rounding: it shares GPTQ's Hessian prelude and factor (`HessianPrelude`,
// `GPTQInverseHessian.factor`), its transposed layout, its panel feedback and its lazy batches
// (`feedBackInPanel`, `LazyBatchSolver`). Deliberate differences from the reference are in
// docs/prune.md: exact counts where the reference prunes one weight more per block (`s <= thresh`),
// and ties broken by position.
// Legend: R = rows = out, C = columns = in, B = block width, p = a column (no permutation here).

/// The settings of one SparseGPT solve; the defaults are the reference's.
public struct SparseGPTOptions: Sendable, Equatable {
  public var pattern: SparsityPattern
  /// Columns per lazy batch and per adaptive mask selection (`blocksize`); rounded up to a multiple
  /// of M for N:M.
  public var blockSize: Int
  /// Relative dampening `λ = dampening · mean(diag H)` (`percdamp`), raised ×10 on failure up to
  /// `maximumDampening`, as GPTQ does.
  public var dampening: Double
  public var maximumDampening: Double

  public init(pattern: SparsityPattern, blockSize: Int = 128, dampening: Double = 0.01, maximumDampening: Double = 1) {
    self.pattern = pattern
    self.blockSize = blockSize
    self.dampening = dampening
    self.maximumDampening = maximumDampening
  }

  /// The dampening levels tried, as `GPTQOptions.dampeningSchedule`.
  var dampeningSchedule: [Double] { Compression.dampeningSchedule(from: dampening, maximum: maximumDampening) }

  /// The block width actually used: a multiple of M for N:M, so that no group straddles two blocks.
  var effectiveBlockSize: Int {
    guard case .nOfM(_, let m) = pattern else { return blockSize }
    return max(m, (blockSize + m - 1) / m * m)
  }
}

/// What a pruning solver produced.
public struct PruningResult: Sendable {
  /// The pruned weight `(out, in)`: exactly 0 where `mask` says pruned.
  public var weight: Tensor
  public var mask: SparsityMask
  /// The method's own loss (SparseGPT: the reference's `Σ (w − q)² / d² / 2`; sparse-reg:
  /// `tr(ΔHΔᵀ)`, the layer's output error over the calibration tokens; magnitude and Wanda, which
  /// minimize nothing: 0).
  public var loss: Double
  /// The relative dampening used, where one was needed.
  public var dampening: Double
  /// Method-specific figures for the report (iterations, objective before and after, …).
  public var figures: [String: Double]

  public init(weight: Tensor, mask: SparsityMask, loss: Double, dampening: Double = 0, figures: [String: Double] = [:]) {
    self.weight = weight
    self.mask = mask
    self.loss = loss
    self.dampening = dampening
    self.figures = figures
  }
}

/// Prunes a linear weight `(out, in)` with SparseGPT given its Hessian `H = 2/n Σ x xᵀ` `(in, in)`.
///
/// Steps, as the reference: dead columns (`H[i,i] == 0`) get `H[i,i] = 1` and a zero weight;
/// `H += λI`; U, the upper Cholesky factor of `H⁻¹`; then blocks of B columns. Unstructured: at a
/// block's first column the block's mask is chosen from the current weights by the OBS saliency
/// `w² / U[p,p]²` — the smallest `⌊R·i2·s⌋ − ⌊R·i1·s⌋` of the block (allocation `.layer`, rows
/// pooled) or `⌊i2·s⌋ − ⌊i1·s⌋` of each row (`.row`). N:M: at every M-th column, the `m − n`
/// smallest saliencies of the next M columns of each row. Then column by column a pruned weight
/// becomes 0 and its scaled error `w / U[p,p]` is fed back into the later columns.
/// - Throws: `.nonFiniteWeight`, `.nonFiniteHessian`, `.notPositiveDefinite(dampening:)`.
/// - Precondition: `weight` is `(out, in)`, `hessian` `(in, in)` and symmetric (its lower triangle
///   is read), `blockSize ≥ 1`; for N:M, `m` divides `in`.
public func sparseGPTPrune(weight: Tensor, hessian: Tensor, options: SparseGPTOptions) throws(GPTQError)
  -> PruningResult
{
  precondition(weight.rank == 2, "sparseGPTPrune: weight shape \(weight.shape) is not (out, in)")
  let (rows, columns) = (weight.shape[0], weight.shape[1])
  precondition(hessian.shape == [columns, columns], "sparseGPTPrune: hessian \(hessian.shape), weight \(weight.shape)")
  precondition(options.blockSize >= 1, "sparseGPTPrune: blockSize \(options.blockSize) < 1")
  if case .nOfM(_, let m) = options.pattern {
    precondition(columns % m == 0, "sparseGPTPrune: \(m) does not divide \(columns)")
  }
  if let (r, c) = firstNonFinite(weight) { throw .nonFiniteWeight(row: r, column: c) }
  if let (r, c) = firstNonFinite(hessian) { throw .nonFiniteHessian(row: r, column: c) }

  let prelude = HessianPrelude(hessian: hessian, actOrder: false, dampeningSchedule: options.dampeningSchedule)
  let factor = try GPTQInverseHessian.factor(prelude)
  var solver = SparseGPTSolver(
    rows: rows, columns: columns, options: options, uTransposed: factor.uTransposed,
    work: GPTQProblem.transposed(weight, permutation: prelude.permutation, zeroing: prelude.dead))
  solver.run()
  // Back to (R, C) with the solver's own tiled, parallel transposition; keep flags to a mask.
  let noneDead = [Bool](repeating: false, count: rows)
  func backToRows(_ byColumn: [Float]) -> [Float] {
    GPTQProblem.transposed(Tensor(shape: [columns, rows], scalars: byColumn), permutation: Array(0..<rows), zeroing: noneDead)
  }
  let scalars = backToRows(solver.work)
  let pruned = backToRows(solver.keep).map { $0 == 0 }
  return PruningResult(
    weight: Tensor(shape: [rows, columns], scalars: scalars),
    mask: SparsityMask(rows: rows, columns: columns, pruned: pruned), loss: solver.loss,
    dampening: factor.dampening, figures: ["dead_columns": Double(prelude.deadColumns)])
}

/// The block loop of SparseGPT on the transposed weight.
struct SparseGPTSolver: LazyBatchSolver {
  let rows: Int
  let columns: Int
  let options: SparseGPTOptions
  /// Uᵀ: row `j` is column `j` of U. // (C, C)
  let uTransposed: [Float]
  /// The weight, transposed: row `p` is column `p`; pruned entries end as 0. // (C, R)
  var work: [Float]
  /// 1 where kept, 0 where pruned, filled as masks are chosen. // (C, R)
  var keep: [Float]
  var loss: Double = 0

  init(rows: Int, columns: Int, options: SparseGPTOptions, uTransposed: [Float], work: [Float]) {
    self.rows = rows
    self.columns = columns
    self.options = options
    self.uTransposed = uTransposed
    self.work = work
    keep = [Float](repeating: 1, count: rows * columns)
  }

  /// `U[p, p]`.
  func diagonal(_ p: Int) -> Float { uTransposed[p * columns + p] }

  mutating func run() {
    // Panels of about 32 columns, a multiple of M so that N:M groups stay inside one panel.
    let m: Int = if case .nOfM(_, let m) = options.pattern { m } else { 1 }
    runLazyBatches(blockSize: options.effectiveBlockSize, panel: m * max(1, 32 / m))
  }

  mutating func beginBlock(start: Int, count: Int) {
    if case .unstructured(let sparsity, let allocation) = options.pattern {
      chooseBlockMask(start: start, count: count, sparsity: sparsity, allocation: allocation)
    }
  }

  /// The adaptive mask of one block (the reference's `mask1` for `prunen == 0`): saliency
  /// `w² / U[p,p]²` of the current weights, the smallest pruned, ties by row-major position.
  /// Scores are kept in the block's own `(B_k, R)` order, so building them and marking are
  /// contiguous passes; only the scores equal to the threshold are ordered row-major.
  mutating func chooseBlockMask(start: Int, count: Int, sparsity: Double, allocation: SparsityAllocation) {
    let rows = rows
    var scores = [Float](repeating: 0, count: count * rows)  // (B_k, R)
    for i in 0..<count {
      let d = diagonal(start + i)
      let scale = 1 / (d * d)
      let column = (start + i) * rows
      for r in 0..<rows {
        let w = work[column + r]
        scores[i * rows + r] = w * w * scale
      }
    }
    var scratch: [Float] = []
    switch allocation {
    case .layer:
      let k =
        SparsityPattern.prunedCount(prefix: rows * (start + count), sparsity: sparsity)
        - SparsityPattern.prunedCount(prefix: rows * start, sparsity: sparsity)
      guard k > 0 else { return }
      let (threshold, ties) = smallestThreshold(of: scores, count: k, scratch: &scratch)
      var tied: [Int] = []  // row-major positions r · B_k + i of scores equal to the threshold
      for i in 0..<count {
        for r in 0..<rows {
          let score = scores[i * rows + r]
          if score < threshold {
            keep[(start + i) * rows + r] = 0
          } else if score == threshold {
            tied.append(r * count + i)
          }
        }
      }
      for position in tied.sorted().prefix(ties) { keep[(start + position % count) * rows + position / count] = 0 }
    case .row:
      let k =
        SparsityPattern.prunedCount(prefix: start + count, sparsity: sparsity)
        - SparsityPattern.prunedCount(prefix: start, sparsity: sparsity)
      guard k > 0 else { return }
      var row = [Float](repeating: 0, count: count)
      var pruned = [Bool](repeating: false, count: count)
      for r in 0..<rows {
        for i in 0..<count {
          row[i] = scores[i * rows + r]
          pruned[i] = false
        }
        row.withUnsafeBufferPointer { markSmallest($0, range: 0..<count, count: k, into: &pruned, scratch: &scratch) }
        for i in 0..<count where pruned[i] { keep[(start + i) * rows + r] = 0 }
      }
    }
  }

  /// Prunes the `count` columns at `start` in place in `work`, row tiles in parallel, writing their
  /// scaled errors into `errors` from row `offset` on and adding their loss.
  mutating func solvePanel(start: Int, count: Int, errors: inout [Float], offset: Int) {
    let diagonalBlock = (0..<(count * count)).map {  // U[start..<start+count, start..<start+count] // (P, P)
      uTransposed[(start + $0 % count) * columns + start + $0 / count]
    }
    let tiles = (rows + rowTile - 1) / rowTile
    var partialLoss = [Double](repeating: 0, count: tiles)
    let rows = rows
    let pattern = options.pattern
    work.withUnsafeMutableBufferPointer { w in
      errors.withUnsafeMutableBufferPointer { e in
        keep.withUnsafeMutableBufferPointer { k in
          diagonalBlock.withUnsafeBufferPointer { u in
            partialLoss.withUnsafeMutableBufferPointer { losses in
              let kernel = SparseGPTPanelKernel(
                rows: rows, count: count, pattern: pattern, work: w.baseAddress! + start * rows,
                errors: e.baseAddress! + offset * rows, keep: k.baseAddress! + start * rows, u: u.baseAddress!,
                losses: losses.baseAddress!)
              DispatchQueue.concurrentPerform(iterations: tiles) { kernel.run(tile: $0) }
            }
          }
        }
      }
    }
    loss += partialLoss.reduce(0, +)
  }
}

/// The in-panel column loop of SparseGPT on one tile of rows (Algorithm 1's inner loop): choose
/// the N:M mask at each group's first column, zero the pruned weights, feed their scaled errors
/// to the panel's later columns. Pointers are to `(P, R)` panels.
struct SparseGPTPanelKernel: @unchecked Sendable {
  let rows: Int
  let count: Int
  let pattern: SparsityPattern
  let work: UnsafeMutablePointer<Float>
  let errors: UnsafeMutablePointer<Float>
  let keep: UnsafeMutablePointer<Float>
  /// `U[panel, panel]`, row-major. // (P, P)
  let u: UnsafePointer<Float>
  let losses: UnsafeMutablePointer<Double>

  func run(tile: Int) {
    let range = (tile * rowTile)..<Swift.min((tile + 1) * rowTile, rows)
    var loss = 0.0
    for i in 0..<count {
      if case .nOfM(let n, let m) = pattern, i % m == 0 { chooseGroupMask(at: i, n: n, m: m, rows: range) }
      let d = u[i * count + i]
      let column = work + i * rows
      let kept = keep + i * rows
      let error = errors + i * rows
      var sum: Float = 0
      for r in range {
        let w = column[r]
        let q = w * kept[r]
        let e = (w - q) / d
        error[r] = e
        column[r] = q
        sum += e * e
      }
      loss += Double(sum) / 2
      feedBackInPanel(error, from: i, rows: range, work: work, stride: rows, count: count, u: u)
    }
    losses[tile] = loss
  }

  /// Prunes the `m − n` smallest saliencies `w² / U[p,p]²` of columns `i..<i+m` in each row of the
  /// tile (the reference's `prunen`/`prunem` branch), ties to the lower column.
  private func chooseGroupMask(at i: Int, n: Int, m: Int, rows range: Range<Int>) {
    for r in range {
      for _ in 0..<(m - n) {
        var best = -1
        var bestScore = Float.infinity
        for j in i..<(i + m) where keep[j * rows + r] != 0 {
          let w = work[j * rows + r]
          let d = u[j * count + j]
          let score = (w * w) / (d * d)
          if best < 0 || score < bestScore {
            best = j
            bestScore = score
          }
        }
        keep[best * rows + r] = 0
      }
    }
  }
}
