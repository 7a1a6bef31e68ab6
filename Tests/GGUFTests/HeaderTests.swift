import CompressionTestSupport
import Foundation
import GGUF
import Testing

/// Builds GGUF bytes field by field, so each test can break exactly one rule.
struct GGUFBytes {
  var bytes: [UInt8] = []

  mutating func u32(_ v: UInt32) { bytes += withUnsafeBytes(of: v.littleEndian, Array.init) }
  mutating func u64(_ v: UInt64) { bytes += withUnsafeBytes(of: v.littleEndian, Array.init) }
  mutating func i64(_ v: Int64) { bytes += withUnsafeBytes(of: v.littleEndian, Array.init) }
  mutating func string(_ s: String) { raw(Array(s.utf8)) }
  mutating func raw(_ b: [UInt8]) {
    u64(UInt64(b.count))
    bytes += b
  }
  mutating func pad(to alignment: Int) { while bytes.count % alignment != 0 { bytes.append(0) } }

  /// magic, version, counts.
  static func start(version: UInt32 = 3, tensors: UInt64, kv: UInt64) -> GGUFBytes {
    var b = GGUFBytes(bytes: Array("GGUF".utf8))
    b.u32(version)
    b.u64(tensors)
    b.u64(kv)
    return b
  }

  mutating func tensor(_ name: String, dims: [Int64], type: UInt32, offset: UInt64) {
    string(name)
    u32(UInt32(dims.count))
    for d in dims { i64(d) }
    u32(type)
    u64(offset)
  }

  /// One F32 tensor `w` of 8 × 2 with its data, after one string KV.
  static func valid() -> GGUFBytes {
    var b = start(tensors: 1, kv: 1)
    b.string("general.architecture")
    b.u32(8)
    b.string("llama")
    b.tensor("w", dims: [8, 2], type: 0, offset: 0)
    b.pad(to: 32)
    b.bytes += [UInt8](repeating: 0, count: 64)
    return b
  }

  func parse() throws(GGUFError) -> GGUFHeader {
    let result: Result<GGUFHeader, GGUFError> = bytes.withUnsafeBytes { raw in
      Result { () throws(GGUFError) in try GGUFHeader.parse(raw) }
    }
    return try result.get()
  }
}

/// One test per header rule, each with the exact error.
@Suite struct HeaderTests {
  @Test func validMinimalFileParses() throws {
    let header = try GGUFBytes.valid().parse()
    #expect(header.version == 3 && header.alignment == 32 && header.dataStart == 128)
    #expect(header["general.architecture"]?.string == "llama")
    let w = try #require(header.tensor(named: "w"))
    #expect(w.dimensions == [8, 2] && w.shape == [2, 8] && w.byteCount == 64 && w.type == .f32)
  }

  @Test func everyTruncationIsRefusedWithoutCrashing() {
    let full = GGUFBytes.valid().bytes
    for length in 0..<full.count {
      let prefix = GGUFBytes(bytes: Array(full[0..<length]))
      #expect(throws: GGUFError.self, "length \(length)") { try prefix.parse() }
    }
  }

  @Test func badMagicAndVersion() {
    var b = GGUFBytes.valid()
    b.bytes[0] = UInt8(ascii: "X")
    #expect(throws: GGUFError.badMagic(found: Array("XGUF".utf8))) { try b.parse() }
    b = GGUFBytes.valid()
    b.bytes[4] = 4
    #expect(throws: GGUFError.unsupportedVersion(4)) { try b.parse() }
    b.bytes[4] = 2
    #expect((try? b.parse())?.version == 2)
  }

  @Test func hugeCountsAreRefusedBeforeAllocating() {
    var b = GGUFBytes.start(tensors: UInt64.max, kv: 0)
    #expect(throws: GGUFError.countTooLarge(what: "tensor count", count: UInt64.max, offset: 8, remaining: 8)) { try b.parse() }
    b = GGUFBytes.start(tensors: 0, kv: 1)
    b.string("tokens")
    b.u32(9)  // array
    b.u32(8)  // of strings
    b.u64(1 << 40)
    let huge = b
    guard case .countTooLarge(let what, _, _, _)? = catchError({ () throws(GGUFError) in try huge.parse() }) else {
      Issue.record("a huge array count is not refused as countTooLarge")
      return
    }
    #expect(what == "array `tokens`")
    b = GGUFBytes.start(tensors: 0, kv: 1)
    b.u64(UInt64.max)  // key length
    b.u64(0)
    #expect(throws: GGUFError.truncated(what: "metadata key", offset: 32, needed: Int.max, fileSize: 40)) { try b.parse() }
  }

  @Test func metadataRules() {
    var b = GGUFBytes.start(tensors: 0, kv: 1)
    b.string("k")
    b.u32(13)
    b.u64(0)
    #expect(throws: GGUFError.unknownValueType(key: "k", type: 13, offset: 33)) { try b.parse() }
    b = GGUFBytes.start(tensors: 0, kv: 1)
    b.string("k")
    b.u32(7)
    b.bytes.append(2)
    #expect(throws: GGUFError.invalidBool(key: "k", byte: 2, offset: 37)) { try b.parse() }
    b = GGUFBytes.start(tensors: 0, kv: 1)
    b.raw([0x66, 0xFF])
    b.u32(0)
    b.bytes.append(0)
    #expect(throws: GGUFError.invalidUTF8(what: "metadata key", offset: 32)) { try b.parse() }
    b = GGUFBytes.start(tensors: 0, kv: 2)
    for _ in 0..<2 {
      b.string("k")
      b.u32(0)
      b.bytes.append(1)
    }
    #expect(throws: GGUFError.duplicateKey("k")) { try b.parse() }
    b = GGUFBytes.start(tensors: 0, kv: 1)
    b.string("general.alignment")
    b.u32(4)
    b.u32(24)
    #expect(throws: GGUFError.invalidAlignment(found: "uint32 24")) { try b.parse() }
  }

