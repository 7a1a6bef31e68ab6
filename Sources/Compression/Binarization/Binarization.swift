import Dispatch
import Inference
import TensorCore

// Binarization of one linear, fitted after training (docs/binarize.md):
//
// - XNOR scaling (Rastegari et al. 2016; PB-LLM `low_quant.py` "xnor"; passes.md §6.2):
//   W_b = α·sign(W − μ) + μ, μ the mean and α = mean|W − μ|, the L2-optimal scale for those signs;
//   per output row, or one pair for the matrix (BiPFT's layer-wise `BwnQuantizer`, arXiv 2312.08937,
//   with the mean removed before the scale is taken).
// - Salient weights (PB-LLM, arXiv 2310.00034, `gptq_pb`): a fraction of the weights, those with the
//   largest OBS saliency w² / U[c,c]² (U the upper Cholesky factor of H⁻¹; w² without data), kept on
//   an 8-bit asymmetric min–max grid per row; the signs' α and μ are taken over the other weights.
// - Error feedback (BiLLM arXiv 2402.04291 and PB-LLM's GPTQ loop): the weights are binarized column
//   by column and each column's scaled error (w − q)/U[c,c] is fed into the later columns through
//   U, exactly as GPTQ does (the shared prelude, factor, panel and sgemm updates). α, μ and the
//   salient grids are fixed before the loop, from the original weights, as GPTQ fixes per-row grids.
// - The residual (`fitBinarizationResidual`): R = W − W_b estimated by B·A of rank k, the truncated
//   SVD of R, or with data the whitened one that minimizes ‖(R − BA)X‖ — the weight-space
//   counterpart of BiPFT's low-rank estimators of the binarization residual.
//
// Stored values are what the solver uses: α, μ and the salient grids are rounded to F16 first.
// Legend: R = rows = out, C = columns = in, p = a column, s = ±1.

/// Scales of the signs: one (α, μ) per output row, or one for the matrix.
public enum BinaryScale: String, Sendable, CaseIterable {
  case row
  case matrix
}

/// The settings of one binarization.
public struct BinarizationOptions: Sendable, Equatable {
  public var scale: BinaryScale
  /// The fraction of weights kept at 8 bits, `0 ≤ salient < 1`.
  public var salientFraction: Double
  /// GPTQ-style error feedback through U (needs a Hessian).
  public var feedback: Bool
  /// Columns per lazy batch of the feedback loop.
  public var blockSize: Int
  /// Relative dampening of the Hessian diagonal, raised ×10 on failure up to `maximumDampening`.
  public var dampening: Double
  public var maximumDampening: Double

  public init(
    scale: BinaryScale = .row, salientFraction: Double = 0, feedback: Bool = false, blockSize: Int = 128,
    dampening: Double = 0.01, maximumDampening: Double = 1
  ) {
    self.scale = scale
    self.salientFraction = salientFraction
    self.feedback = feedback
    self.blockSize = blockSize
    self.dampening = dampening
    self.maximumDampening = maximumDampening
  }

  var dampeningSchedule: [Double] { Compression.dampeningSchedule(from: dampening, maximum: maximumDampening) }
}

/// What `binarize` produced.
public struct BinarizationResult: Sendable {
  /// Signs, scales and salient weights; no residual yet.
  public var matrix: BinaryLinear
  /// With feedback, GPTQ's Σ (w − q)² / U[p,p]² / 2; without, Σ (w − q)², the error XNOR scaling
  /// minimizes.
  public var loss: Double
  /// The relative dampening used (0 when no Hessian was factored).
  public var dampening: Double

  public init(matrix: BinaryLinear, loss: Double, dampening: Double) {
    self.matrix = matrix
    self.loss = loss
    self.dampening = dampening
  }
}

