// Scaled dot-product attention over right-padded sequences (MHA and GQA).
//
// Legend: B = sequences, T = padded length, Lb = real tokens of sequence b, H = query heads,
// KV = key/value heads (H is a multiple; query head h reads key/value head h / (H / KV)),
// D = head dimension. Scores are Q·Kᵀ·scale; a key is visible when it is a real token and, for
// causal attention, not after the query. Softmax is Float32 with the row maximum subtracted.
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

/// Attention of `q` (B·T, H·D) over `k`, `v` (B·T, KV·D); returns the (B·T, H·D) context and,
/// when `keepProbabilities`, each sequence's probabilities (H, Lb, Lb) over its real tokens.
/// The (sequence, head) pairs are spread over the cores.
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
  let group = heads / kvHeads
  context.withUnsafeMutableBufferPointer { c in
    all.withUnsafeMutableBufferPointer { a in
      let contextOut = SharedPointer(base: c.baseAddress!)
      // An empty array still has a base address: only use it when probabilities are kept.
      let probabilitiesOut = keepProbabilities ? a.baseAddress.map(SharedPointer.init) : nil
      parallelRows(batch * heads, costPerItem: 4 * length * length * d) { jobs in
        for job in jobs {
          let (b, h) = (job / heads, job % heads)
          let qh = headSlice(q, batch: b, length: length, column: h * d, width: d)  // (T, D)
          let kh = headSlice(k, batch: b, length: length, column: (h / group) * d, width: d)  // (T, D)
          let vh = headSlice(v, batch: b, length: length, column: (h / group) * d, width: d)  // (T, D)
          var scores = matmul(qh, kh, transposeB: true)  // (T, T)
          maskedSoftmax(&scores, scale: shape.scale, visibleKeys: lengths[b], causal: shape.causal)
          let out = matmul(scores, vh)  // (T, D)
          out.withUnsafeBufferPointer { o in
            for t in 0..<length {
              (contextOut.base + (b * length + t) * heads * d + h * d).update(from: o.baseAddress! + t * d, count: d)
            }
          }
          if let probabilitiesOut {
            scores.withUnsafeBufferPointer { (probabilitiesOut.base + job * length * length).update(from: $0.baseAddress!, count: length * length) }
          }
        }
      }
    }
  }
  let probabilities = keepProbabilities ? lengths.enumerated().map { b, count in realCorner(all, batch: b, count: count) } : []
  return (context, probabilities)
}

/// Rows `b·T ..< (b+1)·T`, columns `column ..< column + width` of `x`: (T, width).
func headSlice(_ x: Tensor, batch b: Int, length: Int, column: Int, width: Int) -> Tensor {
  let rowWidth = x.shape[1]
  var out = Tensor(shape: [length, width])  // (T, D)
  x.withUnsafeBufferPointer { p in
    out.withUnsafeMutableBufferPointer { o in
      for t in 0..<length {
        let source = (b * length + t) * rowWidth + column
        for j in 0..<width { o[t * width + j] = p[source + j] }
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
      let row = UnsafeMutableBufferPointer(rebasing: p[(i * length)..<((i + 1) * length)])
      let visible = causal ? min(visibleKeys, i + 1) : visibleKeys
      var maximum = -Float.infinity
      for j in 0..<visible {
        row[j] *= scale
        maximum = max(maximum, row[j])
      }
      var sum: Float = 0
      for j in 0..<visible {
        row[j] = exp(row[j] - maximum)
        sum += row[j]
      }
      for j in 0..<visible { row[j] /= sum }
      for j in visible..<length { row[j] = 0 }
    }
  }
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
