// Vectorized exp and the activations built on it, eight lanes at a time.
//
// The scalar `Activation.callAsFunction` (libm) stays the reference; these kernels are held to it
// by `KernelTwinTests.vectorActivationsMatchScalar` and `vectorExpMatchesLibm`.
import TensorCore

/// Eight Float32 lanes.
typealias Lanes = SIMD8<Float>

/// eˣ per lane, within 2 ulp of libm on [−87, 88] (Cephes `expf`: n = round(x/ln 2),
/// r = x − n·ln 2 in two parts, a degree-7 polynomial, 2ⁿ built in the exponent bits).
/// Inputs are clamped to [−87, 88], so eˣ below e⁻⁸⁷ ≈ 1.6e−38 reads as e⁻⁸⁷ (never 0).
@inline(__always)
func vectorExp(_ x: Lanes) -> Lanes {
  // `replacing` rather than `clamped`: the generic pointwiseMin/Max are not inlined.
  let low = x.replacing(with: -87, where: x .< -87)  // NaN stays NaN (every comparison is false)
  let clamped = low.replacing(with: 88, where: low .> 88)
  let magic: Float = 12_582_912  // 1.5·2²³: the sum's low mantissa bits hold round(x/ln 2)
  let shifted = clamped * 1.442_695_04 + magic
  let n = shifted - magic
  let r = clamped - n * 0.693_359_375 + n * 2.121_944_4e-4
  var p = Lanes(repeating: 1.987_569_15e-4)
  p = p * r + 1.398_199_950_7e-3
  p = p * r + 8.333_451_907_3e-3
  p = p * r + 4.166_579_589_4e-2
  p = p * r + 1.666_666_545_9e-1
  p = p * r + 5.000_000_120_1e-1
  let y = p * r * r + r + 1
  let exponent = (unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
  return y * unsafeBitCast(exponent, to: Lanes.self)
}

extension Activation {
  /// The activation of eight values: gelu through erfc (Numerical Recipes `erfcc`, fractional
  /// error < 1.2e−7, so x·Φ(x) keeps its relative accuracy for negative x), the tanh form as
  /// x·σ(2u) (the same function, without the cancellation of 1 + tanh), silu as x·σ(x).
  @inline(__always)
  func lanes(_ x: Lanes) -> Lanes {
    switch self {
    case .gelu:
      let z = x.replacing(with: -x, where: x .< 0) * 0.707_106_781_186_547_5
      let t = 1 / (1 + 0.5 * z)
      var p = Lanes(repeating: 0.170_872_77)
      p = p * t - 0.822_152_23
      p = p * t + 1.488_515_87
      p = p * t - 1.135_203_98
      p = p * t + 0.278_868_07
      p = p * t - 0.186_288_06
      p = p * t + 0.096_784_18
      p = p * t + 0.374_091_96
      p = p * t + 1.000_023_68
      p = p * t - 1.265_512_23
      let halfErfc = 0.5 * t * vectorExp(p - z * z)  // Φ(−|x|)
      return x * halfErfc.replacing(with: 1 - halfErfc, where: x .> 0)
    case .geluTanh:
      let u = 0.797_884_560_802_865_4 * (x + 0.044715 * x * x * x)
      return x / (1 + vectorExp(u * Float(-2)))
    case .silu: return x / (1 + vectorExp(-x))
    case .relu: return x.replacing(with: 0, where: x .< 0)
    }
  }

  /// Applies `lanes` to `count` values in place (the tail is padded to eight lanes).
  func applyVectorized(_ p: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i + 8 <= count {
      let raw = UnsafeMutableRawPointer(p + i)
      raw.storeBytes(of: lanes(raw.loadUnaligned(as: Lanes.self)), as: Lanes.self)
      i += 8
    }
    if i < count {
      var tail = Lanes()
      for j in 0..<(count - i) { tail[j] = p[i + j] }
      tail = lanes(tail)
      for j in 0..<(count - i) { p[i + j] = tail[j] }
    }
  }
}

/// Σ exp(row[j] − maximum) over `count` values, storing each exponential in place.
@inline(__always)
func exponentiateShifted(_ row: UnsafeMutablePointer<Float>, count: Int, maximum: Float) -> Float {
  var sums = Lanes()
  var j = 0
  while j + 8 <= count {
    let raw = UnsafeMutableRawPointer(row + j)
    let e = vectorExp(raw.loadUnaligned(as: Lanes.self) - maximum)
    raw.storeBytes(of: e, as: Lanes.self)
    sums += e
    j += 8
  }
  var sum = sums.sum()
  while j < count {
    var tail = Lanes(repeating: -Float.infinity)
    for l in 0..<min(8, count - j) { tail[l] = row[j + l] }
    let e = vectorExp(tail - maximum)
    for l in 0..<min(8, count - j) {
      row[j + l] = e[l]
      sum += e[l]
    }
    j += 8
  }
  return sum
}
