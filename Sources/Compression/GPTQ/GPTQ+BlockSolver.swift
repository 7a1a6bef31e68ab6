import Dispatch
import TensorCore

// The lazy-batch loop of GPTQ (arXiv 2210.17323, Algorithm 1 lines 4–11): columns in blocks of
// B; inside a block every column is quantized and its error fed back to the block's remaining
// columns (Algorithm 1 line 8); after the block, one GEMM per later block applies the block's
// errors to it (line 10: W[:, i2:] −= E · U[i1:i2, i2:]).
//
// Layout: the weight is kept transposed and permuted, one tensor per block, so that a column of W
// is a contiguous vector over the rows R and the cross-block update is a plain sgemm
// `(B_m, R) −= U[k, m]ᵀ (B_m, B_k) · E (B_k, R)`. Line 8 itself is split the same way one level
// down: rank-1 feedback inside panels of 32 columns (the kernel), sgemm from a panel to the later
// panels of its block. Rows never interact inside a panel, so the kernel runs on row tiles that
// stay in cache, in parallel; tile boundaries do not depend on the thread count, so results are
// deterministic.
// Legend: R = rows, C = columns, B_k = width of block k, p = processing position.

/// Columns per panel of the in-block loop (see `quantizeBlockInPanels`).
private let panelWidth = 32

/// The mutable state of the block loop.
struct GPTQBlockSolver {
  let problem: GPTQProblem
  /// U, the upper Cholesky factor of H⁻¹ in processing order. // (C, C)
  let upper: [Float]
  /// Block-start values of every block (later blocks receive the cross-block updates). // (B_k, R)
  var blocks: [Tensor]
  /// Scales in group-creation order. // (G, R)
  var scales: [Float]
  /// Zero points in group-creation order. // (G, R)
  var zeros: [Int32]
  /// Codes in processing order, one column per row. // (C, R)
  var codesByPosition: [UInt8]
  /// The reference's `Losses` sum.
  var loss: Double = 0

  init(problem: GPTQProblem, upper: [Float]) {
    self.problem = problem
    self.upper = upper
    blocks = problem.blocks
    scales = problem.presetScales
    zeros = problem.presetZeros
    codesByPosition = [UInt8](repeating: 0, count: problem.columns * problem.rows)
  }

  mutating func run() {
    let (columns, blockSize) = (problem.columns, problem.options.blockSize)
    for k in blocks.indices {
      let start = k * blockSize
      let count = min(blockSize, columns - start)
      let groups = groupsOfBlock(start: start, count: count)
      var errors = Tensor(shape: [count, problem.rows])  // (B_k, R)
      quantizeBlockInPanels(block: k, start: start, count: count, groups: groups, errors: &errors)
      for m in (k + 1)..<max(blocks.count, k + 1) {
        let mStart = m * blockSize
        let mCount = min(blockSize, columns - mStart)
        let coupling = submatrix(rows: start..<(start + count), columns: mStart..<(mStart + mCount))
        gemm(coupling, errors, into: &blocks[m], alpha: -1, beta: 1, transposeA: true)
      }
      blocks[k] = Tensor(shape: [0, problem.rows])  // no longer needed
    }
  }

  /// `U[rows, columns]` as a tensor. // (|rows|, |columns|)
  func submatrix(rows: Range<Int>, columns: Range<Int>) -> Tensor {
    let n = problem.columns
    var out = [Float]()
    out.reserveCapacity(rows.count * columns.count)
    for i in rows { out.append(contentsOf: upper[(i * n + columns.lowerBound)..<(i * n + columns.upperBound)]) }
    return Tensor(shape: [rows.count, columns.count], scalars: out)
  }

  /// The group (row of `scales`) of each column of the block starting at `start`, fitting new
  /// groups at their first column as the reference does: from `W`, i.e. the block-start values
  /// for columns of this block and the current values of later blocks.
  mutating func groupsOfBlock(start: Int, count: Int) -> [Int] {
    let options = problem.options
    guard let groupSize = options.scheme.groupSize else { return Array(repeating: 0, count: count) }
    if options.staticGroups {
      return (start..<(start + count)).map {
        (options.actOrder ? problem.permutation[$0] : $0) / groupSize
      }
    }
    for p in start..<(start + count) where p % groupSize == 0 {
      fitGroup(positions: p..<min(p + groupSize, problem.columns))
    }
    return (start..<(start + count)).map { $0 / groupSize }
  }

