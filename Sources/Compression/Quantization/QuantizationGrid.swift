// The min-max grid of one group of one row, after the GPTQ reference quantizer
// (IST-DASLab/gptq `quant.py`, `Quantizer.find_params` and `quantize`; Frantar et al., arXiv 2210.17323).
//
// Deliberate difference from the reference: the scale is rounded to Float16 before the zero point
// and the codes are computed, because the GPTQ checkpoint stores scales as F16 and the codes must be
// the nearest ones for the scale a loader will actually use. The F16 scale is kept inside
// [Float16.leastNonzeroMagnitude, Float16.greatestFiniteMagnitude] and the zero point inside
// [minimumZero, maxCode]. Everything else, including the quirks, is the reference's.

/// The uniform grid `scale · (code − zero)` with `code ∈ 0...maxCode` of one group of one row.
public struct QuantizationGrid: Sendable, Equatable {
  /// The step between neighbouring codes; always positive, finite and exactly representable in F16.
  public let scale: Float
  /// The code that represents 0 (the true zero point, not GPTQ v1's zero − 1).
  public let zero: Int32
  /// The largest code, `2^bits − 1`.
  public let maxCode: Int32

  /// Creates a grid from its parts; `scale` must be positive, finite and F16-representable and
  /// `zero` must lie in `0...maxCode`.
  public init(scale: Float, zero: Int32, maxCode: Int32) {
    precondition(
      Self.isStorableScale(scale),
      "QuantizationGrid: scale \(scale) is not a positive finite F16 value")
    precondition((0...maxCode).contains(zero), "QuantizationGrid: zero \(zero) outside 0...\(maxCode)")
    self.scale = scale
    self.zero = zero
    self.maxCode = maxCode
  }

  /// The reference min-max grid for a group whose smallest and largest values are given.
  ///
  /// `xmin = min(minimum, 0)`, `xmax = max(maximum, 0)`; symmetric: `xmax = max(|xmin|, xmax)` and
  /// `xmin = −xmax` only if `xmin < 0` (a row with no negative value keeps `xmin = 0`, as in the
  /// reference); both zero → `−1, +1`; `scale = F16((xmax − xmin) / maxCode)`; zero =
  /// `(maxCode + 1) / 2` if symmetric, else `round(−xmin / scale)`; then zero is clamped to
  /// `minimumZero...maxCode` (GPTQ v1 needs `minimumZero: 1`, see `GPTQPackedTensors`).
  /// - Precondition: `minimum` and `maximum` are finite (NaN/Inf weights are the caller's job).
  public init(minimum: Float, maximum: Float, bits: Int, symmetric: Bool, minimumZero: Int32 = 0) {
    precondition(
      minimum.isFinite && maximum.isFinite,
      "QuantizationGrid: non-finite range [\(minimum), \(maximum)]")
    precondition((2...8).contains(bits), "QuantizationGrid: bits \(bits) outside 2...8")
    let maxCode = Int32((1 << bits) - 1)
    precondition(
      (0...maxCode).contains(minimumZero),
      "QuantizationGrid: minimumZero \(minimumZero) outside 0...\(maxCode)")
    var xmin = Swift.min(minimum, 0)
    var xmax = Swift.max(maximum, 0)
    if symmetric {
      xmax = Swift.max(abs(xmin), xmax)
      if xmin < 0 { xmin = -xmax }
    }
    if xmin == 0 && xmax == 0 {
      xmin = -1
      xmax = 1
    }
    let scale = Self.roundedToFloat16((xmax - xmin) / Float(maxCode))
    var zero: Int32
    if symmetric {
      zero = (maxCode + 1) / 2
    } else {
      let raw = (-xmin / scale).rounded(.toNearestOrEven)
      zero = Int32(Swift.min(Swift.max(raw, 0), Float(maxCode)))
    }
    zero = Swift.min(Swift.max(zero, minimumZero), maxCode)
    self.init(scale: scale, zero: zero, maxCode: maxCode)
  }

  /// The reference min-max grid fitted to `values` (one group of one row).
  public init(
    fitting values: some Sequence<Float>, bits: Int, symmetric: Bool, minimumZero: Int32 = 0
  ) {
    var minimum = Float.infinity
    var maximum = -Float.infinity
    for value in values {
      minimum = Swift.min(minimum, value)
      maximum = Swift.max(maximum, value)
    }
    if minimum > maximum {  // empty group
      minimum = 0
      maximum = 0
    }
    self.init(
      minimum: minimum, maximum: maximum, bits: bits, symmetric: symmetric,
      minimumZero: minimumZero)
  }

  /// The code of `value`: `clamp(round(value / scale) + zero, 0, maxCode)`, rounding half to even
  /// (as `torch.round`). Note `round(w/s) + z`, not `round(w/s + z)`: they differ on exact ties.
  @inlinable
  public func code(_ value: Float) -> UInt8 {
    let shifted = (value / scale).rounded(.toNearestOrEven) + Float(zero)
    return UInt8(Swift.min(Swift.max(shifted, 0), Float(maxCode)))
  }

  /// The value a code stands for: `scale · (code − zero)`.
  @inlinable
  public func value(ofCode code: UInt8) -> Float {
    scale * Float(Int32(code) - zero)
  }

  /// Whether `scale` is positive, finite and exactly an F16 value, as every stored scale must be.
  static func isStorableScale(_ scale: Float) -> Bool {
    scale > 0 && scale.isFinite && Float(float16Bits: scale.float16Bits) == scale
  }

  /// `x` rounded to the nearest F16 value, kept inside the positive finite F16 range. (TensorCore's
  /// bit-level conversions, inlined: `Float16` itself is a library call per conversion on
  /// baseline x86-64, and every group of every row is fitted here.)
  static func roundedToFloat16(_ x: Float) -> Float {
    let half = Float(float16Bits: x.float16Bits)
    return Swift.min(Swift.max(half, 0x1p-24), 65504)  // F16's least nonzero and greatest finite
  }
}
