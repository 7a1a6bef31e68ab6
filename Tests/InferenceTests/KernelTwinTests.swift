import CompressionTestSupport
import Foundation
import Testing
import TensorCore

@testable import Inference

/// Each kernel of Layers/ against a naive loop written straight from its formula.
@Suite("Kernels vs naive twins")
struct KernelTwinTests {
  /// Float32 sums in another order: a few ulps on O(1) values.
  static let rtol: Float = 1e-5
  static let atol: Float = 1e-5

  var generator = SeededGenerator(seed: 42)

  mutating func random(_ shape: [Int], scale: Float = 1) -> Tensor {
    Tensor(shape: shape, scalars: generator.gaussians(shape.reduce(1, *), scale: scale))
  }

  func expectClose(_ a: Tensor, _ b: Tensor, _ label: String) {
    #expect(a.shape == b.shape, "\(label): \(a.shape) vs \(b.shape)")
    let mismatch = closeness(a.scalars, b.scalars, rtol: Self.rtol, atol: Self.atol)
    #expect(mismatch == nil, "\(label): \(mismatch ?? "")")
  }

  @Test mutating func linearMatchesLoops() {
    let (x, w, b) = (random([7, 5]), random([3, 5]), random([3]))
    var expected = Tensor(shape: [7, 3])
    for n in 0..<7 {
      for o in 0..<3 {
        var sum = b.scalars[o]
        for i in 0..<5 { sum += x[n, i] * w[o, i] }
        expected[n, o] = sum
      }
    }
    expectClose(linear(x, weight: w, bias: b), expected, "linear")
  }

  @Test mutating func normsMatchFormulas() {
    let (x, w, b) = (random([4, 6], scale: 3), random([6]), random([6]))
    var layer = Tensor(shape: [4, 6])
    var rms = Tensor(shape: [4, 6])
    for n in 0..<4 {
      let row = (0..<6).map { Double(x[n, $0]) }
      let mean = row.reduce(0, +) / 6
      let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 6
      let meanSquare = row.map { $0 * $0 }.reduce(0, +) / 6
      for j in 0..<6 {
        layer[n, j] = Float((row[j] - mean) / (variance + 1e-5).squareRoot()) * w.scalars[j] + b.scalars[j]
        rms[n, j] = Float(row[j] / (meanSquare + 1e-6).squareRoot()) * w.scalars[j]
      }
    }
    expectClose(layerNorm(x, weight: w, bias: b, epsilon: 1e-5), layer, "layerNorm")
    expectClose(rmsNorm(x, weight: w, epsilon: 1e-6), rms, "rmsNorm")
  }

  @Test func activationsMatchDefinitions() {
    for x: Float in [-3, -0.5, 0, 0.7, 2.5] {
      let d = Double(x)
      #expect(abs(Activation.gelu(x) - Float(0.5 * d * (1 + erf(d / 2.0.squareRoot())))) < 1e-6)
      #expect(abs(Activation.geluTanh(x) - Float(0.5 * d * (1 + tanh((2 / Double.pi).squareRoot() * (d + 0.044715 * d * d * d))))) < 1e-6)
      #expect(abs(Activation.silu(x) - Float(d / (1 + exp(-d)))) < 1e-6)
      #expect(Activation.relu(x) == max(x, 0))
    }
    #expect(Activation(huggingFaceName: "gelu_pytorch_tanh") == .geluTanh)
    #expect(Activation(huggingFaceName: "gelu_fast") == nil)
  }

