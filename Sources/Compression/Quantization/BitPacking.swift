// LSB-first bit streams of `bits`-bit values in 32-bit words, the packing of GPTQ checkpoints.
//
// Value k of a run occupies bits [k·bits, (k+1)·bits) of the stream, word w holding stream bits
// [32·w, 32·w + 32). For 2, 4 and 8 bits that is "pf = 32/bits values per word, value j at bits
// b·j" (AutoGPTQ `pack`); for 3 bits it is exactly AutoGPTQ's 10|1|10|1|10 scheme: 32 values fill
// three words, v10 and v21 straddling word boundaries (passes.md §8.1).

/// Packs and unpacks runs of small unsigned values as LSB-first bit streams.
enum BitPacking {
  /// The number of 32-bit words that `count` values of `bits` bits fill; `count · bits` must be a
  /// multiple of 32.
  static func wordCount(values count: Int, bits: Int) -> Int {
    precondition(
      count * bits % 32 == 0, "BitPacking: \(count) values of \(bits) bits do not fill whole words")
    return count * bits / 32
  }

  /// Writes `values` (each masked to `bits` bits) as one bit stream into `words`, which must hold
  /// exactly `wordCount(values: values.count, bits: bits)` words.
  static func pack(
    _ values: UnsafeBufferPointer<UInt8>, bits: Int, into words: UnsafeMutableBufferPointer<UInt32>
  ) {
    precondition(
      words.count == wordCount(values: values.count, bits: bits),
      "BitPacking: \(words.count) words for \(values.count) values of \(bits) bits")
    let mask = UInt32((1 << bits) - 1)
    for w in words.indices { words[w] = 0 }
    for k in values.indices {
      let value = UInt32(values[k]) & mask
      let bit = k * bits
      let word = bit >> 5
      let offset = UInt32(bit & 31)
      words[word] |= value &<< offset
      if Int(offset) + bits > 32 { words[word + 1] |= value &>> (32 - offset) }
    }
  }

  /// Reads `values.count` values of `bits` bits from the bit stream in `words`.
  static func unpack(
    _ words: UnsafeBufferPointer<UInt32>, bits: Int, into values: UnsafeMutableBufferPointer<UInt8>
  ) {
    precondition(
      words.count == wordCount(values: values.count, bits: bits),
      "BitPacking: \(words.count) words for \(values.count) values of \(bits) bits")
    let mask = UInt32((1 << bits) - 1)
    for k in values.indices {
      let bit = k * bits
      let word = bit >> 5
      let offset = UInt32(bit & 31)
      var value = words[word] &>> offset
      if Int(offset) + bits > 32 { value |= words[word + 1] &<< (32 - offset) }
      values[k] = UInt8(value & mask)
    }
  }

  /// Convenience: packs an array into a new word array.
  static func pack(_ values: [UInt8], bits: Int) -> [UInt32] {
    var words = [UInt32](repeating: 0, count: wordCount(values: values.count, bits: bits))
    values.withUnsafeBufferPointer { values in
      words.withUnsafeMutableBufferPointer { pack(values, bits: bits, into: $0) }
    }
    return words
  }

  /// Convenience: unpacks `count` values from a word array.
  static func unpack(_ words: [UInt32], bits: Int, count: Int) -> [UInt8] {
    var values = [UInt8](repeating: 0, count: count)
    words.withUnsafeBufferPointer { words in
      values.withUnsafeMutableBufferPointer { unpack(words, bits: bits, into: $0) }
    }
    return values
  }
}
