import CompressionTestSupport
import PropertyBased
import TensorCore
import Testing

@testable import Compression

/// The v1 "gptq" checkpoint layout: shapes, the zero − 1 convention, round trips and typed errors.
@Suite struct GPTQLayoutTests {
  /// A random quantized matrix with zeros ≥ 1 and an arbitrary (non-monotone) g_idx.
  static func randomMatrix(
    rows: Int, columns: Int, scheme: QuantizationScheme, seed: UInt64
  ) -> QuantizedMatrix {
    var generator = SeededGenerator(seed: seed)
    let maxCode = scheme.maxCode
    let groups = scheme.groupCount(columns: columns)
    let codes = (0..<rows * columns).map { _ in UInt8(Int.random(in: 0...maxCode, using: &generator)) }
    let zeros = (0..<groups * rows).map { _ in Int32(Int.random(in: 1...maxCode, using: &generator)) }
    let scales = (0..<groups * rows).map { _ in
      Float(Float16(Float.random(in: 1e-4...0.5, using: &generator)))
    }
    let gIdx = (0..<columns).map { _ in Int32(Int.random(in: 0..<groups, using: &generator)) }
    return QuantizedMatrix(
      rows: rows, columns: columns, scheme: scheme, codes: codes, scales: scales, zeros: zeros,
      gIdx: gIdx)
  }

  @Test func packThenUnpackIsTheIdentity() async {
    await propertyCheck(
      count: 60, input: Gen<Int>.value(in: 0...6), Gen<Int>.value(in: 1...4),
      Gen<Int>.value(in: 1...4), Gen<Int>.value(in: 0...5),
      Gen<UInt64>.value()
    ) { bitsChoice, rowBlocks, columnBlocks, groupChoice, seed in
      let bits = [2, 3, 4, 5, 6, 7, 8][bitsChoice]
      let groupSize = [nil, 1, 16, 32, 48, 128][groupChoice]
      let rows = rowBlocks * [2: 16, 3: 32, 4: 8, 5: 32, 6: 16, 7: 32, 8: 4][bits]!
      let columns = columnBlocks * 32
      let scheme = try QuantizationScheme(bits: bits, groupSize: groupSize, symmetric: false)
      let m = Self.randomMatrix(rows: rows, columns: columns, scheme: scheme, seed: seed)
      let packed = try GPTQPackedTensors.pack(m)
      #expect(packed.qweightShape == [columns * bits / 32, rows])
      #expect(packed.qzerosShape == [m.groupCount, rows * bits / 32])
      #expect(packed.scalesShape == [m.groupCount, rows])
      #expect(try packed.unpack(rows: rows, columns: columns, scheme: scheme) == m)
    }
  }

  @Test(arguments: [
    (2, [UInt32(0x5555_5555)]), (4, [0x7777_7777]), (8, [0x7F7F_7F7F]),
    (3, [0xDB6D_B6DB, 0xB6DB_6DB6, 0x6DB6_DB6D]),
  ])
  func symmetricZerosStoreZeroMinusOneInEveryField(bits: Int, words: [UInt32]) throws {
    let scheme = try QuantizationScheme(bits: bits, groupSize: 32, symmetric: true)
    var generator = SeededGenerator(seed: 9)
    let weight = Tensor(shape: [64, 64], scalars: generator.gaussians(64 * 64))
    let packed = try GPTQPackedTensors.pack(quantizeRoundToNearest(weight, scheme: scheme))
    let perGroup = 64 * bits / 32
    for (k, word) in packed.qzeros.enumerated() {
      #expect(UInt32(bitPattern: word) == words[(k % perGroup) % words.count])
    }
  }

  @Test func outputsNeedOnlyAMultipleOfThePackingFactorOutsideThreeBits() throws {
    let scheme = try QuantizationScheme(bits: 4, groupSize: nil, symmetric: true)
    let m = Self.randomMatrix(rows: 40, columns: 64, scheme: scheme, seed: 1)
    let packed = try GPTQPackedTensors.pack(m)
    #expect(packed.qzerosShape == [1, 5])
    #expect(try packed.unpack(rows: 40, columns: 64, scheme: scheme) == m)
  }

  @Test(arguments: [
    (4, 64, 48, QuantizationError.columnsNotMultiple(columns: 48, multiple: 32, bits: 4)),
    (3, 48, 64, .rowsNotMultiple(rows: 48, multiple: 32, bits: 3)),
    (4, 4, 64, .rowsNotMultiple(rows: 4, multiple: 8, bits: 4)),
    (2, 8, 64, .rowsNotMultiple(rows: 8, multiple: 16, bits: 2)),
    (5, 16, 32, .rowsNotMultiple(rows: 16, multiple: 32, bits: 5)),
    (6, 8, 32, .rowsNotMultiple(rows: 8, multiple: 16, bits: 6)),
  ])
  func badShapesAndWidthsAreTypedErrors(bits: Int, rows: Int, columns: Int, error: QuantizationError)
    throws
  {
    let scheme = try QuantizationScheme(bits: bits, groupSize: nil, symmetric: true)
    var generator = SeededGenerator(seed: 2)
    let weight = Tensor(shape: [rows, columns], scalars: generator.gaussians(rows * columns))
    let m = quantizeRoundToNearest(weight, scheme: scheme)
    #expect(throws: error) { try GPTQPackedTensors.pack(m) }
  }