/// Binarizes a linear weight `(out, in)`. `hessian` is H = (2/n)·Σ xxᵀ `(in, in)`, or nil without
/// data (the saliency is then w², and feedback is not possible).
/// - Throws: `.nonFiniteWeight`, `.nonFiniteHessian`, `.notPositiveDefinite(dampening:)`.
/// - Precondition: `hessian` is given when `options.feedback`; `0 ≤ salientFraction < 1`.
public func binarize(weight: Tensor, hessian: Tensor?, options: BinarizationOptions) throws(GPTQError)
  -> BinarizationResult
{
  precondition(weight.rank == 2, "binarize: weight \(weight.shape) is not (out, in)")
  let (rows, columns) = (weight.shape[0], weight.shape[1])
  precondition(hessian == nil || hessian!.shape == [columns, columns], "binarize: hessian \(hessian!.shape), weight \(weight.shape)")
  precondition(!options.feedback || hessian != nil, "binarize: feedback needs a Hessian")
  precondition(options.salientFraction >= 0 && options.salientFraction < 1, "binarize: salient \(options.salientFraction)")
  if let (r, c) = firstNonFinite(weight) { throw .nonFiniteWeight(row: r, column: c) }
  if let hessian, let (r, c) = firstNonFinite(hessian) { throw .nonFiniteHessian(row: r, column: c) }

  var factor: GPTQInverseHessian?
  var prelude: HessianPrelude?
  if let hessian, options.feedback || options.salientFraction > 0 {
    prelude = HessianPrelude(hessian: hessian, actOrder: false, dampeningSchedule: options.dampeningSchedule)
    factor = try GPTQInverseHessian.factor(prelude!)
  }
  let salient = options.salientFraction > 0 ? chooseSalient(weight, uTransposed: factor?.uTransposed, fraction: options.salientFraction) : nil
  let grid = BinaryGrid(weight, salient: salient, scale: options.scale)

  var positive = [Bool](repeating: false, count: rows * columns)  // (R, C)
  var codes = [UInt8](repeating: 0, count: salient == nil ? 0 : rows * columns)  // (R, C)
  var loss = 0.0
  if options.feedback, let factor, let prelude {
    var solver = BinarizationSolver(
      rows: rows, columns: columns, grid: grid, salient: salient, uTransposed: factor.uTransposed,
      work: GPTQProblem.transposed(weight, permutation: prelude.permutation, zeroing: prelude.dead))
    solver.runLazyBatches(blockSize: options.blockSize, panel: 32)
    loss = solver.loss
    for p in 0..<columns {
      for r in 0..<rows {
        positive[r * columns + p] = solver.positive[p * rows + r]
        if salient != nil { codes[r * columns + p] = solver.codes[p * rows + r] }
      }
    }
  } else {
    weight.withUnsafeBufferPointer { w in
      for r in 0..<rows {
        for c in 0..<columns {
          let i = r * columns + c
          let (q, sign, code) = grid.quantize(w[i], row: r, salient: salient?[i] ?? false)
          positive[i] = sign
          if salient != nil { codes[i] = code }
          loss += Double((w[i] - q) * (w[i] - q))
        }
      }
    }
  }
  let matrix = BinaryLinear(
    out: rows, inputs: columns, bits: BinaryLinear.pack(positive, rows: rows, columns: columns),
    alpha: grid.alpha, mu: grid.mu, salient: salient.map { grid.salientWeights($0, codes: codes, columns: columns) })
  return BinarizationResult(matrix: matrix, loss: loss, dampening: factor?.dampening ?? 0)
}

/// Adds the low-rank estimate of the binarization residual R = W − W_b to `binarized`: the rank-`rank`
/// B·A that minimizes ‖R − BA‖_F (no `hessian`) or ‖(R − BA)X‖_F (the whitened SVD,
/// `lowRankFactorize`), its factors rounded to F16 as stored. Returns the matrix and the discarded
/// energy of the fit. `rank` 0 returns `binarized` unchanged.
/// - Precondition: `rank·(in + out) < in·out` when `rank > 0`.
public func fitBinarizationResidual(
  weight: Tensor, binarized: BinaryLinear, hessian: Tensor?, rank: Int, dampening: Double = 0.01
) throws(LinearAlgebraError) -> (matrix: BinaryLinear, discardedEnergy: Double) {
  guard rank > 0 else { return (binarized, 0) }
  precondition(
    lowRankSaves(rank: rank, out: binarized.out, in: binarized.inputs),
    "fitBinarizationResidual: rank \(rank) does not save over (\(binarized.out), \(binarized.inputs))")
  let residual = weight - binarized.dense()
  let objective: LowRankObjective = hessian.map { .output(hessian: $0) } ?? .weight
  let fit = try lowRankFactorize(weight: residual, objective: objective, rule: .rank(rank), dampening: dampening)
  let factors = fit.factors!
  let matrix = BinaryLinear(
    out: binarized.out, inputs: binarized.inputs, bits: binarized.bits, alpha: binarized.alpha, mu: binarized.mu,
    salient: binarized.salient, residualA: factors.a.rounded(to: .f16), residualB: factors.b.rounded(to: .f16))
  return (matrix, fit.discardedEnergy)
}

