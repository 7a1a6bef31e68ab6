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
// The kernels below are branch-light bit manipulation, generic over a layout type so that each
// format gets a specialized copy with its constants folded; `Reference` holds arithmetic twins.

extension Float {
  /// The value of an IEEE binary16 bit pattern (exact).
  ///
  /// Branch-free (after Maratos' FP16 method, as in PyTorch's c10): normal, infinite and NaN
  /// inputs are rebiased by a multiplication by 2^-112, which is exact and quiets a NaN while
  /// keeping its payload; subnormals are read off a Float32 with the magic exponent of 0.5.
  @inlinable
  public init(float16Bits bits: UInt16) {
    let shifted = UInt32(bits) &<< 17  // sign dropped, exponent at bit 27
    let sign = (UInt32(bits) & 0x8000) &<< 16
    let normal = Float(bitPattern: (shifted &>> 4) &+ (0xE0 << 23)) * Float(bitPattern: 0x0780_0000)
    let subnormal = Float(bitPattern: (shifted &>> 17) | (126 << 23)) - 0.5
    let magnitude = shifted < (1 << 27) ? subnormal.bitPattern : normal.bitPattern
    self.init(bitPattern: sign | magnitude)
  }

  /// The binary16 bit pattern nearest to `self` (ties to even; overflow gives ±infinity).
  @inlinable
  public var float16Bits: UInt16 {
    UInt16(truncatingIfNeeded: narrowedBits(bitPattern, as: Float16Layout.self))
  }

  /// The value of a bfloat16 bit pattern (exact: the upper half of a Float32).
  @inlinable
  public init(bfloat16Bits bits: UInt16) {
    self.init(bitPattern: UInt32(bits) &<< 16)
  }

  /// The bfloat16 bit pattern nearest to `self` (ties to even; overflow gives ±infinity;
  /// NaN keeps its sign and top payload bits and becomes quiet).
  @inlinable
  public var bfloat16Bits: UInt16 {
    let bits = bitPattern
    if bits & 0x7FFF_FFFF > 0x7F80_0000 { return UInt16(truncatingIfNeeded: bits &>> 16) | 0x0040 }
    let roundingBias: UInt32 = 0x7FFF &+ ((bits &>> 16) & 1)
    return UInt16(truncatingIfNeeded: (bits &+ roundingBias) &>> 16)
  }

  /// The value of an FP8 E4M3 ("fn") bit pattern (exact; `S.1111.111` is NaN).
  @inlinable
  public init(float8E4M3Bits bits: UInt8) {
    self.init(bitPattern: widenedBits(UInt32(bits), as: Float8E4M3Layout.self))
  }

  /// The FP8 E4M3 bit pattern nearest to `self` (ties to even; magnitudes above 448, and
  /// ±infinity, saturate to ±448; NaN gives `S.1111.111`).
  @inlinable
  public var float8E4M3Bits: UInt8 {
    UInt8(truncatingIfNeeded: narrowedBits(bitPattern, as: Float8E4M3Layout.self))
  }

  /// The value of an FP8 E5M2 bit pattern (exact).
  @inlinable
  public init(float8E5M2Bits bits: UInt8) {
    self.init(bitPattern: widenedBits(UInt32(bits), as: Float8E5M2Layout.self))
  }

  /// The FP8 E5M2 bit pattern nearest to `self` (ties to even; overflow gives ±infinity;
  /// NaN gives `S.11111.11`).
  @inlinable
  public var float8E5M2Bits: UInt8 {
    UInt8(truncatingIfNeeded: narrowedBits(bitPattern, as: Float8E5M2Layout.self))
  }
}

/// The field widths and special-value rules of a narrow format (sign bit just above the fields).
@usableFromInline
protocol NarrowFloatLayout {
  static var exponentBits: UInt32 { get }
  static var mantissaBits: UInt32 { get }
  /// False for E4M3fn: its top binade is finite except the all-ones mantissa (NaN), and
  /// overflow saturates to the largest finite value.
  static var hasInfinity: Bool { get }
  /// True when narrowing keeps a NaN's top payload bits (F16); false for the FP8 all-ones NaN.
  static var nanKeepsPayload: Bool { get }
}

@usableFromInline enum Float16Layout: NarrowFloatLayout {
  @inlinable static var exponentBits: UInt32 { 5 }
  @inlinable static var mantissaBits: UInt32 { 10 }
  @inlinable static var hasInfinity: Bool { true }
  @inlinable static var nanKeepsPayload: Bool { true }
}

