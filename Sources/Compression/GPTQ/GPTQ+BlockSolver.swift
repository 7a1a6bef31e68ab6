import Dispatch
import TensorCore

// The lazy-batch loop of GPTQ (arXiv 2210.17323, Algorithm 1 lines 4–11): columns in blocks of
// B; inside a block every column is quantized and its error fed back to the block's remaining
// columns (Algorithm 1 line 8); after the block, one GEMM applies the block's errors to all later
// columns (line 10: W[:, i2:] −= E · U[i1:i2, i2:]).
//
// Layout: the weight is kept transposed and permuted in one buffer, so that a column of W is a
// contiguous vector over the rows R, a block is a run of rows, and the cross-block update is one
// sgemm on sub-matrices in place: `W[i2:, :] (C − i2, R) −= U[i1:i2, i2:]ᵀ · E (B_k, R)`, with
// `U[i1:i2, i2:]ᵀ = Uᵀ[i2:, i1:i2]` read where it lies in the stored Uᵀ. Line 8 itself is split
// the same way one level down: rank-1 feedback inside panels of 32 columns (the kernel), one
// sgemm from a panel to the rest of its block. Rows never interact inside a panel, so the kernel
// runs on row tiles that stay in cache, in parallel; tile boundaries do not depend on the thread
// count, so results are deterministic.
// Legend: R = rows, C = columns, B_k = width of block k, p = processing position.

/// Columns per panel of the in-block loop (see `quantizeBlockInPanels`).
private let panelWidth = 32

/// The mutable state of the block loop.
struct GPTQBlockSolver {
  let problem: GPTQProblem
  /// Uᵀ, U being the upper Cholesky factor of H⁻¹ in processing order: row `j` of this buffer
  /// is column `j` of U. // (C, C)
  let uTransposed: [Float]
  /// The weight, transposed and permuted: rows of later blocks receive the cross-block updates,
  /// rows of the current block the in-block ones. // (C, R)
  var work: [Float]
  /// Scales in group-creation order. // (G, R)
  var scales: [Float]
  /// Zero points in group-creation order, as Floats for the kernel (small integers, exact). // (G, R)
  var zeroPoints: [Float]
  /// Codes in processing order, one column per row. // (C, R)
  var codesByPosition: [UInt8]
  /// The reference's `Losses` sum.
  var loss: Double = 0
  /// 1 where a weight may be non-zero, 0 where it must stay exactly zero; transposed and permuted
  /// like `work`, nil when nothing is pruned. // (C, R)
  let keep: [Float]?

  /// `work` is the problem's transposed weight, handed over so that it is not copied.
  init(problem: GPTQProblem, work: [Float], uTransposed: [Float], keep: [Float]? = nil) {
    self.problem = problem
    self.uTransposed = uTransposed
    self.work = work
    self.keep = keep
    scales = problem.presetScales
    zeroPoints = problem.presetZeros.map(Float.init)
    codesByPosition = [UInt8](repeating: 0, count: problem.columns * problem.rows)
  }

  /// The zero points as the result stores them. // (G, R)
  var zeros: [Int32] { zeroPoints.map { Int32($0) } }

  mutating func run() {
    let (columns, rows, blockSize) = (problem.columns, problem.rows, problem.options.blockSize)
    var errors = [Float](repeating: 0, count: min(blockSize, columns) * rows)  // (B_k, R)
    for start in stride(from: 0, to: columns, by: blockSize) {
      let count = min(blockSize, columns - start)
      let groups = groupsOfBlock(start: start, count: count)
      quantizeBlockInPanels(start: start, count: count, groups: groups, errors: &errors)
      applyErrors(of: start..<(start + count), to: (start + count)..<columns, errorsFrom: start, errors: errors)
    }
  }

