// Arithmetic twins of the bit-manipulation conversions in Float+NarrowFormats.swift: values are
// computed as (-1)^s · 2^e · (1 + m / 2^M) in Double, and rounding is `rounded(.toNearestOrEven)`
// of the value divided by the quantum of its binade. Only NaN payloads are handled bit by bit.

extension Reference {
  /// Field widths of an encoding, for the reference conversions.
  private struct Layout {
    var exponentBits: Int
    var mantissaBits: Int
    /// False for E4M3fn: its top binade is finite except the all-ones mantissa (NaN).
    var hasInfinity: Bool
    var bias: Int { (1 << (exponentBits - 1)) - 1 }
    var maxExponentField: UInt64 { (1 << UInt64(exponentBits)) - 1 }
    var mantissaMask: UInt64 { (1 << UInt64(mantissaBits)) - 1 }
    /// The largest finite magnitude.
    var largestFinite: Double {
      hasInfinity
        ? (2 - Double(sign: .plus, exponent: -mantissaBits, significand: 1))
          * Double(sign: .plus, exponent: bias, significand: 1)
        : (2 - Double(sign: .plus, exponent: 1 - mantissaBits, significand: 1))
          * Double(sign: .plus, exponent: Int(maxExponentField) - bias, significand: 1)
    }

    init(_ encoding: FloatEncoding) {
      switch encoding {
      case .f64: (exponentBits, mantissaBits, hasInfinity) = (11, 52, true)
      case .f32: (exponentBits, mantissaBits, hasInfinity) = (8, 23, true)
      case .f16: (exponentBits, mantissaBits, hasInfinity) = (5, 10, true)
      case .bf16: (exponentBits, mantissaBits, hasInfinity) = (8, 7, true)
      case .f8E4M3: (exponentBits, mantissaBits, hasInfinity) = (4, 3, false)
      case .f8E5M2: (exponentBits, mantissaBits, hasInfinity) = (5, 2, true)
      }
    }
  }

  /// The Float32 value of an `encoding` bit pattern (low bits of `bits`), computed arithmetically.
  /// F64 patterns are rounded to Float32 with `encode(_:as: .f32)`.
  public static func decode(_ bits: UInt64, from encoding: FloatEncoding) -> Float {
    let layout = Layout(encoding)
    let width = UInt64(layout.exponentBits + layout.mantissaBits)
    let negative = (bits >> width) & 1 == 1
    let exponent = (bits >> UInt64(layout.mantissaBits)) & layout.maxExponentField
    let mantissa = bits & layout.mantissaMask
    let topBinade = exponent == layout.maxExponentField
    if topBinade && (layout.hasInfinity || mantissa == layout.mantissaMask) {
      if mantissa == 0 { return negative ? -.infinity : .infinity }
      return decodedNaN(negative: negative, payload: mantissa, layout: layout, encoding: encoding)
    }
    let magnitude =
      exponent == 0
      ? Double(mantissa) * Double(sign: .plus, exponent: 1 - layout.bias - layout.mantissaBits,
                                  significand: 1)
      : (1 + Double(mantissa) * Double(sign: .plus, exponent: -layout.mantissaBits, significand: 1))
        * Double(sign: .plus, exponent: Int(exponent) - layout.bias, significand: 1)
    let value = negative ? -magnitude : magnitude
    if encoding == .f64 { return Float(bitPattern: UInt32(encode(value, as: .f32))) }
    return Float(value)  // exact: every narrower value is a Float32
  }

  private static func decodedNaN(
    negative: Bool, payload: UInt64, layout: Layout, encoding: FloatEncoding
  ) -> Float {
    let sign: UInt32 = negative ? 0x8000_0000 : 0
    let shifted =
      layout.mantissaBits > 23
      ? UInt32(payload >> UInt64(layout.mantissaBits - 23))
      : UInt32(payload) << UInt32(23 - layout.mantissaBits)
    // BF16 widening is a shift, so a signaling NaN stays signaling; the others become quiet.
    let quiet: UInt32 = (encoding == .bf16 || encoding == .f32) ? 0 : 0x40_0000
    return Float(bitPattern: sign | 0x7F80_0000 | quiet | shifted)
  }

  /// The `encoding` bit pattern nearest to `value`: ties to even; overflow to ±infinity, or to
  /// ±448 for E4M3 (which also takes ±infinity there); NaN per `docs/numerics.md`.
  public static func encode(_ value: Double, as encoding: FloatEncoding) -> UInt64 {
    let layout = Layout(encoding)
    let m = layout.mantissaBits
    let signBit: UInt64 = value.sign == .minus ? 1 << UInt64(layout.exponentBits + m) : 0
    let infinityCode = layout.maxExponentField << UInt64(m)
    if value.isNaN {
      if encoding == .f8E4M3 || encoding == .f8E5M2 { return signBit | infinityCode | layout.mantissaMask }
      let payload = (value.bitPattern & 0xF_FFFF_FFFF_FFFF) >> UInt64(52 - m)
      return signBit | infinityCode | (1 << UInt64(m - 1)) | payload
    }
    let largestCode = layout.hasInfinity ? infinityCode - 1 : infinityCode | (layout.mantissaMask - 1)
    let overflowCode = layout.hasInfinity ? infinityCode : largestCode
    let magnitude = value.magnitude
    if magnitude.isInfinite { return signBit | overflowCode }
    let minNormalExponent = 1 - layout.bias
    let quantumExponent = (magnitude == 0 ? minNormalExponent : max(Int(magnitude.exponent), minNormalExponent)) - m
    let quantum = Double(sign: .plus, exponent: quantumExponent, significand: 1)
    let steps = (magnitude / quantum).rounded(.toNearestOrEven)
    let rounded = steps * quantum
    if rounded > layout.largestFinite { return signBit | overflowCode }
    if rounded < Double(sign: .plus, exponent: minNormalExponent, significand: 1) {
      return signBit | UInt64(steps)  // subnormal (or zero): the count of smallest subnormals
    }
    let exponent = Int(rounded.exponent)
    let fraction = rounded / Double(sign: .plus, exponent: exponent, significand: 1) - 1
    let mantissa = UInt64(fraction * Double(sign: .plus, exponent: m, significand: 1))
    return signBit | (UInt64(exponent + layout.bias) << UInt64(m)) | mantissa
  }
}
