import TensorCore

// Choosing which weights to prune from a score per weight (smaller = less important), for every
// pattern and allocation. Ties are broken by position: among equal scores the earlier one (row-major)
// is pruned first, as a stable ascending sort would order them. Selection is linear-time (a radix
// select or quickselect for the threshold, then one marking pass), never a full sort.

/// The `(threshold, ties)` such that pruning every score `< threshold` and the first `ties` scores
/// `== threshold` (in the caller's order) prunes exactly `count` of `scores`. `scratch` is reused
/// storage. `count` must be in `1...scores.count`; scores must not be NaN.
///
/// Large inputs (a SparseGPT block, a layer) use a radix select on the scores' order-preserving
/// 32-bit keys: one histogram of the high 16 bits finds the bucket holding rank `count − 1`, a
/// second of the low 16 bits inside that bucket finds the value; two linear passes, no data
/// movement. Small ones (a row) use quickselect on a copy in `scratch`.
func smallestThreshold(of scores: some Collection<Float>, count: Int, scratch: inout [Float]) -> (Float, Int) {
  precondition(count >= 1 && count <= scores.count, "smallestThreshold: count \(count) of \(scores.count)")
  guard scores.count >= 1 << 16 else {
    scratch.removeAll(keepingCapacity: true)
    scratch.append(contentsOf: scores)
    let threshold = scratch.withUnsafeMutableBufferPointer { quickselect($0, rank: count - 1) }
    var below = 0
    for s in scores where s < threshold { below += 1 }
    return (threshold, count - below)
  }
  /// Maps a float to a key whose unsigned order is the float order (−0 and +0 apart, both fine).
  @inline(__always) func key(_ x: Float) -> UInt32 {
    let bits = x.bitPattern
    return bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
  }
  var histogram = [Int](repeating: 0, count: 1 << 16)
  for x in scores { histogram[Int(key(x) >> 16)] += 1 }
  var rank = count - 1  // rank of the threshold among all scores
  var high = 0
  while rank >= histogram[high] {
    rank -= histogram[high]
    high += 1
  }
  for i in histogram.indices { histogram[i] = 0 }
  for x in scores where Int(key(x) >> 16) == high { histogram[Int(key(x) & 0xFFFF)] += 1 }
  var low = 0
  while rank >= histogram[low] {
    rank -= histogram[low]
    low += 1
  }
  let thresholdKey = UInt32(high) << 16 | UInt32(low)
  let bits = thresholdKey & 0x8000_0000 != 0 ? thresholdKey & 0x7FFF_FFFF : ~thresholdKey
  let threshold = Float(bitPattern: bits)
  // Scores below: all of the lower buckets' and the lower low-halves'; the rest are ties.
  return (threshold, rank + 1)
}

/// The value of rank `rank` (0-based) of `values` in ascending order; reorders `values`.
private func quickselect(_ values: UnsafeMutableBufferPointer<Float>, rank: Int) -> Float {
  var (low, high) = (0, values.count - 1)
  while low < high {
    // Median of three as the pivot, then a three-way partition (many equal scores are common:
    // zeros of dead columns, of already-pruned weights).
    let middle = low + (high - low) / 2
    let (a, b, c) = (values[low], values[middle], values[high])
    let pivot = max(min(a, b), min(max(a, b), c))
    var (lt, i, gt) = (low, low, high)
    while i <= gt {
      if values[i] < pivot {
        values.swapAt(lt, i)
        lt += 1
        i += 1
      } else if values[i] > pivot {
        values.swapAt(i, gt)
        gt -= 1
      } else {
        i += 1
      }
    }
    if rank < lt {
      high = lt - 1
    } else if rank > gt {
      low = gt + 1
    } else {
      return pivot
    }
  }
  return values[low]
}

/// The mask that prunes the smallest `scores` `(out, in)` in `pattern`: per row or per layer for
/// unstructured sparsity, `m − n` per group of `m` for N:M.
/// - Precondition: for N:M, `m` divides the row width.
public func selectMask(scores: Tensor, pattern: SparsityPattern) -> SparsityMask {
  let (rows, columns) = (scores.shape[0], scores.shape[1])
  var pruned = [Bool](repeating: false, count: rows * columns)
  var scratch: [Float] = []
  scores.withUnsafeBufferPointer { s in
    switch pattern {
    case .unstructured(let sparsity, .row):
      let count = SparsityPattern.prunedCount(prefix: columns, sparsity: sparsity)
      for r in 0..<rows {
        markSmallest(s, range: (r * columns)..<((r + 1) * columns), count: count, into: &pruned, scratch: &scratch)
      }
    case .unstructured(let sparsity, .layer):
      let count = SparsityPattern.prunedCount(prefix: rows * columns, sparsity: sparsity)
      markSmallest(s, range: 0..<(rows * columns), count: count, into: &pruned, scratch: &scratch)
    case .nOfM(let n, let m):
      precondition(columns % m == 0, "selectMask: \(m) does not divide \(columns)")
      for start in stride(from: 0, to: rows * columns, by: m) {
        markSmallestInGroup(s, start: start, m: m, prune: m - n, into: &pruned)
      }
    }
  }
  return SparsityMask(rows: rows, columns: columns, pruned: pruned)
}

/// Marks the `count` smallest of `scores[range]` in `pruned` (same indices), ties by position.
func markSmallest(
  _ scores: UnsafeBufferPointer<Float>, range: Range<Int>, count: Int, into pruned: inout [Bool],
  scratch: inout [Float]
) {
  guard count > 0 else { return }
  let (threshold, ties) = smallestThreshold(of: scores[range], count: count, scratch: &scratch)
  var left = ties
  for i in range {
    let value = scores[i]
    if value < threshold {
      pruned[i] = true
    } else if value == threshold && left > 0 {
      pruned[i] = true
      left -= 1
    }
  }
}

/// Marks the `prune` smallest of the `m` scores at `start...` (ties: lower index first), by
/// repeated minimum search: no allocation, and `m` is small (4, 8).
func markSmallestInGroup(
  _ scores: UnsafeBufferPointer<Float>, start: Int, m: Int, prune: Int, into pruned: inout [Bool]
) {
  for _ in 0..<prune {
    var best = -1
    for i in start..<(start + m) where !pruned[i] && (best < 0 || scores[i] < scores[best]) { best = i }
    pruned[best] = true
  }
}