  @Test func nestedArraysParseAndTooDeepIsRefused() throws {
    var b = GGUFBytes.start(tensors: 0, kv: 1)
    b.string("nested")
    b.u32(9)
    b.u32(9)
    b.u64(2)
    for n in 0..<2 {
      b.u32(8)
      b.u64(UInt64(n + 1))
      for _ in 0...n { b.string("s") }
    }
    #expect(try b.parse()["nested"] == .array(.array([.string(["s"]), .string(["s", "s"])])))
    var deep = GGUFBytes.start(tensors: 0, kv: 1)
    deep.string("deep")
    deep.u32(9)
    for _ in 0..<20 {
      deep.u32(9)
      deep.u64(1)
    }
    #expect(throws: GGUFError.arrayTooDeep(key: "deep", limit: 8)) { try deep.parse() }
  }

  @Test func tensorInfoRules() {
    func single(_ name: String = "w", dims: [Int64] = [8, 2], type: UInt32 = 0, offset: UInt64 = 0, data: Int = 64) -> GGUFBytes {
      var b = GGUFBytes.start(tensors: 1, kv: 0)
      b.tensor(name, dims: dims, type: type, offset: offset)
      b.pad(to: 32)
      b.bytes += [UInt8](repeating: 0, count: data)
      return b
    }
    #expect(throws: GGUFError.invalidTensorName(name: "", length: 0)) { try single("").parse() }
    #expect(throws: GGUFError.invalidTensorName(name: String(repeating: "n", count: 64), length: 64)) {
      try single(String(repeating: "n", count: 64)).parse()
    }
    #expect(throws: GGUFError.tooManyDimensions(tensor: "w", count: 5)) { try single(dims: [1, 1, 1, 1, 1]).parse() }
    #expect(throws: GGUFError.negativeDimension(tensor: "w", dimensions: [8, -2])) { try single(dims: [8, -2]).parse() }
    #expect(throws: GGUFError.unknownTensorType(tensor: "w", type: 4)) { try single(type: 4).parse() }
    #expect(throws: GGUFError.rowNotBlockAligned(tensor: "w", type: .q8_0, rowLength: 8, blockSize: 32)) {
      try single(type: 8).parse()
    }
    #expect(throws: GGUFError.sizeOverflow(tensor: "w", dimensions: [1 << 40, 1 << 40])) {
      try single(dims: [1 << 40, 1 << 40]).parse()
    }
    #expect(throws: GGUFError.misalignedOffset(tensor: "w", offset: 4, alignment: 32)) { try single(offset: 4).parse() }
    #expect(throws: GGUFError.dataPastEnd(tensor: "w", end: 160, fileSize: 159)) { try single(data: 63).parse() }
  }

  @Test func duplicateAndOverlappingTensors() {
    var b = GGUFBytes.start(tensors: 2, kv: 0)
    b.tensor("a", dims: [8, 2], type: 0, offset: 0)
    b.tensor("a", dims: [8], type: 0, offset: 64)
    #expect(throws: GGUFError.duplicateTensor("a")) { try b.parse() }
    b = GGUFBytes.start(tensors: 2, kv: 0)
    b.tensor("a", dims: [16, 2], type: 0, offset: 0)
    b.tensor("b", dims: [8], type: 0, offset: 96)
    b.pad(to: 32)
    b.bytes += [UInt8](repeating: 0, count: 160)
    #expect(throws: GGUFError.overlappingTensors(tensor: "b", begin: 96, previous: "a", previousEnd: 128)) { try b.parse() }
  }

  @Test func fileErrorsNameThePath() throws {
    let folder = Fixtures.temporaryDirectory("gguf-header")
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("bad.gguf").path
    try Data("GGUF".utf8).write(to: URL(fileURLWithPath: path))
    #expect(throws: GGUFError.file(path: path, .truncated(what: "version", offset: 4, needed: 4, fileSize: 4))) {
      try GGUFFile(path: path)
    }
    let error = try #require(catchError { () throws(GGUFError) in try GGUFFile(path: path) })
    #expect(error.description == "\(path): truncated file: version needs 4 bytes at offset 4, but the file is 4 bytes")
  }

  @Test func randomCorruptionNeverCrashes() {
    let original = GGUFBytes.valid().bytes
    var generator = SeededGenerator(seed: 11)
    for _ in 0..<2000 {
      var corrupt = original
      for _ in 0..<Int.random(in: 1...4, using: &generator) {
        corrupt[Int.random(in: 0..<corrupt.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
      }
      _ = try? GGUFBytes(bytes: corrupt).parse()
    }
  }
}

func catchError(_ body: () throws(GGUFError) -> some Any) -> GGUFError? {
  do {
    _ = try body()
    return nil
  } catch {
    return error
  }
}
