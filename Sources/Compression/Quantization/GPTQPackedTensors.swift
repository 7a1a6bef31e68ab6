// The GPTQ checkpoint layout, v1 "gptq" checkpoint_format (AutoGPTQ `qlinear_cuda_old.pack`,
// GPTQModel `pack_block`; consumed by transformers/optimum, vLLM, TGI, exllama). passes.md §8.1.
// Legend: R = out, C = in, G = groups, b = bits.
//
// qweight (C·b/32, R) I32: codes packed along the INPUT dim, LSB-first (`BitPacking`).
// qzeros  (G, R·b/32) I32: zero − 1, masked to b bits, packed along the OUTPUT dim.
// scales  (G, R)      F16 (kept here as raw bit patterns).
// g_idx   (C)         I32.
//
// The v1 "minus one": AutoGPTQ packs `zeros − 1` and loaders add 1 back (its torch path masks the
// sum to b bits). Symmetric 4-bit zeros (8) are therefore stored as 7 in every nibble: each qzeros
// word is 0x77777777 (2-bit 0x55555555, 8-bit 0x7F7F7F7F). An asymmetric zero of 0 would be stored as
// −1, i.e. all ones in its field; loaders then read zero 2^b (CUDA/exllama kernels) or 0 (masked
// torch path), so it is not portable: `pack` refuses it and RTN/GPTQ quantize with
// `minimumZero: GPTQPackedTensors.minimumZero` (1) instead, as TGI does.

/// The four tensors of one quantized linear in the GPTQ v1 checkpoint layout.
public struct GPTQPackedTensors: Sendable, Equatable {
  /// The smallest zero point the v1 format stores faithfully; quantize asymmetric schemes with
  /// `minimumZero: GPTQPackedTensors.minimumZero`.
  public static let minimumZero: Int32 = 1

  /// Codes packed along the input dimension, row-major. // (C·b/32, R)
  public let qweight: [Int32]
  /// The shape of `qweight`, `[in · bits / 32, out]`.
  public let qweightShape: [Int]
  /// Zero points minus one, packed along the output dimension, row-major. // (G, R·b/32)
  public let qzeros: [Int32]
  /// The shape of `qzeros`, `[groups, out · bits / 32]`.
  public let qzerosShape: [Int]
  /// Scales as IEEE binary16 bit patterns, row-major. // (G, R)
  public let scales: [UInt16]
  /// The shape of `scales`, `[groups, out]`.
  public let scalesShape: [Int]
  /// The group of each input column. // (C)
  public let gIdx: [Int32]

  /// Wraps tensors read from a checkpoint; nothing is checked until `unpack`.
  public init(
    qweight: [Int32], qweightShape: [Int], qzeros: [Int32], qzerosShape: [Int],
    scales: [UInt16], scalesShape: [Int], gIdx: [Int32]
  ) {
    self.qweight = qweight
    self.qweightShape = qweightShape
    self.qzeros = qzeros
    self.qzerosShape = qzerosShape
    self.scales = scales
    self.scalesShape = scalesShape
    self.gIdx = gIdx
  }

  /// Checks that a `(rows, columns)` weight at `bits` has a GPTQ layout: bits 2, 3, 4 or 8;
  /// `columns` a multiple of 32; `rows` a multiple of 32 (3 bits) or of 32/bits (otherwise).
  public static func checkLayout(rows: Int, columns: Int, bits: Int) throws(QuantizationError) {
    guard columns % 32 == 0 else {
      throw .columnsNotMultiple(columns: columns, multiple: 32, bits: bits)
    }
    // qzeros packs each group's `rows` zero points as one bit stream of whole words.
    let rowMultiple = 32 / gcd(bits, 32)
    guard rows % rowMultiple == 0 else {
      throw .rowsNotMultiple(rows: rows, multiple: rowMultiple, bits: bits)
    }
  }

