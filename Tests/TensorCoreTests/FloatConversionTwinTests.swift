// The bit-manipulation conversions held to their arithmetic twins in `Reference` and, for F16,
// to Swift's own `Float16`; plus the bulk buffer layout.
import CompressionTestSupport
import PropertyBased
import Testing
import TensorCore

/// The fast scalar conversion of one bit pattern (low bits) of a narrow encoding.
func fastDecode(_ bits: UInt64, _ encoding: FloatEncoding) -> Float {
  switch encoding {
  case .f64: Float(Double(bitPattern: bits))
  case .f32: Float(bitPattern: UInt32(bits))
  case .f16: Float(float16Bits: UInt16(bits))
  case .bf16: Float(bfloat16Bits: UInt16(bits))
  case .f8E4M3: Float(float8E4M3Bits: UInt8(bits))
  case .f8E5M2: Float(float8E5M2Bits: UInt8(bits))
  }
}

/// The fast scalar encoding of a Float32 as a bit pattern.
func fastEncode(_ value: Float, _ encoding: FloatEncoding) -> UInt64 {
  switch encoding {
  case .f64: Double(value).bitPattern
  case .f32: UInt64(value.bitPattern)
  case .f16: UInt64(value.float16Bits)
  case .bf16: UInt64(value.bfloat16Bits)
  case .f8E4M3: UInt64(value.float8E4M3Bits)
  case .f8E5M2: UInt64(value.float8E5M2Bits)
  }
}

let narrowEncodings: [FloatEncoding] = [.f16, .bf16, .f8E4M3, .f8E5M2]

@Suite("Float conversions vs their twins")
struct FloatConversionTwinTests {
  @Test("fast decode equals the arithmetic reference on every pattern", arguments: narrowEncodings)
  func decodeTwin(encoding: FloatEncoding) {
    let patterns: UInt64 = encoding.byteSize == 2 ? 65536 : 256
    var mismatches: [String] = []
    for bits in 0..<patterns {
      let fast = fastDecode(bits, encoding).bitPattern
      let reference = Reference.decode(bits, from: encoding).bitPattern
      if fast != reference, mismatches.count < 5 {
        mismatches.append("0x\(String(bits, radix: 16)): 0x\(String(fast, radix: 16)) vs 0x\(String(reference, radix: 16))")
      }
    }
    #expect(mismatches == [])
  }

  @Test("fast encode equals the arithmetic reference on the golden inputs", arguments: narrowEncodings)
  func encodeTwin(encoding: FloatEncoding) throws {
    var mismatches: [String] = []
    for value in try goldenEncodeInputs() {
      let fast = fastEncode(value, encoding)
      let reference = Reference.encode(Double(value), as: encoding)
      if fast != reference, mismatches.count < 5 {
        mismatches.append("0x\(String(value.bitPattern, radix: 16)): \(fast) vs \(reference)")
      }
    }
    #expect(mismatches == [])
  }

