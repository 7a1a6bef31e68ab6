// Rotary position embeddings in the Hugging Face `rotate_half` convention.
//
// Legend: N = rows (B·T), H = heads, D = head dimension, D/2 = rotated pairs (i, i + D/2).
// For pair i at position p the angle is p·θᵢ with θᵢ = 1 / theta^(2i/D), possibly rescaled:
//   out[i]       = x[i]·cos − x[i + D/2]·sin
//   out[i + D/2] = x[i + D/2]·cos + x[i]·sin
import Foundation
import TensorCore

/// The inverse frequencies θᵢ of one head, and their application to queries and keys.
struct RotaryEmbedding: Sendable {
  /// θᵢ for i in 0..<D/2, after scaling.
  let inverseFrequencies: [Float]

  /// Frequencies for `config` (theta, head dimension, `linear` or `llama3` scaling).
  init(config: TransformerConfig) {
    let dimension = config.headDimension
    let theta = Float(config.ropeTheta)
    var frequencies = (0..<(dimension / 2)).map { i in 1 / pow(theta, Float(2 * i) / Float(dimension)) }
    if let scaling = config.ropeScaling {
      frequencies = Self.rescale(frequencies, scaling)
    }
    inverseFrequencies = frequencies
  }

  /// Applies `linear` (θ / factor) or `llama3` (long wavelengths / factor, a smooth blend between)
  /// scaling, as transformers' `_compute_linear_scaling_rope_parameters` and
  /// `_compute_llama3_parameters` do.
  static func rescale(_ frequencies: [Float], _ scaling: RopeScaling) -> [Float] {
    let factor = Float(scaling.factor ?? 1)
    guard scaling.type == "llama3" else { return frequencies.map { $0 / factor } }
    let low = Float(scaling.lowFrequencyFactor ?? 1)
    let high = Float(scaling.highFrequencyFactor ?? 4)
    let original = Float(scaling.originalMaxPositions ?? 8192)
    let lowWavelength = original / low
    let highWavelength = original / high
    return frequencies.map { frequency in
      let wavelength = 2 * Float.pi / frequency
      if wavelength < highWavelength { return frequency }
      if wavelength > lowWavelength { return frequency / factor }
      let smooth = (original / wavelength - low) / (high - low)
      return (1 - smooth) * frequency / factor + smooth * frequency
    }
  }

  /// Rotates every head of `x` (N = B·T, H·D) in place; row `b·T + t` sits at `positions[t]`.
  func apply(_ x: inout Tensor, heads: Int, positions: [Int]) {
    let half = inverseFrequencies.count
    let dimension = 2 * half
    precondition(x.rank == 2 && x.shape[1] == heads * dimension, "rope: \(x.shape) is not (N, \(heads)·\(dimension))")
    precondition(x.shape[0] % max(positions.count, 1) == 0, "rope: \(x.shape[0]) rows for \(positions.count) positions")
    let (cosines, sines) = tables(positions)  // (T, D/2) each
    let (rowCount, rowWidth) = (x.shape[0], x.shape[1])
    x.withUnsafeMutableBufferPointer { p in
      for row in 0..<rowCount {
        let t = row % positions.count
        for h in 0..<heads {
          let base = row * rowWidth + h * dimension
          for i in 0..<half {
            let (c, s) = (cosines[t * half + i], sines[t * half + i])
            let (a, b) = (p[base + i], p[base + i + half])
            p[base + i] = a * c - b * s
            p[base + i + half] = b * c + a * s
          }
        }
      }
    }
  }

  /// cos and sin of the angles `position · θᵢ`, computed in Float32 as transformers does.
  func tables(_ positions: [Int]) -> (cos: [Float], sin: [Float]) {
    var cosines: [Float] = []
    var sines: [Float] = []
    cosines.reserveCapacity(positions.count * inverseFrequencies.count)
    sines.reserveCapacity(positions.count * inverseFrequencies.count)
    for position in positions {
      for frequency in inverseFrequencies {
        let angle = Float(position) * frequency
        cosines.append(cos(angle))
        sines.append(sin(angle))
      }
    }
    return (cosines, sines)
  }
}