  @Test func errorMessagesNameTheNumbers() {
    let columns = QuantizationError.columnsNotMultiple(columns: 48, multiple: 32, bits: 4).description
    #expect(columns.contains("48") && columns.contains("32"))
    let rows = QuantizationError.rowsNotMultiple(rows: 48, multiple: 32, bits: 3).description
    #expect(rows.contains("48") && rows.contains("32"))
  }

  /// A true zero point of 0 would be stored as −1 (all ones); v1 cannot carry it, so pack refuses
  /// and `minimumZero: 1` avoids it.
  @Test func asymmetricZeroOfZeroIsRefusedUnlessClamped() throws {
    let scheme = try QuantizationScheme(bits: 4, groupSize: 32, symmetric: false)
    let positive = Tensor(shape: [8, 32], scalars: (0..<256).map { Float($0 % 32) / 31 })
    let unclamped = quantizeRoundToNearest(positive, scheme: scheme)
    #expect(unclamped.zeros.allSatisfy { $0 == 0 })
    #expect(throws: QuantizationError.zeroPointNotStorable(zero: 0, group: 0, row: 0)) {
      try GPTQPackedTensors.pack(unclamped)
    }
    let clamped = quantizeRoundToNearest(
      positive, scheme: scheme, minimumZero: GPTQPackedTensors.minimumZero)
    #expect(clamped.zeros.allSatisfy { $0 == 1 })
    let packed = try GPTQPackedTensors.pack(clamped)
    #expect(packed.qzeros == [0])
    #expect(try packed.unpack(rows: 8, columns: 32, scheme: scheme) == clamped)
  }

  /// Reading, a stored all-ones field gives zero 0: (stored + 1) mod 2^bits, as AutoGPTQ's torch path.
  @Test func unpackAddsOneBackModuloTheWidth() throws {
    let scheme = try QuantizationScheme(bits: 4, groupSize: nil, symmetric: false)
    let packed = GPTQPackedTensors(
      qweight: [Int32](repeating: 0, count: 4 * 8), qweightShape: [4, 8], qzeros: [-1],
      qzerosShape: [1, 1], scales: [UInt16](repeating: Float16(0.5).bitPattern, count: 8),
      scalesShape: [1, 8], gIdx: [Int32](repeating: 0, count: 32))
    let m = try packed.unpack(rows: 8, columns: 32, scheme: scheme)
    #expect(m.zeros == [Int32](repeating: 0, count: 8))
  }

  @Test func unpackValidatesEveryTensor() throws {
    let scheme = try QuantizationScheme(bits: 4, groupSize: 16, symmetric: true)
    let m = Self.randomMatrix(rows: 8, columns: 32, scheme: scheme, seed: 4)
    let good = try GPTQPackedTensors.pack(m)
    func variant(
      qweightShape: [Int]? = nil, qzeros: [Int32]? = nil, scales: [UInt16]? = nil, gIdx: [Int32]? = nil
    ) -> GPTQPackedTensors {
      GPTQPackedTensors(
        qweight: good.qweight, qweightShape: qweightShape ?? good.qweightShape,
        qzeros: qzeros ?? good.qzeros, qzerosShape: good.qzerosShape, scales: scales ?? good.scales,
        scalesShape: good.scalesShape, gIdx: gIdx ?? good.gIdx)
    }
    func unpack(_ p: GPTQPackedTensors) throws(QuantizationError) {
      _ = try p.unpack(rows: 8, columns: 32, scheme: scheme)
    }
    let wrongShape = QuantizationError.packedShapeMismatch(
      tensor: "qweight", expected: [4, 8], actual: [8, 4])
    #expect(throws: wrongShape) {
      try unpack(variant(qweightShape: [8, 4]))
    }
    #expect(throws: QuantizationError.packedCountMismatch(tensor: "qzeros", shape: [2, 1], count: 1)) {
      try unpack(variant(qzeros: [good.qzeros[0]]))
    }
    #expect(throws: QuantizationError.packedShapeMismatch(tensor: "g_idx", expected: [32], actual: [31])) {
      try unpack(variant(gIdx: Array(good.gIdx.dropLast())))
    }
    var gIdx = good.gIdx
    gIdx[5] = 2
    #expect(throws: QuantizationError.groupIndexOutOfRange(column: 5, groupIndex: 2, groupCount: 2)) {
      try unpack(variant(gIdx: gIdx))
    }
    var scales = good.scales
    scales[9] = Float16.nan.bitPattern
    #expect(throws: QuantizationError.scaleNotPositiveFinite(group: 1, row: 1, bitPattern: scales[9])) {
      try unpack(variant(scales: scales))
    }
    scales[9] = 0
    #expect(throws: QuantizationError.scaleNotPositiveFinite(group: 1, row: 1, bitPattern: 0)) {
      try unpack(variant(scales: scales))
    }
  }
}