  @Test mutating func ropeMatchesRotateHalf() {
    let config = try! TransformerConfig.decode(json: Data(#"{"model_type":"llama","hidden_size":16,"num_attention_heads":2,"rope_theta":500}"#.utf8))
    let rope = RotaryEmbedding(config: config)
    let positions = [0, 3, 4, 9]
    let x = random([8, 16])  // (B·T, H·D) with B = 2, T = 4, H = 2, D = 8
    var fast = x
    rope.apply(&fast, heads: 2, positions: positions)
    var expected = x
    for row in 0..<8 {
      for h in 0..<2 {
        let q = (0..<8).map { Double(x[row, h * 8 + $0]) }
        let rotated = (0..<8).map { $0 < 4 ? -q[$0 + 4] : q[$0 - 4] }  // rotate_half
        for j in 0..<8 {
          let angle = Double(positions[row % 4]) / pow(500, Double(2 * (j % 4)) / 8)
          expected[row, h * 8 + j] = Float(q[j] * cos(angle) + rotated[j] * sin(angle))
        }
      }
    }
    expectClose(fast, expected, "rope")
  }

  @Test func llama3ScalingKeepsHighAndDividesLowFrequencies() {
    let scaling = RopeScaling(type: "llama3", factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4, originalMaxPositions: 64)
    let frequencies: [Float] = [1, 0.5, 0.1, 2 * .pi / 40, 0.01]
    let scaled = RotaryEmbedding.rescale(frequencies, scaling)
    #expect(scaled[0] == 1 && scaled[1] == 0.5)  // wavelength < 16: kept
    #expect(abs(scaled[4] - 0.01 / 8) < 1e-9)  // wavelength > 64: divided by the factor
    let smooth: Float = (64 / 40 - 1) / 3  // 16 ≤ wavelength 40 ≤ 64: blended
    #expect(abs(scaled[3] - ((1 - smooth) * frequencies[3] / 8 + smooth * frequencies[3])) < 1e-7)
    #expect(RotaryEmbedding.rescale([0.4], RopeScaling(type: "linear", factor: 4)) == [0.1])
  }

  /// Small sizes run serially; the large one crosses `parallelRows`' threshold and runs the
  /// (sequence, head) pairs on several threads.
  @Test(arguments: [false, true], [false, true])
  mutating func attentionMatchesNaiveLoops(causal: Bool, large: Bool) {
    let (heads, kvHeads, d, length) = large ? (8, 2, 16, 40) : (4, 2, 3, 5)
    let lengths = large ? [40, 33] : [5, 3]
    let rows = 2 * length
    let q = random([rows, heads * d]), k = random([rows, kvHeads * d]), v = random([rows, kvHeads * d])
    let shape = AttentionShape(heads: heads, kvHeads: kvHeads, headDimension: d, causal: causal, scale: 0.5)
    let (context, probabilities) = attention(q: q, k: k, v: v, shape: shape, lengths: lengths, keepProbabilities: true)
    var expected = Tensor(shape: [rows, heads * d])
    for (b, count) in lengths.enumerated() {
      var p = Tensor(shape: [heads, count, count])
      for h in 0..<heads {
        let g = h / (heads / kvHeads)
        for i in 0..<length {
          let visible = (0..<length).filter { $0 < count && (!causal || $0 <= i) }
          let scores = visible.map { j in (0..<d).map { Double(q[b * length + i, h * d + $0] * k[b * length + j, g * d + $0]) }.reduce(0, +) * 0.5 }
          let top = scores.max()!
          let weights = scores.map { exp($0 - top) }
          let total = weights.reduce(0, +)
          for (n, j) in visible.enumerated() {
            if i < count { p.scalars[(h * count + i) * count + j] = Float(weights[n] / total) }
            for c in 0..<d { expected[b * length + i, h * d + c] += Float(weights[n] / total) * v[b * length + j, g * d + c] }
          }
        }
      }
      expectClose(probabilities[b], p, "probabilities \(b)")
    }
    expectClose(context, expected, "context")
  }

  @Test mutating func patchEmbeddingMatchesConvolution() {
    let (batch, channels, side, patch, width) = (2, 3, 8, 4, 5)
    let pixels = random([batch, channels, side, side])
    let weight = random([width, channels, patch, patch]), bias = random([width])
    let cls = random([1, 1, width]), positions = random([1, 5, width])
    let fast = patchEmbedding(pixels, weight: weight, bias: bias, cls: cls, positions: positions, patch: patch)
    var expected = Tensor(shape: [batch, 5, width])
    func at(_ t: Tensor, _ i: [Int]) -> Float {
      var offset = 0
      for (dim, index) in zip(t.shape, i) { offset = offset * dim + index }
      return t.scalars[offset]
    }
    for b in 0..<batch {
      for t in 0..<5 {
        for o in 0..<width {
          var value = at(positions, [0, t, o])
          if t == 0 {
            value += at(cls, [0, 0, o])
          } else {
            let (gy, gx) = ((t - 1) / 2, (t - 1) % 2)
            var sum = bias.scalars[o]
            for c in 0..<channels {
              for y in 0..<patch {
                for x in 0..<patch {
                  sum += at(weight, [o, c, y, x]) * at(pixels, [b, c, gy * patch + y, gx * patch + x])
                }
              }
            }
            value += sum
          }
          expected.scalars[(b * 5 + t) * width + o] = value
        }
      }
    }
    expectClose(fast, expected, "patch embedding")
  }

  @Test func windowNLLMatchesDoubleLogSoftmax() {
    let logits = Tensor(shape: [3, 4], scalars: [1, 2, 3, 4, 100, 0, -100, 5, 0, 0, 0, 0])
    let targets = [3, 1]
    var expected = 0.0
    for (t, target) in targets.enumerated() {
      let row = (0..<4).map { Double(logits[t, $0]) }
      expected -= row[target] - log(row.map { exp($0) }.reduce(0, +))
    }
    #expect(abs(windowNLL(logits, targets: targets) - expected) <= 1e-12 * abs(expected))
  }

  @Test func poolingModes() {
    let values = Tensor(shape: [2, 3, 2], scalars: [1, 2, 3, 4, 100, 100, 5, -6, 7, 8, 9, 10])
    let hidden = HiddenStates(values: values, lengths: [2, 3])
    #expect(pool(hidden, .mean).scalars == [2, 3, 7, 4])
    #expect(pool(hidden, .cls).scalars == [1, 2, 5, -6])
    #expect(pool(hidden, .max).scalars == [3, 4, 9, 10])
    #expect(pool(hidden, .meanSqrtLength).scalars == [4 / Float(2).squareRoot(), 6 / Float(2).squareRoot(), 21 / Float(3).squareRoot(), 12 / Float(3).squareRoot()])
    var rows = Tensor(shape: [1, 2], scalars: [3, 4])
    normalizeRows(&rows)
    #expect(rows.scalars == [0.6, 0.8])
  }
}
