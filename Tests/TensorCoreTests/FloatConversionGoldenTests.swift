// The conversions against torch's tables (Fixtures/tensorcore/make_fixtures.py): every 16- and
// 8-bit pattern decoded, and ~200k Float32 inputs encoded, compared bit for bit.
import Foundation
import Testing
import TensorCore

/// The golden encode inputs, in the script's order: sign, then exponent, then mantissa table.
func goldenEncodeInputs() throws -> [Float] {
  let mantissas = try goldenTable("encode_mantissas.bin", as: UInt32.self)
  var inputs: [Float] = []
  inputs.reserveCapacity(2 * 256 * mantissas.count)
  for sign: UInt32 in 0..<2 {
    for exponent: UInt32 in 0..<256 {
      for mantissa in mantissas { inputs.append(Float(bitPattern: sign << 31 | exponent << 23 | mantissa)) }
    }
  }
  return inputs
}

/// The first few mismatches between two bit-pattern arrays, as text (empty when equal).
func bitMismatches<T: FixedWidthInteger>(
  _ actual: [T], _ expected: [T], inputs: [String], allowNaN: (T, T) -> Bool = { _, _ in false }
) -> [String] {
  var found: [String] = []
  for i in actual.indices where actual[i] != expected[i] && !allowNaN(actual[i], expected[i]) {
    found.append("input \(inputs[i]): got 0x\(String(actual[i], radix: 16)), torch 0x\(String(expected[i], radix: 16))")
    if found.count == 5 { break }
  }
  return found
}

@Suite("Float conversions match torch")
struct FloatConversionGoldenTests {
  @Test("every pattern decodes like torch, NaN payloads included", arguments: [
    (FloatEncoding.f16, "decode_f16.bin"), (.bf16, "decode_bf16.bin"),
    (.f8E4M3, "decode_f8e4m3.bin"), (.f8E5M2, "decode_f8e5m2.bin"),
  ])
  func decodeAllPatterns(encoding: FloatEncoding, table: String) throws {
    let expected = try goldenTable(table, as: UInt32.self)
    let patterns = encoding.byteSize == 2 ? 65536 : 256
    #expect(expected.count == patterns)
    var bytes: [UInt8] = []
    for pattern in 0..<patterns {
      bytes.append(UInt8(pattern & 0xFF))
      if encoding.byteSize == 2 { bytes.append(UInt8(pattern >> 8)) }
    }
    let decoded = bytes.withUnsafeBytes { decodeFloats($0, as: encoding) }.map(\.bitPattern)
    let inputs = (0..<patterns).map { "0x" + String($0, radix: 16) }
    #expect(bitMismatches(decoded, expected, inputs: inputs) == [])
  }

  @Test("F64 patterns decode like torch")
  func decodeFloat64() throws {
    let inputs = try goldenTable("decode_f64_inputs.bin", as: UInt64.self)
    let expected = try goldenTable("decode_f64.bin", as: UInt32.self)
    let bytes = inputs.flatMap { bits in (0..<8).map { UInt8(truncatingIfNeeded: bits >> (8 * $0)) } }
    let decoded = bytes.withUnsafeBytes { decodeFloats($0, as: .f64) }.map(\.bitPattern)
    let names = inputs.map { "0x" + String($0, radix: 16) }
    #expect(bitMismatches(decoded, expected, inputs: names) == [])
  }

  /// BF16 NaN bits are the one place we differ from torch on purpose: torch's vectorized CPU
  /// path writes 0xFFFF for every NaN and its scalar path 0x7FC0; we keep sign and payload.
  @Test("~200k Float32 inputs encode like torch", arguments: [
    (FloatEncoding.f16, "encode_f16.bin"), (.bf16, "encode_bf16.bin"),
  ])
  func encodeSixteenBit(encoding: FloatEncoding, table: String) throws {
    let inputs = try goldenEncodeInputs()
    let expected = try goldenTable(table, as: UInt16.self)
    #expect(expected.count == inputs.count)
    let encoded = encodeFloats(inputs, as: encoding)
    let actual = (0..<inputs.count).map { UInt16(encoded[2 * $0]) | UInt16(encoded[2 * $0 + 1]) << 8 }
    func isBFloat16NaN(_ bits: UInt16) -> Bool { bits & 0x7F80 == 0x7F80 && bits & 0x7F != 0 }
    let names = inputs.map { "0x" + String($0.bitPattern, radix: 16) }
    #expect(bitMismatches(actual, expected, inputs: names) { a, b in
      encoding == .bf16 && isBFloat16NaN(a) && isBFloat16NaN(b)
    } == [])
  }

  @Test("~200k Float32 inputs encode to FP8 like torch", arguments: [
    (FloatEncoding.f8E4M3, "encode_f8e4m3.bin"), (.f8E5M2, "encode_f8e5m2.bin"),
  ])
  func encodeEightBit(encoding: FloatEncoding, table: String) throws {
    let inputs = try goldenEncodeInputs()
    let expected = try goldenTable(table, as: UInt8.self)
    let actual = encodeFloats(inputs, as: encoding)
    let names = inputs.map { "0x" + String($0.bitPattern, radix: 16) }
    #expect(bitMismatches(actual, expected, inputs: names) == [])
  }
}
