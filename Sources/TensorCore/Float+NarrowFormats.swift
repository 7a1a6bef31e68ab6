// Bit-exact conversions between Float32 and the narrow floating-point formats of checkpoints:
// IEEE binary16 (F16), bfloat16 (BF16), OCP FP8 E4M3 ("fn": no infinities) and FP8 E5M2.
//
// Semantics (docs/numerics.md has the full table), matching PyTorch's CPU `.to(dtype)`:
// - widening is exact; a NaN keeps its sign and payload (shifted to the top of the Float32
//   mantissa) and is made quiet, except BF16, whose widening is a plain 16-bit shift;
// - narrowing rounds to nearest, ties to even, including into the subnormal range;
// - overflow gives ±infinity for F16, BF16 and E5M2 and saturates to ±448 for E4M3, which has
//   no infinity (±infinity also becomes ±448 there);
// - NaN stays a quiet NaN with its sign: F16 and BF16 keep the top payload bits, the FP8
//   formats use their all-ones NaN pattern.
//
// The kernels below are branch-light bit manipulation; `Reference` holds arithmetic twins.

extension Float {
  /// The value of an IEEE binary16 bit pattern (exact).
  @inlinable
  public init(float16Bits bits: UInt16) {
    self.init(bitPattern: widenedBits(UInt32(bits), exponentBits: 5, mantissaBits: 10,
                                      hasInfinity: true))
  }

  /// The binary16 bit pattern nearest to `self` (ties to even; overflow gives ±infinity).
  @inlinable
  public var float16Bits: UInt16 {
    UInt16(truncatingIfNeeded: narrowedBits(bitPattern, exponentBits: 5, mantissaBits: 10,
                                            hasInfinity: true, nanKeepsPayload: true))
  }

  /// The value of a bfloat16 bit pattern (exact: the upper half of a Float32).
  @inlinable
  public init(bfloat16Bits bits: UInt16) {
    self.init(bitPattern: UInt32(bits) << 16)
  }

