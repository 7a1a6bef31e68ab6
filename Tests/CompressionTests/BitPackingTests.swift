import CompressionTestSupport
import Testing

@testable import Compression

/// The LSB-first bit streams behind GPTQ's qweight/qzeros.
@Suite struct BitPackingTests {
  @Test func fourBitsPackEightValuesPerWordLSBFirst() {
    #expect(BitPacking.pack([1, 2, 3, 4, 5, 6, 7, 8], bits: 4) == [0x8765_4321])
    #expect(BitPacking.pack([3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2], bits: 2) == [0x9393_9393])
    #expect(BitPacking.pack([0x7F, 0x01, 0xFF, 0x10], bits: 8) == [0x10FF_017F])
  }

  /// passes.md §8.1 spelled out by hand: word0 = v0..v9 at 0,3,…,27 + low 2 bits of v10 at 30–31;
  /// word1 = bit 2 of v10 at 0, v11..v20 at 1,4,…,28, bit 0 of v21 at 31;
  /// word2 = bits 1–2 of v21 at 0–1, v22..v31 at 2,5,…,29.
  @Test func threeBitsFollowTheTenOneTenOneTenScheme() {
    var generator = SeededGenerator(seed: 3)
    for _ in 0..<50 {
      let v = (0..<32).map { _ in UInt32.random(in: 0...7, using: &generator) }
      var expected: [UInt32] = [0, 0, 0]
      for j in 0..<10 { expected[0] |= v[j] << (3 * j) }
      expected[0] |= (v[10] & 0b11) << 30
      expected[1] |= v[10] >> 2
      for j in 0..<10 { expected[1] |= v[11 + j] << (3 * j + 1) }
      expected[1] |= (v[21] & 1) << 31
      expected[2] |= v[21] >> 1
      for j in 0..<10 { expected[2] |= v[22 + j] << (3 * j + 2) }
      #expect(BitPacking.pack(v.map { UInt8($0) }, bits: 3) == expected)
    }
  }

  @Test(arguments: 2...8)
  func unpackInvertsPack(bits: Int) {
    var generator = SeededGenerator(seed: UInt64(bits))
    for count in [32, 64, 96, 320] {
      let values = (0..<count).map { _ in UInt8.random(in: 0...UInt8((1 << bits) - 1), using: &generator) }
      let words = BitPacking.pack(values, bits: bits)
      #expect(words.count == count * bits / 32)
      #expect(BitPacking.unpack(words, bits: bits, count: count) == values)
    }
  }

  @Test func valuesAreMaskedToTheirWidth() {
    // A stray high bit must not bleed into the neighbour.
    #expect(BitPacking.pack([0xFF, 0, 0, 0, 0, 0, 0, 0], bits: 4) == [0x0000_000F])
  }
}