/// The salient weights: the `fraction` of all weights with the largest saliency w² / U[c,c]²
/// (w² without U), ties to the earlier position (row-major). `(R, C)` flags.
func chooseSalient(_ weight: Tensor, uTransposed: [Float]?, fraction: Double) -> [Bool] {
  let (rows, columns) = (weight.shape[0], weight.shape[1])
  var negated = Tensor(shape: [rows, columns])  // smallest = most salient
  weight.withUnsafeBufferPointer { w in
    negated.withUnsafeMutableBufferPointer { s in
      for r in 0..<rows {
        for c in 0..<columns {
          let d = uTransposed.map { $0[c * columns + c] } ?? 1
          let x = w[r * columns + c]
          s[r * columns + c] = -(x * x) / (d * d)
        }
      }
    }
  }
  return selectMask(scores: negated, pattern: .unstructured(sparsity: fraction, allocation: .layer)).pruned
}

/// The grids fixed before any weight is binarized: α and μ of the signs (over the non-salient
/// weights) and each row's 8-bit grid of its salient weights, all rounded to F16.
struct BinaryGrid: Sendable {
  let alpha: [Float]
  let mu: [Float]
  /// The salient grid per row: value = minimum + code·step. // (R)
  let step: [Float]
  let minimum: [Float]

  init(_ weight: Tensor, salient: [Bool]?, scale: BinaryScale) {
    let (rows, columns) = (weight.shape[0], weight.shape[1])
    let w = weight.scalars
    func isSalient(_ i: Int) -> Bool { salient?[i] ?? false }
    // α = mean|w − μ| over a set, μ its mean, in Double.
    func fit(_ indices: [Int]) -> (Float, Float) {
      guard !indices.isEmpty else { return (0, 0) }
      let mean = indices.reduce(0.0) { $0 + Double(w[$1]) } / Double(indices.count)
      let m = Float(mean).roundedToHalf
      let spread = indices.reduce(0.0) { $0 + abs(Double(w[$1]) - Double(m)) } / Double(indices.count)
      return (Float(spread).roundedToHalf, m)
    }
    switch scale {
    case .row:
      let pairs = (0..<rows).map { r in fit((r * columns..<(r + 1) * columns).filter { !isSalient($0) }) }
      alpha = pairs.map(\.0)
      mu = pairs.map(\.1)
    case .matrix:
      let (a, m) = fit((0..<(rows * columns)).filter { !isSalient($0) })
      alpha = [a]
      mu = [m]
    }
    var step = [Float](repeating: 0, count: salient == nil ? 0 : rows)
    var minimum = step
    if salient != nil {
      for r in 0..<rows {
        let values = (r * columns..<(r + 1) * columns).filter(isSalient).map { w[$0] }
        guard let low = values.min(), let high = values.max() else { continue }
        minimum[r] = low.roundedToHalf
        step[r] = ((high - minimum[r]) / 255).roundedToHalf
      }
    }
    self.step = step
    self.minimum = minimum
  }

  /// The stored value of `w` in row `r`, its sign flag (w ≥ μ; false for a salient weight, whose
  /// bit is unused) and, when salient, its 8-bit code.
  /// The arithmetic is `BinaryLinear.decodeRows`'s, so the value is what a loader decodes.
  @inline(__always)
  func quantize(_ w: Float, row r: Int, salient: Bool) -> (value: Float, positive: Bool, code: UInt8) {
    if salient {
      let (d, low) = (step[r], minimum[r])
      let code = d > 0 ? UInt8(max(0, min(255, ((w - low) / d).rounded()))) : 0
      return (low + Float(code) * d, false, code)
    }
    let (a, m) = alpha.count == 1 ? (alpha[0], mu[0]) : (alpha[r], mu[r])
    let positive = w >= m
    return (positive ? m + a : m - a, positive, 0)
  }

