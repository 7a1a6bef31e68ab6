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
func attention(
  q: Tensor, k: Tensor, v: Tensor, shape: AttentionShape, lengths: [Int], keepProbabilities: Bool
) -> (context: Tensor, probabilities: [Tensor]) {
  let (heads, kvHeads, d) = (shape.heads, shape.kvHeads, shape.headDimension)
  let batch = lengths.count
  let length = q.shape[0] / max(batch, 1)
  precondition(q.shape == [batch * length, heads * d], "attention: q \(q.shape), expected [\(batch * length), \(heads * d)]")
  precondition(k.shape == [batch * length, kvHeads * d] && v.shape == k.shape, "attention: k \(k.shape), v \(v.shape)")
  var context = Tensor(shape: q.shape)  // (B·T, H·D)
  var probabilities = keepProbabilities ? lengths.map { Tensor(shape: [heads, $0, $0]) } : []
  let group = heads / kvHeads
  for b in 0..<batch {
    for h in 0..<heads {
      let qh = headSlice(q, batch: b, length: length, column: h * d, width: d)  // (T, D)
      let kh = headSlice(k, batch: b, length: length, column: (h / group) * d, width: d)  // (T, D)
      let vh = headSlice(v, batch: b, length: length, column: (h / group) * d, width: d)  // (T, D)
      var scores = matmul(qh, kh, transposeB: true)  // (T, T)
      maskedSoftmax(&scores, scale: shape.scale, visibleKeys: lengths[b], causal: shape.causal)
      let out = matmul(scores, vh)  // (T, D)
      writeHead(out, into: &context, batch: b, column: h * d)
      if keepProbabilities { copyProbabilities(scores, into: &probabilities[b], head: h) }
    }
  }
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

/// Writes `head` (T, D) into rows `b·T…` at `column` of `context`.
private func writeHead(_ head: Tensor, into context: inout Tensor, batch b: Int, column: Int) {
  let (length, width) = (head.shape[0], head.shape[1])
  let rowWidth = context.shape[1]
  head.withUnsafeBufferPointer { p in
    context.withUnsafeMutableBufferPointer { o in
      for t in 0..<length {
        let target = (b * length + t) * rowWidth + column
        for j in 0..<width { o[target + j] = p[t * width + j] }
      }
    }
  }
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

/// Copies the real (Lb, Lb) corner of `scores` (T, T) into head `h` of `target` (H, Lb, Lb).
private func copyProbabilities(_ scores: Tensor, into target: inout Tensor, head h: Int) {
  let (count, length) = (target.shape[1], scores.shape[1])
  scores.withUnsafeBufferPointer { p in
    target.withUnsafeMutableBufferPointer { o in
      for i in 0..<count {
        for j in 0..<count { o[(h * count + i) * count + j] = p[i * length + j] }
      }
    }
  }
}