  /// Appends the grids of every row over the columns at `positions` (current values).
  mutating func fitGroup(positions: Range<Int>) {
    let (rows, blockSize) = (problem.rows, problem.options.blockSize)
    var minimum = [Float](repeating: 0, count: rows)
    var maximum = [Float](repeating: 0, count: rows)
    minimum.withUnsafeMutableBufferPointer { minimum in
      maximum.withUnsafeMutableBufferPointer { maximum in
        for p in positions {
          blocks[p / blockSize].withUnsafeBufferPointer { block in
            let column = block.baseAddress! + (p % blockSize) * rows
            for r in 0..<rows {
              minimum[r] = min(minimum[r], column[r])
              maximum[r] = max(maximum[r], column[r])
            }
          }
        }
      }
    }
    let scheme = problem.options.scheme
    for r in 0..<rows {
      let grid = QuantizationGrid(
        minimum: minimum[r], maximum: maximum[r], bits: scheme.bits, symmetric: scheme.symmetric,
        minimumZero: problem.options.minimumZero)
      scales.append(grid.scale)
      zeros.append(grid.zero)
    }
  }

  /// Quantizes block `k` (columns `start..<start + count`) panel by panel: rank-1 feedback inside
  /// a panel of `panelWidth` columns (the kernel), one sgemm from each panel to each later panel
  /// of the block. The same updates as rank-1 feedback across the whole block, with most of the
  /// flops in sgemm. Writes the block's scaled errors into `errors`. // (B_k, R)
  mutating func quantizeBlockInPanels(
    block k: Int, start: Int, count: Int, groups: [Int], errors: inout Tensor
  ) {
    let rows = problem.rows
    let starts = Array(stride(from: 0, to: count, by: panelWidth))
    let blockStart = blocks[k].scalars  // (B_k, R), block-start values
    var panels = starts.map { s in  // each (P, R)
      let n = min(panelWidth, count - s)
      return Tensor(shape: [n, rows], scalars: Array(blockStart[(s * rows)..<((s + n) * rows)]))
    }
    for (index, s) in starts.enumerated() {
      let n = panels[index].shape[0]
      var panelErrors = Tensor(shape: [n, rows])  // (P, R)
      quantizeBlock(
        start: start + s, count: n, groups: Array(groups[s..<(s + n)]), work: &panels[index],
        errors: &panelErrors)
      for later in (index + 1)..<starts.count {
        let laterStart = start + starts[later]
        let coupling = submatrix(
          rows: (start + s)..<(start + s + n),
          columns: laterStart..<(laterStart + panels[later].shape[0]))
        gemm(coupling, panelErrors, into: &panels[later], alpha: -1, beta: 1, transposeA: true)
      }
      errors.withUnsafeMutableBufferPointer { e in
        panelErrors.withUnsafeBufferPointer { pe in
          (e.baseAddress! + s * rows).update(from: pe.baseAddress!, count: n * rows)
        }
      }
    }
  }

  /// Quantizes the `count` columns of the block at `start` in `work`, writing their codes, their
  /// scaled errors `(w − q) / d` into `errors` and adding their loss.
  mutating func quantizeBlock(
    start: Int, count: Int, groups: [Int], work: inout Tensor, errors: inout Tensor
  ) {
    let rows = problem.rows
    let diagonalBlock = submatrix(rows: start..<(start + count), columns: start..<(start + count))
    let zeroPoints = zeros.map(Float.init)
    let tiles = (rows + rowTile - 1) / rowTile
    var partialLoss = [Double](repeating: 0, count: tiles)
    let maxCode = Float(problem.options.scheme.maxCode)
    work.withUnsafeMutableBufferPointer { w in
      errors.withUnsafeMutableBufferPointer { e in
        diagonalBlock.withUnsafeBufferPointer { u in
          scales.withUnsafeBufferPointer { s in
            zeroPoints.withUnsafeBufferPointer { z in
              codesByPosition.withUnsafeMutableBufferPointer { codes in
                partialLoss.withUnsafeMutableBufferPointer { losses in
                  let kernel = GPTQBlockKernel(
                    rows: rows, count: count, maxCode: maxCode, work: w.baseAddress!,
                    errors: e.baseAddress!, u: u.baseAddress!, scales: s.baseAddress!,
                    zeros: z.baseAddress!, groups: groups,
                    codes: codes.baseAddress! + start * rows, losses: losses.baseAddress!)
                  DispatchQueue.concurrentPerform(iterations: tiles) { kernel.run(tile: $0) }
                }
              }
            }
          }
        }
      }
    }
    loss += partialLoss.reduce(0, +)
  }

  /// Codes `(R, C)` in original column order from the processing-order `(C, R)` buffer.
  func codesInOriginalOrder(permutation: [Int]) -> [UInt8] {
    let (rows, columns) = (problem.rows, problem.columns)
    var codes = [UInt8](repeating: 0, count: rows * columns)  // (R, C)
    codesByPosition.withUnsafeBufferPointer { source in
      codes.withUnsafeMutableBufferPointer { codes in
        for r0 in stride(from: 0, to: rows, by: 64) {
          for p in 0..<columns {
            let c = permutation[p]
            for r in r0..<min(r0 + 64, rows) { codes[r * columns + c] = source[p * rows + r] }
          }
        }
      }
    }
    return codes
  }
}