  /// The bfloat16 bit pattern nearest to `self` (ties to even; overflow gives ±infinity;
  /// NaN keeps its sign and top payload bits and becomes quiet).
  @inlinable
  public var bfloat16Bits: UInt16 {
    let bits = bitPattern
    if bits & 0x7FFF_FFFF > 0x7F80_0000 { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
    let roundingBias: UInt32 = 0x7FFF + ((bits >> 16) & 1)
    return UInt16(truncatingIfNeeded: (bits &+ roundingBias) >> 16)
  }

  /// The value of an FP8 E4M3 ("fn") bit pattern (exact; `S.1111.111` is NaN).
  @inlinable
  public init(float8E4M3Bits bits: UInt8) {
    self.init(bitPattern: widenedBits(UInt32(bits), exponentBits: 4, mantissaBits: 3,
                                      hasInfinity: false))
  }

  /// The FP8 E4M3 bit pattern nearest to `self` (ties to even; magnitudes above 448, and
  /// ±infinity, saturate to ±448; NaN gives `S.1111.111`).
  @inlinable
  public var float8E4M3Bits: UInt8 {
    UInt8(truncatingIfNeeded: narrowedBits(bitPattern, exponentBits: 4, mantissaBits: 3,
                                           hasInfinity: false, nanKeepsPayload: false))
  }

  /// The value of an FP8 E5M2 bit pattern (exact).
  @inlinable
  public init(float8E5M2Bits bits: UInt8) {
    self.init(bitPattern: widenedBits(UInt32(bits), exponentBits: 5, mantissaBits: 2,
                                      hasInfinity: true))
  }

  /// The FP8 E5M2 bit pattern nearest to `self` (ties to even; overflow gives ±infinity;
  /// NaN gives `S.11111.11`).
  @inlinable
  public var float8E5M2Bits: UInt8 {
    UInt8(truncatingIfNeeded: narrowedBits(bitPattern, exponentBits: 5, mantissaBits: 2,
                                           hasInfinity: true, nanKeepsPayload: false))
  }
}

/// Float32 bits of a narrow pattern with the given field widths (sign bit just above them).
/// Without infinity (E4M3fn) the top exponent is an ordinary binade except its all-ones mantissa.
@usableFromInline @inline(__always)
func widenedBits(
  _ bits: UInt32, exponentBits: UInt32, mantissaBits: UInt32, hasInfinity: Bool
) -> UInt32 {
  let width = exponentBits + mantissaBits
  let bias = (UInt32(1) << (exponentBits - 1)) - 1
  let sign = ((bits >> width) & 1) << 31
  let magnitude = bits & ((1 << width) - 1)
  let exponent = magnitude >> mantissaBits
  let mantissa = magnitude & ((1 << mantissaBits) - 1)
  if exponent == 0 {
    // Zero or subnormal: mantissa · 2^(1 - bias - mantissaBits), exact in Float32.
    let unit = Float(bitPattern: (127 + 1 - bias - mantissaBits) << 23)
    return sign | (Float(mantissa) * unit).bitPattern
  }
  let exponentAllOnes = exponent == (1 << exponentBits) - 1
  let isSpecial = hasInfinity ? exponentAllOnes : magnitude == (1 << width) - 1
  if isSpecial {
    if mantissa == 0 { return sign | 0x7F80_0000 }
    return sign | 0x7FC0_0000 | (mantissa << (23 - mantissaBits))
  }
  return sign | ((exponent + 127 - bias) << 23) | (mantissa << (23 - mantissaBits))
}

/// A narrow pattern (sign just above the fields) nearest to Float32 `bits`, ties to even.
@usableFromInline @inline(__always)
func narrowedBits(
  _ bits: UInt32, exponentBits: UInt32, mantissaBits: UInt32, hasInfinity: Bool,
  nanKeepsPayload: Bool
) -> UInt32 {
  let width = exponentBits + mantissaBits
  let shift = 23 - mantissaBits
  let bias = (UInt32(1) << (exponentBits - 1)) - 1
  let mantissaMask: UInt32 = (1 << mantissaBits) - 1
  let sign = (bits >> 31) << width
  let magnitude = bits & 0x7FFF_FFFF
  if magnitude > 0x7F80_0000 {
    guard nanKeepsPayload else { return sign | ((1 << width) - 1) }
    let quiet: UInt32 = 1 << (mantissaBits - 1)
    return sign | (((1 << exponentBits) - 1) << mantissaBits) | quiet
      | ((magnitude & 0x7F_FFFF) >> shift)
  }
  // Overflow: from the largest finite value plus half an ulp (IEEE formats, ties go up because
  // the largest mantissa is odd) or from the largest finite value itself (saturating E4M3fn).
  let overflowStart: UInt32
  let overflowCode: UInt32
  if hasInfinity {
    overflowStart = ((bias + 127) << 23) | (mantissaMask << shift) | (1 << (shift - 1))
    overflowCode = ((1 << exponentBits) - 1) << mantissaBits
  } else {
    overflowStart = ((bias + 1 + 127) << 23) | ((mantissaMask - 1) << shift)
    overflowCode = (1 << width) - 2
  }
  if magnitude >= overflowStart { return sign | overflowCode }
  if magnitude < (127 + 1 - bias) << 23 {
    // Below the smallest normal: adding 2^k whose Float32 ulp is the target's smallest subnormal
    // lets the FPU round to nearest even; the low bits are then the subnormal code.
    let magicBits = (127 + 1 - bias - mantissaBits + 23) << 23
    let sum = Float(bitPattern: magnitude) + Float(bitPattern: magicBits)
    return sign | (sum.bitPattern - magicBits)
  }
  let rebiased = magnitude - ((127 - bias) << 23)
  let roundingBias = (UInt32(1) << (shift - 1)) - 1 + ((magnitude >> shift) & 1)
  return sign | ((rebiased + roundingBias) >> shift)
}
