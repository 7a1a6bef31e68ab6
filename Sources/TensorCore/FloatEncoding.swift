// Bulk conversions between raw little-endian buffers (as stored in safetensors and GGUF files)
// and Float32 arrays. Tight loops over unaligned loads; no per-element allocation.

/// A floating-point element encoding of a raw buffer.
public enum FloatEncoding: Sendable, Equatable, CaseIterable {
  /// IEEE binary64.
  case f64
  /// IEEE binary32.
  case f32
  /// IEEE binary16.
  case f16
  /// bfloat16: the upper half of a binary32.
  case bf16
  /// OCP FP8 E4M3 "fn": bias 7, no infinities, NaN = `S.1111.111`, largest finite 448.
  case f8E4M3
  /// OCP FP8 E5M2: bias 15, IEEE-like with infinities, largest finite 57344.
  case f8E5M2

  /// The number of bytes per element.
  public var byteSize: Int {
    switch self {
    case .f64: 8
    case .f32: 4
    case .f16, .bf16: 2
    case .f8E4M3, .f8E5M2: 1
    }
  }
}

/// Decodes a little-endian buffer of `encoding` elements to Float32.
///
/// Narrow formats widen exactly; F64 rounds to nearest even (overflow gives ±infinity).
/// `bytes.count` must be a multiple of `encoding.byteSize`; no alignment is required.
public func decodeFloats(_ bytes: UnsafeRawBufferPointer, as encoding: FloatEncoding) -> [Float] {
  precondition(
    bytes.count % encoding.byteSize == 0,
    "decodeFloats: \(bytes.count) bytes is not a multiple of \(encoding.byteSize) (\(encoding))")
  let count = bytes.count / encoding.byteSize
  return [Float](unsafeUninitializedCapacity: count) { out, initialized in
    decodeFloats(bytes, as: encoding, into: UnsafeMutableBufferPointer(rebasing: out[0..<count]))
    initialized = count
  }
}

/// Decodes a little-endian buffer of `encoding` elements into existing storage, for callers
/// that reuse buffers (a fresh array's first-touch page faults cost more than the conversion).
/// `destination.count` must equal `bytes.count / encoding.byteSize`.
public func decodeFloats(
  _ bytes: UnsafeRawBufferPointer, as encoding: FloatEncoding,
  into destination: UnsafeMutableBufferPointer<Float>
) {
  let count = destination.count
  precondition(
    bytes.count == count * encoding.byteSize,
    "decodeFloats: \(bytes.count) bytes of \(encoding) do not fill \(count) floats")
  let out = destination
  switch encoding {
  case .f64:
    for i in 0..<count {
      let bits = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
      out[i] = Float(Double(bitPattern: bits))
    }
  case .f32:
    for i in 0..<count {
      let bits = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
      out[i] = Float(bitPattern: bits)
    }
  case .f16:
    for i in 0..<count {
      let bits = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
      out[i] = Float(float16Bits: bits)
    }
  case .bf16:
    for i in 0..<count {
      let bits = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
      out[i] = Float(bfloat16Bits: bits)
    }
  case .f8E4M3:
    for i in 0..<count { out[i] = Float(float8E4M3Bits: bytes[i]) }
  case .f8E5M2:
    for i in 0..<count { out[i] = Float(float8E5M2Bits: bytes[i]) }
  }
}

/// Encodes Float32 values as a little-endian buffer of `encoding` elements.
///
/// Narrowing rounds to nearest even; overflow and NaN follow PyTorch (see `docs/numerics.md`):
/// ±infinity for F16, BF16 and E5M2, saturation to ±448 for E4M3. F64 widens exactly.
public func encodeFloats(_ values: [Float], as encoding: FloatEncoding) -> [UInt8] {
  let size = encoding.byteSize
  return [UInt8](unsafeUninitializedCapacity: values.count * size) { buffer, initialized in
    // A copy of the pointer: writing through the closure's inout `buffer` from the nested
    // closure below would cost a dynamic exclusivity check per element.
    let out = UnsafeMutableRawBufferPointer(buffer)
    values.withUnsafeBufferPointer { input in
      switch encoding {
      case .f64:
        for (i, value) in input.enumerated() {
          out.storeBytes(of: Double(value).bitPattern.littleEndian, toByteOffset: 8 * i, as: UInt64.self)
        }
      case .f32:
        for (i, value) in input.enumerated() {
          out.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
        }
      case .f16:
        for (i, value) in input.enumerated() {
          out.storeBytes(of: value.float16Bits.littleEndian, toByteOffset: 2 * i, as: UInt16.self)
        }
      case .bf16:
        for (i, value) in input.enumerated() {
          out.storeBytes(of: value.bfloat16Bits.littleEndian, toByteOffset: 2 * i, as: UInt16.self)
        }
      case .f8E4M3:
        for (i, value) in input.enumerated() { out[i] = value.float8E4M3Bits }
      case .f8E5M2:
        for (i, value) in input.enumerated() { out[i] = value.float8E5M2Bits }
      }
    }
    initialized = values.count * size
  }
}
