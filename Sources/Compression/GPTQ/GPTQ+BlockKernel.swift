// The in-block column loop of GPTQ on one tile of rows (arXiv 2210.17323, Algorithm 1 lines
// 5–8): quantize column i, record the scaled error e = (w − q) / d with d = U[i, i], and subtract
// e · U[i, j] from the block's later columns j. Rows are independent here, so a tile is a
// self-contained piece of work; every inner loop runs over contiguous rows and vectorizes.
// Legend: R = rows, B_k = block width; pointers are to `(B_k, R)` row-major blocks.

/// Rows per tile of the panel loop: a tile of 32 columns × 256 rows is 32 KiB.
let rowTile = 256

/// Pointers to one block's buffers; `run(rows:)` touches only the given rows of each.
struct GPTQBlockKernel: @unchecked Sendable {
  let rows: Int
  /// Columns in the block.
  let count: Int
  /// `2^bits − 1` as a Float.
  let maxCode: Float
  /// The block's columns, updated in place. // (B_k, R)
  let work: UnsafeMutablePointer<Float>
  /// The block's scaled errors `(w − q) / d`. // (B_k, R)
  let errors: UnsafeMutablePointer<Float>
  /// `U[block, block]`, row-major. // (B_k, B_k)
  let u: UnsafePointer<Float>
  /// Scales, group-major. // (G, R)
  let scales: UnsafePointer<Float>
  /// Zero points as Floats, group-major. // (G, R)
  let zeros: UnsafePointer<Float>
  /// The group of each column of the block. // (B_k)
  let groups: [Int]
  /// Codes of the block's first column in the processing-order buffer. // (B_k, R)
  let codes: UnsafeMutablePointer<UInt8>
  /// The loss of each tile of `rowTile` rows. // (tiles)
  let losses: UnsafeMutablePointer<Double>
  /// 1 where a weight may be non-zero, 0 where an earlier pass pruned it (quantized as the exact
  /// 0 of the grid, its current value fed back as error); nil when nothing is pruned. // (B_k, R)
  let keep: UnsafePointer<Float>?

  /// Runs tile `tile` (rows `[tile · rowTile, (tile + 1) · rowTile)`) and stores its loss.
  func run(tile: Int) {
    losses[tile] = run(rows: (tile * rowTile)..<Swift.min((tile + 1) * rowTile, rows))
  }

  /// Runs the block's column loop on `rows`; returns their `Σ (w − q)² / d² / 2`.
  func run(rows range: Range<Int>) -> Double {
    var loss = 0.0
    for i in 0..<count {
      let error = errors + i * rows
      quantize(column: i, rows: range)
      loss += Double(sumOfSquares(error, rows: range)) / 2
      feedBack(error, from: i, rows: range)
    }
    return loss
  }

  /// Quantizes column `i` on `rows` in place: `k = clamp(round(w / s) + z, 0, maxCode)`,
  /// `q = s · (k − z)`, code `k`, error `(w − q) / d`. Rounding is `roundedToNearestEven` and the
  /// code is the low byte of `k + 1.5 · 2²³` (exact for `k` in `0...255`): no library call and no
  /// checked conversion, so the loop vectorizes on baseline x86-64.
  private func quantize(column i: Int, rows range: Range<Int>) {
    let d = u[i * count + i]
    let column = work + i * rows
    let scale = scales + groups[i] * rows
    let zero = zeros + groups[i] * rows
    let error = errors + i * rows
    let code = codes + i * rows
    if let keep = keep.map({ $0 + i * rows }) {
      for r in range {
        let w = column[r]
        let z = zero[r]
        let k = Swift.min(Swift.max(roundedToNearestEven(w * keep[r] / scale[r]) + z, 0), maxCode)
        code[r] = UInt8(truncatingIfNeeded: (k + roundingShift).bitPattern)
        error[r] = (w - scale[r] * (k - z)) / d
      }
      return
    }
    for r in range {
      let w = column[r]
      let z = zero[r]
      let k = Swift.min(Swift.max(roundedToNearestEven(w / scale[r]) + z, 0), maxCode)
      code[r] = UInt8(truncatingIfNeeded: (k + roundingShift).bitPattern)
      error[r] = (w - scale[r] * (k - z)) / d
    }
  }

  private func feedBack(_ error: UnsafeMutablePointer<Float>, from i: Int, rows range: Range<Int>) {
    feedBackInPanel(error, from: i, rows: range, work: work, stride: rows, count: count, u: u)
  }
}

/// `work[j, rows] −= error[rows] · U[i, j]` for the panel's columns `i < j < count`, four columns
/// per pass over the error so that each error value is loaded once per four updates: statement 8
/// of GPTQ's Algorithm 1 inside a panel, shared by the GPTQ and SparseGPT kernels. `work` is the
/// panel `(count, stride)`, `u` the panel's block of U `(count, count)`.
@inline(__always)
func feedBackInPanel(
  _ error: UnsafePointer<Float>, from i: Int, rows range: Range<Int>, work: UnsafeMutablePointer<Float>,
  stride rows: Int, count: Int, u: UnsafePointer<Float>
) {
  var j = i + 1
  while j + 4 <= count {
    let (f0, f1, f2, f3) = (u[i * count + j], u[i * count + j + 1], u[i * count + j + 2], u[i * count + j + 3])
    let (t0, t1, t2, t3) = (work + j * rows, work + (j + 1) * rows, work + (j + 2) * rows, work + (j + 3) * rows)
    for r in range {
      let e = error[r]
      t0[r] -= e * f0
      t1[r] -= e * f1
      t2[r] -= e * f2
      t3[r] -= e * f3
    }
    j += 4
  }
  while j < count {
    let factor = u[i * count + j]
    let target = work + j * rows
    for r in range { target[r] -= error[r] * factor }
    j += 1
  }
}

/// `1.5 · 2²³`: for `|x| ≤ 2²²`, `x + shift` lies where the Float32 spacing is 1, so the sum is
/// `x` rounded to the nearest integer, ties to even (the current rounding mode), plus `shift`.
let roundingShift: Float = 12_582_912

/// `x.rounded(.toNearestOrEven)` for finite `x`, as `(x + shift) − shift` on `x` clamped to
/// `±2²²` (beyond that every code clamps to 0 or `maxCode` anyway). Equal to the library rounding
/// for every `|x| ≤ 2²²`; written so that loops using it vectorize on baseline x86-64 (no SSE4.1
/// `roundps` there, so the library rounding is a call per value).
@inline(__always)
func roundedToNearestEven(_ x: Float) -> Float {
  (Swift.min(Swift.max(x, -4_194_304), 4_194_304) + roundingShift) - roundingShift
}

/// `Σ x[r]²` over `rows`, eight partial sums so that it vectorizes.
private func sumOfSquares(_ x: UnsafePointer<Float>, rows range: Range<Int>) -> Float {
  var lanes = SIMD8<Float>()
  var r = range.lowerBound
  while r + 8 <= range.upperBound {
    let v = UnsafeRawPointer(x + r).loadUnaligned(as: SIMD8<Float>.self)
    lanes += v * v
    r += 8
  }
  var sum = lanes.sum()
  while r < range.upperBound {
    sum += x[r] * x[r]
    r += 1
  }
  return sum
}