@usableFromInline enum Float8E4M3Layout: NarrowFloatLayout {
  @inlinable static var exponentBits: UInt32 { 4 }
  @inlinable static var mantissaBits: UInt32 { 3 }
  @inlinable static var hasInfinity: Bool { false }
  @inlinable static var nanKeepsPayload: Bool { false }
}

@usableFromInline enum Float8E5M2Layout: NarrowFloatLayout {
  @inlinable static var exponentBits: UInt32 { 5 }
  @inlinable static var mantissaBits: UInt32 { 2 }
  @inlinable static var hasInfinity: Bool { true }
  @inlinable static var nanKeepsPayload: Bool { false }
}

/// Float32 bits of a narrow pattern (exact).
@inlinable @inline(__always)
func widenedBits<Layout: NarrowFloatLayout>(_ bits: UInt32, as _: Layout.Type) -> UInt32 {
  let (e, m) = (Layout.exponentBits, Layout.mantissaBits)
  let width = e + m
  let bias = (UInt32(1) &<< (e - 1)) - 1
  let sign = ((bits &>> width) & 1) &<< 31
  let magnitude = bits & ((1 &<< width) - 1)
  let exponent = magnitude &>> m
  let mantissa = magnitude & ((1 &<< m) - 1)
  if exponent == 0 {
    // Zero or subnormal: mantissa · 2^(1 - bias - m), exact in Float32.
    let unit = Float(bitPattern: (127 + 1 - bias - m) &<< 23)
    return sign | (Float(mantissa) * unit).bitPattern
  }
  let exponentAllOnes = exponent == (1 &<< e) - 1
  let isSpecial = Layout.hasInfinity ? exponentAllOnes : magnitude == (1 &<< width) - 1
  if isSpecial {
    if mantissa == 0 { return sign | 0x7F80_0000 }
    return sign | 0x7FC0_0000 | (mantissa &<< (23 - m))
  }
  return sign | ((exponent + 127 - bias) &<< 23) | (mantissa &<< (23 - m))
}

/// The narrow pattern nearest to Float32 `bits`, ties to even.
@inlinable @inline(__always)
func narrowedBits<Layout: NarrowFloatLayout>(_ bits: UInt32, as _: Layout.Type) -> UInt32 {
  let (e, m) = (Layout.exponentBits, Layout.mantissaBits)
  let width = e + m
  let shift = 23 - m
  let bias = (UInt32(1) &<< (e - 1)) - 1
  let mantissaMask: UInt32 = (1 &<< m) - 1
  let sign = (bits &>> 31) &<< width
  let magnitude = bits & 0x7FFF_FFFF
  if magnitude > 0x7F80_0000 {
    guard Layout.nanKeepsPayload else { return sign | ((1 &<< width) - 1) }
    let quiet: UInt32 = 1 &<< (m - 1)
    return sign | (((1 &<< e) - 1) &<< m) | quiet | ((magnitude & 0x7F_FFFF) &>> shift)
  }
  // Overflow: from the largest finite value plus half an ulp (IEEE formats, ties go up because
  // the largest mantissa is odd) or from the largest finite value itself (saturating E4M3fn).
  let overflowStart: UInt32
  let overflowCode: UInt32
  if Layout.hasInfinity {
    overflowStart = ((bias + 127) &<< 23) | (mantissaMask &<< shift) | (1 &<< (shift - 1))
    overflowCode = ((1 &<< e) - 1) &<< m
  } else {
    overflowStart = ((bias + 1 + 127) &<< 23) | ((mantissaMask - 1) &<< shift)
    overflowCode = (1 &<< width) - 2
  }
  if magnitude >= overflowStart { return sign | overflowCode }
  if magnitude < (127 + 1 - bias) &<< 23 {
    // Below the smallest normal: adding 2^k whose Float32 ulp is the target's smallest subnormal
    // lets the FPU round to nearest even; the low bits are then the subnormal code.
    let magicBits = (127 + 1 - bias - m + 23) &<< 23
    let sum = Float(bitPattern: magnitude) + Float(bitPattern: magicBits)
    return sign | (sum.bitPattern &- magicBits)
  }
  let rebiased = magnitude &- ((127 - bias) &<< 23)
  let roundingBias = (UInt32(1) &<< (shift - 1)) - 1 + ((magnitude &>> shift) & 1)
  return sign | ((rebiased &+ roundingBias) &>> shift)
}