  /// Exact comparison, so random inputs cannot make it flaky; a failure prints its seed.
  @Test("fast encode equals the reference on random bit patterns")
  func encodeTwinRandom() async {
    await propertyCheck(count: 2000, input: Gen.uint32()) { bits in
      let value = Float(bitPattern: bits)
      for encoding in narrowEncodings {
        #expect(fastEncode(value, encoding) == Reference.encode(Double(value), as: encoding),
                "\(encoding) of 0x\(String(bits, radix: 16))")
      }
    }
  }

  @Test("F16 agrees with Swift's Float16 (NaN compared as NaN)")
  func float16Oracle() throws {
    for bits in UInt16.min...UInt16.max {
      let ours = Float(float16Bits: bits)
      let swift = Float(Float16(bitPattern: bits))
      #expect(ours.bitPattern == swift.bitPattern || (ours.isNaN && swift.isNaN))
    }
    var mismatches = 0
    for value in try goldenEncodeInputs() where !value.isNaN {
      if value.float16Bits != Float16(value).bitPattern { mismatches += 1 }
    }
    #expect(mismatches == 0)
  }

  @Test("F64 decode equals the reference rounding on the golden F64 inputs")
  func float64Twin() throws {
    for bits in try goldenTable("decode_f64_inputs.bin", as: UInt64.self) {
      #expect(Float(Double(bitPattern: bits)).bitPattern == Reference.decode(bits, from: .f64).bitPattern)
    }
  }

  @Test("narrow values survive encode then decode exactly", arguments: FloatEncoding.allCases)
  func roundTrip(encoding: FloatEncoding) {
    let patterns = encoding.byteSize == 1 ? 256 : 65536
    var bytes = [UInt8](repeating: 0, count: patterns * encoding.byteSize)
    var generator = SeededGenerator(seed: 5)
    for i in bytes.indices {
      let (element, byte) = i.quotientAndRemainder(dividingBy: encoding.byteSize)
      bytes[i] = encoding.byteSize <= 2
        ? UInt8(truncatingIfNeeded: element >> (8 * byte))  // every pattern once
        : UInt8.random(in: 0...255, using: &generator)
    }
    let decoded = bytes.withUnsafeBytes { decodeFloats($0, as: encoding) }
    let encoded = encodeFloats(decoded, as: encoding)
    let again = encoded.withUnsafeBytes { decodeFloats($0, as: encoding) }
    #expect(zip(decoded, again).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) })
    if encoding != .f64 && encoding != .f32 {
      // Every non-NaN pattern except -0 → -0 is its own image (E4M3 has two NaN patterns only).
      let stable = (0..<patterns).filter { !decoded[$0].isNaN }.allSatisfy { i in
        (0..<encoding.byteSize).allSatisfy { encoded[i * encoding.byteSize + $0] == bytes[i * encoding.byteSize + $0] }
      }
      #expect(stable)
    }
  }

  @Test("bulk buffers are little-endian and need no alignment")
  func bulkLayout() {
    let values: [Float] = [1, -2, 0.5]
    #expect(encodeFloats(values, as: .f16) == [0x00, 0x3C, 0x00, 0xC0, 0x00, 0x38])
    #expect(encodeFloats(values, as: .bf16) == [0x80, 0x3F, 0x00, 0xC0, 0x00, 0x3F])
    #expect(encodeFloats(values, as: .f8E4M3) == [0x38, 0xC0, 0x30])
    #expect(encodeFloats(values, as: .f8E5M2) == [0x3C, 0xC0, 0x38])
    #expect(encodeFloats([1], as: .f32) == [0x00, 0x00, 0x80, 0x3F])
    #expect(encodeFloats([1], as: .f64) == [0, 0, 0, 0, 0, 0, 0xF0, 0x3F])
    let shifted: [UInt8] = [0xAA, 0x00, 0x3C, 0x00, 0xC0]  // one byte of padding, then two F16
    let decoded = shifted.withUnsafeBytes { decodeFloats(UnsafeRawBufferPointer(rebasing: $0[1...]), as: .f16) }
    #expect(decoded == [1, -2])
    #expect([UInt8]().withUnsafeBytes { decodeFloats($0, as: .bf16) } == [])
    var reused = [Float](repeating: .nan, count: 2)
    shifted.withUnsafeBytes { raw in
      reused.withUnsafeMutableBufferPointer {
        decodeFloats(UnsafeRawBufferPointer(rebasing: raw[1...]), as: .f16, into: $0)
      }
    }
    #expect(reused == [1, -2])
    #expect(FloatEncoding.allCases.map(\.byteSize) == [8, 4, 2, 2, 1, 1])
  }

  @Test("overflow, saturation and NaN at each format's edge")
  func edges() {
    #expect(Float(65519).float16Bits == 0x7BFF)
    #expect(Float(65520).float16Bits == 0x7C00)
    #expect(Float(464).float8E4M3Bits == 0x7E && Float.infinity.float8E4M3Bits == 0x7E)
    #expect((-Float.infinity).float8E4M3Bits == 0xFE)
    #expect(Float(61439).float8E5M2Bits == 0x7B && Float(61440).float8E5M2Bits == 0x7C)
    #expect(Float.greatestFiniteMagnitude.bfloat16Bits == 0x7F80)
    #expect(Float.nan.float8E4M3Bits == 0x7F && (-Float.nan).float8E5M2Bits == 0xFF)
    #expect(Float(bfloat16Bits: Float.nan.bfloat16Bits).isNaN)
    #expect(Float(float8E4M3Bits: 0x7E) == 448 && Float(float8E5M2Bits: 0x7B) == 57344)
    #expect(Float(float16Bits: 0x0001) == Float(sign: .plus, exponent: -24, significand: 1))
    #expect(Float(float8E4M3Bits: 0x01) == Float(sign: .plus, exponent: -9, significand: 1))
  }
}
