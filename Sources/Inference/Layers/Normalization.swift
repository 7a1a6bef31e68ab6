// Normalizations over the last dimension.
//
// Legend: N = rows (B·T), C = features. Statistics are accumulated in Float32 as PyTorch does.
import Foundation
import TensorCore

/// LayerNorm: `(x − mean) / √(var + eps) · weight + bias` per row, biased variance.
func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor, epsilon: Float) -> Tensor {
  let width = x.shape[x.rank - 1]
  precondition(weight.count == width && bias.count == width, "layerNorm: weight \(weight.shape) for \(x.shape)")
  var y = x  // (N, C)
  weight.withUnsafeBufferPointer { w in
    bias.withUnsafeBufferPointer { b in
      y.withUnsafeMutableBufferPointer { p in
        for row in 0..<(p.count / max(width, 1)) {
          let r = UnsafeMutableBufferPointer(rebasing: p[(row * width)..<((row + 1) * width)])
          var mean: Float = 0
          for v in r { mean += v }
          mean /= Float(width)
          var variance: Float = 0
          for v in r { variance += (v - mean) * (v - mean) }
          let scale = 1 / (variance / Float(width) + epsilon).squareRoot()
          for j in 0..<width { r[j] = (r[j] - mean) * scale * w[j] + b[j] }
        }
      }
    }
  }
  return y
}

/// RMSNorm (LLaMA): `x / √(mean(x²) + eps) · weight` per row.
func rmsNorm(_ x: Tensor, weight: Tensor, epsilon: Float) -> Tensor {
  let width = x.shape[x.rank - 1]
  precondition(weight.count == width, "rmsNorm: weight \(weight.shape) for \(x.shape)")
  var y = x  // (N, C)
  weight.withUnsafeBufferPointer { w in
    y.withUnsafeMutableBufferPointer { p in
      for row in 0..<(p.count / max(width, 1)) {
        let r = UnsafeMutableBufferPointer(rebasing: p[(row * width)..<((row + 1) * width)])
        var sumOfSquares: Float = 0
        for v in r { sumOfSquares += v * v }
        let scale = 1 / (sumOfSquares / Float(width) + epsilon).squareRoot()
        for j in 0..<width { r[j] = w[j] * (r[j] * scale) }
      }
    }
  }
  return y
}