  /// The deferred error feedback of statements 8 and 10 (`applyErrorFeedback`) on `work`.
  mutating func applyErrors(of source: Range<Int>, to target: Range<Int>, errorsFrom: Int, errors: [Float]) {
    applyErrorFeedback(
      of: source, to: target, errorsFrom: errorsFrom, errors: errors, uTransposed: uTransposed, work: &work,
      rows: problem.rows, columns: problem.columns)
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
    let rows = problem.rows
    var minimum = [Float](repeating: 0, count: rows)
    var maximum = [Float](repeating: 0, count: rows)
    minimum.withUnsafeMutableBufferPointer { minimum in
      maximum.withUnsafeMutableBufferPointer { maximum in
        work.withUnsafeBufferPointer { work in
          for p in positions {
            let column = work.baseAddress! + p * rows
            for r in 0..<rows {
              let value = keep.map { column[r] * $0[p * rows + r] } ?? column[r]  // pruned: 0
              minimum[r] = min(minimum[r], value)
              maximum[r] = max(maximum[r], value)
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
      zeroPoints.append(Float(grid.zero))
    }
  }

  /// Quantizes the block of columns `start..<start + count` panel by panel: rank-1 feedback inside
  /// a panel of `panelWidth` columns (the kernel), one sgemm from each panel to the rest of the
  /// block. The same updates as rank-1 feedback across the whole block, with most of the flops in
  /// sgemm. Writes the block's scaled errors into `errors`. // (B_k, R)
  mutating func quantizeBlockInPanels(start: Int, count: Int, groups: [Int], errors: inout [Float]) {
    for s in stride(from: 0, to: count, by: panelWidth) {
      let n = min(panelWidth, count - s)
      quantizePanel(start: start + s, count: n, groups: Array(groups[s..<(s + n)]), errors: &errors, offset: s)
      applyErrors(
        of: (start + s)..<(start + s + n), to: (start + s + n)..<(start + count), errorsFrom: start, errors: errors)
    }
  }

  /// Quantizes the `count` columns at `start` in place in `work`, writing their codes, their scaled
  /// errors `(w − q) / d` into `errors` from row `offset` on and adding their loss.
  mutating func quantizePanel(start: Int, count: Int, groups: [Int], errors: inout [Float], offset: Int) {
    let (rows, columns) = (problem.rows, problem.columns)
    let diagonalBlock = (0..<(count * count)).map {  // U[start..<start+count, start..<start+count] // (P, P)
      uTransposed[(start + $0 % count) * columns + start + $0 / count]
    }
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
                  withOptionalBuffer(keep) { keep in
                    let kernel = GPTQBlockKernel(
                      rows: rows, count: count, maxCode: maxCode, work: w.baseAddress! + start * rows,
                      errors: e.baseAddress! + offset * rows, u: u.baseAddress!, scales: s.baseAddress!,
                      zeros: z.baseAddress!, groups: groups,
                      codes: codes.baseAddress! + start * rows, losses: losses.baseAddress!,
                      keep: keep.map { $0 + start * rows })
                    DispatchQueue.concurrentPerform(iterations: tiles) { kernel.run(tile: $0) }
                  }
                }
              }
            }
          }
        }
      }
    }
    loss += partialLoss.reduce(0, +)
  }

  /// Codes `(R, C)` in original column order from the processing-order `(C, R)` buffer: in 8 × 8
  /// blocks of bytes moved as words when nothing is permuted and both sides are multiples of 8,
  /// else byte by byte in 64 × 64 tiles.
  func codesInOriginalOrder(permutation: [Int]) -> [UInt8] {
    let (rows, columns) = (problem.rows, problem.columns)
    var codes = [UInt8](repeating: 0, count: rows * columns)  // (R, C)
    codesByPosition.withUnsafeBufferPointer { source in
      codes.withUnsafeMutableBufferPointer { codes in
        if !problem.options.actOrder && rows % 8 == 0 && columns % 8 == 0 {
          for r00 in stride(from: 0, to: rows, by: 64) {
            for p00 in stride(from: 0, to: columns, by: 64) {  // a 64 × 64 tile stays in L1
              for r0 in stride(from: r00, to: min(r00 + 64, rows), by: 8) {
                for p0 in stride(from: p00, to: min(p00 + 64, columns), by: 8) {
                  transposeBytes8x8(
                    from: UnsafeRawPointer(source.baseAddress! + p0 * rows + r0), stride: rows,
                    to: UnsafeMutableRawPointer(codes.baseAddress! + r0 * columns + p0), stride: columns)
                }
              }
            }
          }
          return
        }
        for r0 in stride(from: 0, to: rows, by: 64) {
          for p0 in stride(from: 0, to: columns, by: 64) {
            for r in r0..<min(r0 + 64, rows) {
              for p in p0..<min(p0 + 64, columns) { codes[r * columns + permutation[p]] = source[p * rows + r] }
            }
          }
        }
      }
    }
    return codes
  }
}