  /// The CSR form of the salient weights and their codes (`(R, C)` flags and codes).
  func salientWeights(_ salient: [Bool], codes: [UInt8], columns: Int) -> BinaryLinear.Salient {
    let rows = salient.count / max(columns, 1)
    var offsets: [Int32] = [0]
    var positions: [Int32] = []
    var kept: [UInt8] = []
    for r in 0..<rows {
      for c in 0..<columns where salient[r * columns + c] {
        positions.append(Int32(c))
        kept.append(codes[r * columns + c])
      }
      offsets.append(Int32(positions.count))
    }
    return BinaryLinear.Salient(rowOffsets: offsets, columns: positions, codes: kept, scale: step, minimum: minimum)
  }
}

extension Float {
  /// The nearest F16 value, as a Float.
  var roundedToHalf: Float { Float(float16Bits: float16Bits) }
}

/// The column loop with error feedback on the transposed weight, in GPTQ's lazy batches.
struct BinarizationSolver: LazyBatchSolver {
  let rows: Int
  let columns: Int
  let grid: BinaryGrid
  let salient: [Bool]?  // (R, C)
  /// Uᵀ: row `j` is column `j` of U. // (C, C)
  let uTransposed: [Float]
  /// The weight, transposed; ends as the binarized values. // (C, R)
  var work: [Float]
  var positive: [Bool]  // (C, R)
  var codes: [UInt8]  // (C, R)
  var loss: Double = 0

  init(rows: Int, columns: Int, grid: BinaryGrid, salient: [Bool]?, uTransposed: [Float], work: [Float]) {
    self.rows = rows
    self.columns = columns
    self.grid = grid
    self.salient = salient
    self.uTransposed = uTransposed
    self.work = work
    positive = [Bool](repeating: false, count: rows * columns)
    codes = [UInt8](repeating: 0, count: salient == nil ? 0 : rows * columns)
  }

  /// Binarizes the `count` columns at `start` in place, row tiles in parallel, writing their scaled
  /// errors into `errors` from row `offset` on.
  mutating func solvePanel(start: Int, count: Int, errors: inout [Float], offset: Int) {
    let (rows, columns, grid, salient) = (rows, columns, grid, salient)
    let u = (0..<(count * count)).map {  // U[start..<start+count, start..<start+count] // (P, P)
      uTransposed[(start + $0 % count) * columns + start + $0 / count]
    }
    let tiles = (rows + rowTile - 1) / rowTile
    var partialLoss = [Double](repeating: 0, count: tiles)
    work.withUnsafeMutableBufferPointer { w in
      errors.withUnsafeMutableBufferPointer { e in
        positive.withUnsafeMutableBufferPointer { flags in
          codes.withUnsafeMutableBufferPointer { codes in
            u.withUnsafeBufferPointer { u in
              partialLoss.withUnsafeMutableBufferPointer { losses in
                let pointers = SharedPanel(
                  work: w.baseAddress! + start * rows, errors: e.baseAddress! + offset * rows,
                  positive: flags.baseAddress! + start * rows, codes: salient == nil ? nil : codes.baseAddress! + start * rows,  // an empty array may have a base
                  u: u.baseAddress!, losses: losses.baseAddress!)
                DispatchQueue.concurrentPerform(iterations: tiles) { tile in
                  let range = (tile * rowTile)..<min((tile + 1) * rowTile, rows)
                  var loss = 0.0
                  for i in 0..<count {
                    let d = pointers.u[i * count + i]
                    let column = pointers.work + i * rows
                    let error = pointers.errors + i * rows
                    for r in range {
                      let w = column[r]
                      let isSalient = salient?[r * columns + start + i] ?? false
                      let (q, sign, code) = grid.quantize(w, row: r, salient: isSalient)
                      pointers.positive[i * rows + r] = sign
                      if let codes = pointers.codes { codes[i * rows + r] = code }
                      let scaled = (w - q) / d
                      error[r] = scaled
                      column[r] = q
                      loss += Double(scaled * scaled) / 2
                    }
                    feedBackInPanel(error, from: i, rows: range, work: pointers.work, stride: rows, count: count, u: pointers.u)
                  }
                  pointers.losses[tile] = loss
                }
              }
            }
          }
        }
      }
    }
    loss += partialLoss.reduce(0, +)
  }
}

/// The panel's buffers for the row tiles; each tile touches only its own rows.
private struct SharedPanel: @unchecked Sendable {
  let work: UnsafeMutablePointer<Float>
  let errors: UnsafeMutablePointer<Float>
  let positive: UnsafeMutablePointer<Bool>
  let codes: UnsafeMutablePointer<UInt8>?
  let u: UnsafePointer<Float>
  let losses: UnsafeMutablePointer<Double>
}
