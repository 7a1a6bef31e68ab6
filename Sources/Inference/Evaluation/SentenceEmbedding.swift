// Sentence embeddings of an encoder, as sentence-transformers computes them: pool the last
// hidden states over each sentence's real tokens, then (optionally) L2-normalize.
//
// Legend: B = sentences, T = padded length, C = hidden.
import Foundation
import TensorCore

/// One embedding per sentence, (B, C).
public func sentenceEmbeddings(
  model: some TransformerModel, tokens: [[Int]], pooling: Pooling = .mean, normalize: Bool = true
) -> Tensor {
  let hidden = model.forward(.tokens(tokens))  // (B, T, C)
  precondition(hidden.rank == 3 && hidden.shape[2] == model.config.hiddenSize, "sentenceEmbeddings: \(model.config.modelType) gives \(hidden.shape), not hidden states")
  var out = pool(HiddenStates(values: hidden, lengths: tokens.map(\.count)), pooling)  // (B, C)
  if normalize { normalizeRows(&out) }
  return out
}

/// Pools each sequence's real tokens: (B, C).
func pool(_ hidden: HiddenStates, _ pooling: Pooling) -> Tensor {
  let width = hidden.width
  var scalars: [Float] = []
  scalars.reserveCapacity(hidden.batchSize * width)
  for sequence in hidden.sequences() {  // (Lb, C)
    let count = sequence.shape[0]
    var v = [Float](repeating: pooling == .max ? -.infinity : 0, count: width)
    sequence.withUnsafeBufferPointer { p in
      for t in 0..<(pooling == .cls ? 1 : count) {
        for j in 0..<width { v[j] = pooling == .max ? Swift.max(v[j], p[t * width + j]) : v[j] + p[t * width + j] }
      }
    }
    let divisor: Float = switch pooling {
    case .mean: Float(count)
    case .meanSqrtLength: Float(count).squareRoot()
    case .cls, .max: 1
    }
    scalars += v.map { $0 / divisor }
  }
  return Tensor(shape: [hidden.batchSize, width], scalars: scalars)
}

/// Divides each row by its L2 norm (at least 1e-12, as torch's `F.normalize`).
func normalizeRows(_ x: inout Tensor) {
  let width = x.shape[1]
  x.withUnsafeMutableBufferPointer { p in
    for row in 0..<(p.count / max(width, 1)) {
      var sum: Float = 0
      for j in 0..<width { sum += p[row * width + j] * p[row * width + j] }
      let norm = max(sum.squareRoot(), 1e-12)
      for j in 0..<width { p[row * width + j] /= norm }
    }
  }
}
