// Scaled dot-product attention over right-padded sequences (MHA and GQA).
//
// Legend: B = sequences, T = padded length, Lb = real tokens of sequence b, H = query heads,
// KV = key/value heads (H is a multiple; query head h reads key/value head h / (H / KV)),
// D = head dimension. Scores are Q·Kᵀ·scale; a key is visible when it is a real token and, for
// causal attention, not after the query. Softmax is Float32 with the row maximum subtracted.
import COpenBLAS
import Foundation
import TensorCore

/// The head layout of one attention layer.
struct AttentionShape: Sendable {
  var heads: Int
  var kvHeads: Int
  var headDimension: Int
  var causal: Bool
  /// 1/√D unless the architecture says otherwise.
  var scale: Float
}

extension AttentionShape {
  /// The config's heads (key/value heads for grouped-query attention) with the 1/√D scale.
  init(config: TransformerConfig, causal: Bool) {
    self.init(
      heads: config.headCount, kvHeads: config.kvHeadCount, headDimension: config.headDimension, causal: causal,
      scale: 1 / Float(config.headDimension).squareRoot())
  }
}

/// Attention of `q` (B·T, H·D) over `k`, `v` (B·T, KV·D); returns the (B·T, H·D) context and,
/// when `keepProbabilities`, each sequence's probabilities (H, Lb, Lb) over its real tokens.
///
/// The work is cut into (sequence, head, block of query rows) jobs spread over the cores. Each
/// block's two products are sgemm calls read straight from `q`, `k`, `v` and written straight
/// into the context (leading dimensions skip the other heads, no copies); a block is small enough
/// (`AttentionTiling`) that OpenBLAS runs it on the calling thread, so the workers never contend
/// for OpenBLAS's thread pool. Keys no query of the block can see (padding, and the future when
/// causal) are left out of both products.
func attention(
  q: Tensor, k: Tensor, v: Tensor, shape: AttentionShape, lengths: [Int], keepProbabilities: Bool
) -> (context: Tensor, probabilities: [Tensor]) {
  let (heads, kvHeads, d) = (shape.heads, shape.kvHeads, shape.headDimension)
  let batch = lengths.count
  let length = q.shape[0] / max(batch, 1)
  precondition(q.shape == [batch * length, heads * d], "attention: q \(q.shape), expected [\(batch * length), \(heads * d)]")
  precondition(k.shape == [batch * length, kvHeads * d] && v.shape == k.shape, "attention: k \(k.shape), v \(v.shape)")
  var context = Tensor(shape: q.shape)  // (B·T, H·D)
  var all = Tensor(shape: keepProbabilities ? [batch, heads, length, length] : [0])  // (B, H, T, T)
  let tiling = AttentionTiling(shape: shape, length: length)
  q.withUnsafeBufferPointer { qp in
    k.withUnsafeBufferPointer { kp in
      v.withUnsafeBufferPointer { vp in
        context.withUnsafeMutableBufferPointer { c in
          all.withUnsafeMutableBufferPointer { a in
            let operands = AttentionOperands(
              q: SharedPointer(base: UnsafeMutablePointer(mutating: qp.baseAddress!)),
              k: SharedPointer(base: UnsafeMutablePointer(mutating: kp.baseAddress!)),
              v: SharedPointer(base: UnsafeMutablePointer(mutating: vp.baseAddress!)),
              context: SharedPointer(base: c.baseAddress!),
              // An empty array still has a base address: only use it when probabilities are kept.
              probabilities: keepProbabilities ? a.baseAddress.map(SharedPointer.init) : nil)
            let jobs = batch * heads * tiling.blocksPerHead
            parallelRows(jobs, costPerItem: 4 * tiling.rowsPerBlock * length * d) { range in
              let scores = UnsafeMutablePointer<Float>.allocate(capacity: tiling.rowsPerBlock * max(length, 1))
              defer { scores.deallocate() }
              for job in range {
                attentionBlock(job, tiling: tiling, lengths: lengths, operands: operands, scores: scores)
              }
            }
          }
        }
      }
    }
  }
  let probabilities = keepProbabilities ? lengths.enumerated().map { b, count in realCorner(all, batch: b, count: count) } : []
  return (context, probabilities)
}

/// How attention is cut into jobs: blocks of query rows small enough that OpenBLAS 0.3 runs
/// their sgemm on the calling thread (m·n·k ≤ 65536 · GEMM_MULTITHREAD_THRESHOLD(4)).
struct AttentionTiling: Sendable {
  let shape: AttentionShape
  let length: Int
  /// Query rows per job.
  let rowsPerBlock: Int
  /// Jobs per (sequence, head).
  let blocksPerHead: Int

  init(shape: AttentionShape, length: Int) {
    self.shape = shape
    self.length = length
    let singleThreadedLimit = 65536 * 4
    rowsPerBlock = max(1, min(length, singleThreadedLimit / max(1, length * shape.headDimension)))
    blocksPerHead = max(1, (length + rowsPerBlock - 1) / rowsPerBlock)
  }
}