/// Calls `body` with the base address of `array`, or nil.
func withOptionalBuffer<R>(_ array: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
  guard let array else { return body(nil) }
  return array.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// An OBS column loop that replaces GPTQ's rounding with another rule (SparseGPT's pruning,
/// binarization's signs) on the transposed weight, run in GPTQ's lazy batches.
protocol LazyBatchSolver {
  var rows: Int { get }
  var columns: Int { get }
  /// Uᵀ: row `j` is column `j` of U. // (C, C)
  var uTransposed: [Float] { get }
  /// The weight, transposed; row `p` is column `p`. // (C, R)
  var work: [Float] { get set }
  /// Called at each block's first column (SparseGPT chooses its mask there).
  mutating func beginBlock(start: Int, count: Int)
  /// Replaces the `count` columns at `start` in place, feeding each one's scaled error
  /// `(w − q) / U[p,p]` to the panel's later columns, and writes those errors into `errors` from
  /// row `offset` on.
  mutating func solvePanel(start: Int, count: Int, errors: inout [Float], offset: Int)
}

extension LazyBatchSolver {
  mutating func beginBlock(start: Int, count: Int) {}

  /// Blocks of `blockSize` columns, each in panels of `panel`: a panel is solved, its errors go to
  /// the rest of its block by one sgemm, and a block's to every later column by another.
  mutating func runLazyBatches(blockSize: Int, panel: Int) {
    var errors = [Float](repeating: 0, count: min(blockSize, columns) * rows)  // (B_k, R)
    for start in stride(from: 0, to: columns, by: blockSize) {
      let count = min(blockSize, columns - start)
      beginBlock(start: start, count: count)
      for s in stride(from: 0, to: count, by: panel) {
        let n = min(panel, count - s)
        solvePanel(start: start + s, count: n, errors: &errors, offset: s)
        applyErrorFeedback(
          of: (start + s)..<(start + s + n), to: (start + s + n)..<(start + count), errorsFrom: start, errors: errors,
          uTransposed: uTransposed, work: &work, rows: rows, columns: columns)
      }
      applyErrorFeedback(
        of: start..<(start + count), to: (start + count)..<columns, errorsFrom: start, errors: errors,
        uTransposed: uTransposed, work: &work, rows: rows, columns: columns)
    }
  }
}

/// `W[target, :] −= U[source, target]ᵀ · E[source]` in one sgemm on the transposed weight `work`
/// `(C, R)`, the errors of position `p` being row `p − errorsFrom` of `errors`: the deferred update
/// of statement 10 (a block to all later columns) and of statement 8 split by panels (a panel to
/// the rest of its block). Shared by the GPTQ block loop and `LazyBatchSolver`s.
func applyErrorFeedback(
  of source: Range<Int>, to target: Range<Int>, errorsFrom: Int, errors: [Float], uTransposed: [Float],
  work: inout [Float], rows: Int, columns: Int
) {
  guard !target.isEmpty else { return }
  uTransposed.withUnsafeBufferPointer { ut in
    errors.withUnsafeBufferPointer { e in
      work.withUnsafeMutableBufferPointer { w in
        gemm(
          m: target.count, n: rows, k: source.count, alpha: -1,
          a: ut.baseAddress! + target.lowerBound * columns + source.lowerBound, lda: columns, transposeA: false,
          b: e.baseAddress! + (source.lowerBound - errorsFrom) * rows, ldb: rows, beta: 1,
          c: w.baseAddress! + target.lowerBound * rows, ldc: rows)
      }
    }
  }
}

/// Transposes an 8 × 8 block of bytes: word `k` (8 bytes at `source + k · sourceStride`) becomes
/// byte `k` of every destination word. Three rounds of masked swaps between word pairs 1, 2 and 4
/// apart exchange bytes, byte pairs and byte quads; word `i`'s byte `j` ends in word `j`'s byte `i`.
@inline(__always)
func transposeBytes8x8(
  from source: UnsafeRawPointer, stride sourceStride: Int,
  to destination: UnsafeMutableRawPointer, stride destinationStride: Int
) {
  func load(_ k: Int) -> UInt64 {
    UInt64(littleEndian: source.loadUnaligned(fromByteOffset: k * sourceStride, as: UInt64.self))
  }
  var (w0, w1, w2, w3, w4, w5, w6, w7) = (load(0), load(1), load(2), load(3), load(4), load(5), load(6), load(7))
  func exchange(_ a: inout UInt64, _ b: inout UInt64, shift: UInt64, mask: UInt64) {
    let t = ((a >> shift) ^ b) & mask
    b ^= t
    a ^= t << shift
  }
  let (bytes, pairs, quads): (UInt64, UInt64, UInt64) = (0x00FF_00FF_00FF_00FF, 0x0000_FFFF_0000_FFFF, 0x0000_0000_FFFF_FFFF)
  exchange(&w0, &w1, shift: 8, mask: bytes)
  exchange(&w2, &w3, shift: 8, mask: bytes)
  exchange(&w4, &w5, shift: 8, mask: bytes)
  exchange(&w6, &w7, shift: 8, mask: bytes)
  exchange(&w0, &w2, shift: 16, mask: pairs)
  exchange(&w1, &w3, shift: 16, mask: pairs)
  exchange(&w4, &w6, shift: 16, mask: pairs)
  exchange(&w5, &w7, shift: 16, mask: pairs)
  exchange(&w0, &w4, shift: 32, mask: quads)
  exchange(&w1, &w5, shift: 32, mask: quads)
  exchange(&w2, &w6, shift: 32, mask: quads)
  exchange(&w3, &w7, shift: 32, mask: quads)
  func store(_ j: Int, _ word: UInt64) {
    destination.storeBytes(of: word.littleEndian, toByteOffset: j * destinationStride, as: UInt64.self)
  }
  store(0, w0)
  store(1, w1)
  store(2, w2)
  store(3, w3)
  store(4, w4)
  store(5, w5)
  store(6, w6)
  store(7, w7)
}