  /// Packs a quantized matrix into the v1 layout.
  /// - Throws: the `checkLayout` errors, or `.zeroPointNotStorable` for a zero point of 0.
  public static func pack(_ m: QuantizedMatrix) throws(QuantizationError) -> GPTQPackedTensors {
    let (rows, columns, bits, groups) = (m.rows, m.columns, m.scheme.bits, m.groupCount)
    try checkLayout(rows: rows, columns: columns, bits: bits)
    if let bad = m.zeros.firstIndex(where: { $0 < minimumZero }) {
      throw .zeroPointNotStorable(zero: m.zeros[bad], group: bad / rows, row: bad % rows)
    }
    let packedRows = columns * bits / 32
    var qweight = [Int32](repeating: 0, count: packedRows * rows)  // (C·b/32, R)
    var rowWords = [UInt32](repeating: 0, count: packedRows)
    m.codes.withUnsafeBufferPointer { codes in
      for r in 0..<rows {
        rowWords.withUnsafeMutableBufferPointer { words in
          BitPacking.pack(
            UnsafeBufferPointer(rebasing: codes[r * columns..<(r + 1) * columns]), bits: bits,
            into: words)
          for k in 0..<packedRows { qweight[k * rows + r] = Int32(bitPattern: words[k]) }
        }
      }
    }
    let mask = Int32((1 << bits) - 1)
    let stored = m.zeros.map { UInt8(($0 - 1) & mask) }  // (G, R)
    let zeroWords = rows * bits / 32
    var qzeros = [Int32](repeating: 0, count: groups * zeroWords)  // (G, R·b/32)
    var groupWords = [UInt32](repeating: 0, count: zeroWords)
    stored.withUnsafeBufferPointer { stored in
      for g in 0..<groups {
        groupWords.withUnsafeMutableBufferPointer { words in
          BitPacking.pack(
            UnsafeBufferPointer(rebasing: stored[g * rows..<(g + 1) * rows]), bits: bits,
            into: words)
          for k in 0..<zeroWords { qzeros[g * zeroWords + k] = Int32(bitPattern: words[k]) }
        }
      }
    }
    return GPTQPackedTensors(
      qweight: qweight, qweightShape: [packedRows, rows], qzeros: qzeros,
      qzerosShape: [groups, zeroWords], scales: m.scales.map { Float16($0).bitPattern },
      scalesShape: [groups, rows], gIdx: m.gIdx)
  }

  /// Unpacks the v1 layout of a `(rows, columns)` weight quantized with `scheme`, validating every
  /// shape, group index and scale. Zero points are `(stored + 1) mod 2^bits`, as AutoGPTQ's torch
  /// loader computes them.
  public func unpack(
    rows: Int, columns: Int, scheme: QuantizationScheme
  ) throws(QuantizationError) -> QuantizedMatrix {
    let bits = scheme.bits
    try Self.checkLayout(rows: rows, columns: columns, bits: bits)
    let groups = scheme.groupCount(columns: columns)
    try validate(rows: rows, columns: columns, bits: bits, groups: groups)
    let packedRows = columns * bits / 32
    var codes = [UInt8](repeating: 0, count: rows * columns)  // (R, C)
    var rowWords = [UInt32](repeating: 0, count: packedRows)
    codes.withUnsafeMutableBufferPointer { codes in
      for r in 0..<rows {
        for k in 0..<packedRows { rowWords[k] = UInt32(bitPattern: qweight[k * rows + r]) }
        rowWords.withUnsafeBufferPointer { words in
          BitPacking.unpack(
            words, bits: bits,
            into: UnsafeMutableBufferPointer(rebasing: codes[r * columns..<(r + 1) * columns]))
        }
      }
    }
    let stored = BitPacking.unpack(
      qzeros.map { UInt32(bitPattern: $0) }, bits: bits, count: groups * rows)  // (G, R)
    let mask = Int32((1 << bits) - 1)
    return QuantizedMatrix(
      rows: rows, columns: columns, scheme: scheme, codes: codes,
      scales: scales.map { Float(Float16(bitPattern: $0)) },
      zeros: stored.map { (Int32($0) + 1) & mask }, gIdx: gIdx)
  }

  /// Checks shapes, counts, group indices and scales against `(rows, columns, bits, groups)`.
  private func validate(rows: Int, columns: Int, bits: Int, groups: Int) throws(QuantizationError) {
    let expected: [(String, [Int], [Int], Int)] = [
      ("qweight", [columns * bits / 32, rows], qweightShape, qweight.count),
      ("qzeros", [groups, rows * bits / 32], qzerosShape, qzeros.count),
      ("scales", [groups, rows], scalesShape, scales.count),
      ("g_idx", [columns], [gIdx.count], gIdx.count),
    ]
    for (name, want, shape, count) in expected {
      guard shape == want else { throw .packedShapeMismatch(tensor: name, expected: want, actual: shape) }
      guard count == shape.reduce(1, *) else {
        throw .packedCountMismatch(tensor: name, shape: shape, count: count)
      }
    }
    if let bad = gIdx.firstIndex(where: { $0 < 0 || Int($0) >= groups }) {
      throw .groupIndexOutOfRange(column: bad, groupIndex: gIdx[bad], groupCount: groups)
    }
    if let bad = scales.firstIndex(where: {
      let scale = Float16(bitPattern: $0)
      return !(scale > 0 && scale.isFinite)
    }) {
      throw .scaleNotPositiveFinite(group: bad / rows, row: bad % rows, bitPattern: scales[bad])
    }
  }
}

/// The greatest common divisor of two positive integers.
private func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