/// The buffers of one attention call, shared by the workers (each writes disjoint rows).
struct AttentionOperands: Sendable {
  let q: SharedPointer<Float>  // (B·T, H·D)
  let k: SharedPointer<Float>  // (B·T, KV·D)
  let v: SharedPointer<Float>  // (B·T, KV·D)
  let context: SharedPointer<Float>  // (B·T, H·D)
  let probabilities: SharedPointer<Float>?  // (B, H, T, T)
}

/// One job: query rows `r0 ..< r1` of head h of sequence b. `scores` holds (r1 − r0, T).
private func attentionBlock(
  _ job: Int, tiling: AttentionTiling, lengths: [Int], operands o: AttentionOperands,
  scores: UnsafeMutablePointer<Float>
) {
  let shape = tiling.shape
  let (heads, d, length) = (shape.heads, shape.headDimension, tiling.length)
  let (pair, block) = (job / tiling.blocksPerHead, job % tiling.blocksPerHead)
  let (b, h) = (pair / heads, pair % heads)
  let g = h / (heads / shape.kvHeads)
  let r0 = block * tiling.rowsPerBlock
  let r1 = min(length, r0 + tiling.rowsPerBlock)
  let rows = r1 - r0
  let (qWidth, kvWidth) = (heads * d, shape.kvHeads * d)
  // Keys any row of the block sees: the real ones, and for causal attention none after r1 − 1.
  let keys = shape.causal ? min(lengths[b], r1) : lengths[b]
  let qBase = o.q.base + (b * length + r0) * qWidth + h * d  // (rows, D), stride H·D
  let kBase = o.k.base + b * length * kvWidth + g * d  // (keys, D), stride KV·D
  let vBase = o.v.base + b * length * kvWidth + g * d  // (keys, D), stride KV·D
  // scores = Q·Kᵀ: (rows, keys), stride T
  cblas_sgemm(
    CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(keys), Int32(d), 1,
    qBase, Int32(qWidth), kBase, Int32(kvWidth), 0, scores, Int32(length))
  for i in 0..<rows {
    let visible = shape.causal ? min(lengths[b], r0 + i + 1) : lengths[b]
    softmaxRow(scores + i * length, count: length, visible: visible, scale: shape.scale)
  }
  // context rows = P·V: (rows, D), stride H·D
  cblas_sgemm(
    CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(d), Int32(keys), 1,
    scores, Int32(length), vBase, Int32(kvWidth), 0, o.context.base + (b * length + r0) * qWidth + h * d,
    Int32(qWidth))
  if let out = o.probabilities {
    (out.base + (pair * length + r0) * length).update(from: scores, count: rows * length)
  }
}

/// Rows `b·T ..< (b+1)·T`, columns `column ..< column + width` of `x`: (T, width).
func headSlice(_ x: Tensor, batch b: Int, length: Int, column: Int, width: Int) -> Tensor {
  let rowWidth = x.shape[1]
  var out = Tensor(shape: [length, width])  // (T, D)
  x.withUnsafeBufferPointer { p in
    out.withUnsafeMutableBufferPointer { o in
      for t in 0..<length {
        (o.baseAddress! + t * width).update(from: p.baseAddress! + (b * length + t) * rowWidth + column, count: width)
      }
    }
  }
  return out
}

/// Scales the (T, T) scores, hides keys `j >= visibleKeys` (and `j > i` when causal), and turns
/// each row into probabilities (hidden keys get exactly 0).
func maskedSoftmax(_ scores: inout Tensor, scale: Float, visibleKeys: Int, causal: Bool) {
  let (rows, length) = (scores.shape[0], scores.shape[1])
  scores.withUnsafeMutableBufferPointer { p in
    for i in 0..<rows {
      let visible = causal ? min(visibleKeys, i + 1) : visibleKeys
      softmaxRow(p.baseAddress! + i * length, count: length, visible: visible, scale: scale)
    }
  }
}

/// One row of `count` scores: the first `visible` are scaled and turned into probabilities, the
/// rest set to exactly 0 (whatever they held, even uninitialized memory).
@inline(__always)
func softmaxRow(_ row: UnsafeMutablePointer<Float>, count: Int, visible: Int, scale: Float) {
  var maximum = -Float.infinity
  for j in 0..<visible {
    row[j] *= scale
    maximum = max(maximum, row[j])
  }
  let sum = exponentiateShifted(row, count: visible, maximum: maximum)
  let inverse = 1 / sum
  for j in 0..<visible { row[j] *= inverse }
  if visible < count { (row + visible).update(repeating: 0, count: count - visible) }
}

/// The real (H, Lb, Lb) corner of sequence `b` in `all` (B, H, T, T).
private func realCorner(_ all: Tensor, batch b: Int, count: Int) -> Tensor {
  let (heads, length) = (all.shape[1], all.shape[2])
  var out = Tensor(shape: [heads, count, count])  // (H, Lb, Lb)
  all.withUnsafeBufferPointer { p in
    out.withUnsafeMutableBufferPointer { o in
      for h in 0..<heads {
        for i in 0..<count {
          let source = ((b * heads + h) * length + i) * length
          for j in 0..<count { o[(h * count + i) * count + j] = p[source + j] }
        }
      }
    }
  }
  return out
}
