import Compression
import CompressionTestSupport
import TensorCore

/// Synthetic layers for the GPTQ tests: a Gaussian weight and a Hessian `H = 2/n XᵀX` from
/// activations with realistic structure (correlated channels, a few large-magnitude channels and
/// optionally one dead channel), both seeded.
enum GPTQTestData {
  /// A `(rows, columns)` weight with standard deviation 0.02 and a few larger entries.
  static func weight(rows: Int, columns: Int, seed: UInt64) -> Tensor {
    var generator = SeededGenerator(seed: seed)
    var values = generator.gaussians(rows * columns, scale: 0.02)
    for i in stride(from: 7, to: values.count, by: 997) { values[i] *= 6 }
    return Tensor(shape: [rows, columns], scalars: values)
  }

  /// `H = 2/n XᵀX` for `tokens` activations `x = z A + noise` (8 latent factors), channel
  /// `3` and every 17th channel ×8, and channel `deadColumn` (if any) always 0. // (C, C)
  static func hessian(columns: Int, tokens: Int, seed: UInt64, deadColumn: Int? = nil) -> Tensor {
    var generator = SeededGenerator(seed: seed)
    let factors = 8
    let mixing = generator.gaussians(factors * columns)  // (8, C)
    var x = [Float](repeating: 0, count: tokens * columns)  // (n, C)
    for t in 0..<tokens {
      let z = generator.gaussians(factors)
      for c in 0..<columns {
        var value = 0.5 * generator.nextGaussian()
        for f in 0..<factors { value += z[f] * mixing[f * columns + c] * 0.3 }
        if c == 3 || c % 17 == 0 { value *= 8 }
        if c == deadColumn { value = 0 }
        x[t * columns + c] = value
      }
    }
    var h = Tensor(shape: [columns, columns])
    accumulateGram(Tensor(shape: [tokens, columns], scalars: x), into: &h, alpha: 2 / Float(tokens), beta: 0)
    return h
  }

  /// The layer error `tr(Δ H Δᵀ)` with `Δ = W − Ŵ`: `Δ H` by sgemm, the trace summed in Double.
  static func layerError(_ w: Tensor, _ approximation: Tensor, hessian: Tensor) -> Double {
    let delta = Tensor(shape: w.shape, scalars: zip(w.scalars, approximation.scalars).map { $0 - $1 })
    let product = matmul(delta, hessian)  // (R, C)
    return zip(delta.scalars, product.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
  }
}
