import CompressionTestSupport
import Foundation
@testable import Safetensors
import Testing

/// Hostile inputs: random mutations must parse or throw, never crash or hang, and whatever is
/// accepted must satisfy every invariant.
@Suite struct FuzzTests {
  static func validFile() -> [UInt8] {
    let text = "{\"__metadata__\":{\"k\":\"v\"},\"a\":\(entry("F32", "[2,1]", "[0,8]")),"
      + "\"b\":\(entry("U8", "[3]", "[8,11]")),\"c\":\(entry("I16", "[]", "[11,13]")),"
      + "\"e\":\(entry("BF16", "[0,5]", "[13,13]"))}   "
    return fileBytes(text, data: Array(0..<13))
  }

  @Test func randomMutationsNeverCrash() {
    let original = Self.validFile()
    let headerEnd = original.count - 13
    var generator = SeededGenerator(seed: 2024)
    var accepted = 0
    for _ in 0..<4000 {
      var bytes = original
      for _ in 0..<Int.random(in: 1...4, using: &generator) {
        mutate(&bytes, headerEnd: headerEnd, using: &generator)
      }
      switch parse(bytes) {
      case .success(let header):
        accepted += 1
        #expect(invariantViolation(header, fileSize: bytes.count) == nil)
      case .failure(let error):
        #expect(!error.description.isEmpty && !error.description.contains("\n"))
      }
    }
    #expect(accepted > 0)
  }

  private func mutate(_ bytes: inout [UInt8], headerEnd: Int, using generator: inout SeededGenerator) {
    let interesting: [UInt8] = Array("{}[]\",:-.eE0123456789 \\u".utf8) + [0, 0x80, 0xFF]
    let inHeader = Int.random(in: 0..<10, using: &generator) < 8
    let range = inHeader ? 8..<min(headerEnd, bytes.count) : 0..<bytes.count
    guard !range.isEmpty else { return }
    let at = Int.random(in: range, using: &generator)
    switch Int.random(in: 0..<6, using: &generator) {
    case 0: bytes[at] = UInt8.random(in: 0...255, using: &generator)
    case 1: bytes[at] = interesting.randomElement(using: &generator)!
    case 2: bytes.remove(at: at)
    case 3: bytes.insert(interesting.randomElement(using: &generator)!, at: at)
    case 4: bytes[Int.random(in: 0..<8, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
    default: bytes.removeLast(Int.random(in: 0...min(4, bytes.count), using: &generator))
    }
  }

  @Test func truncationsAtEveryLength() {
    let original = Self.validFile()
    for length in 0..<original.count {
      if case .success = parse(Array(original.prefix(length))) {
        Issue.record("a prefix of \(length) bytes parsed")
      }
    }
  }

  @Test func headerPrefixWhateverTheChunking() throws {
    let original = Self.validFile()
    let expected = try parse(original).get()
    var generator = SeededGenerator(seed: 77)
    for trial in 0..<50 {
      var prefix = HeaderPrefix()
      var offset = 0
      var complete = false
      while !complete && offset < original.count {
        let count = trial == 0 ? 1 : Int.random(in: 1...40, using: &generator)
        let chunk = Array(original[offset..<min(original.count, offset + count)])
        complete = try withTypedBytes(chunk) { (bytes) throws(SafetensorsError) in try prefix.take(bytes) }
        offset += chunk.count
      }
      #expect(complete)
      #expect(prefix.bytes.count == expected.dataStart)
      #expect(try prefix.parse() == expected)
    }
  }

  @Test func zstdBombStopsAtTheSizeTheHeaderImplies() throws {
    let folder = Fixtures.temporaryDirectory("st-bomb")
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("bomb.safetensors.zst").path
    let plain = fileBytes("{\"a\":\(entry())}", data: [UInt8](repeating: 0, count: 64 << 20))
    let encoder = try ZstdEncoder(level: 1, pledgedSize: nil)
    var compressed: [UInt8] = []
    let sink: (UnsafeRawBufferPointer) throws(SafetensorsError) -> Void = { compressed += $0 }
    try withTypedBytes(plain) { (bytes) throws(SafetensorsError) in try encoder.compress(bytes, into: sink) }
    try encoder.finish(into: sink)
    writeFile(path, compressed)
    #expect {
      _ = try SafetensorsFile(path: path)
    } throws: { error in
      guard case .file(path, .trailingData(covered: 4, let dataSize))? = error as? SafetensorsError else { return false }
      return dataSize < 8 << 20  // stopped after the first output chunks, not 64 MiB
    }
  }

  @Test func zstdHeaderOnlyReadsOnlyThePrefix() throws {
    let folder = Fixtures.temporaryDirectory("st-zprefix")
    defer { try? FileManager.default.removeItem(at: folder) }
    var generator = SeededGenerator(seed: 9)
    let path = folder.appendingPathComponent("m.safetensors.zst").path
    let sample = Sample(name: "noise", dtype: .u8, shape: [1 << 20], bytes: randomBytes(1 << 20, using: &generator))
    try write([sample], to: path, options: .init(zstdLevel: 1))
    var bytes = try #require(FileManager.default.contents(atPath: path))
    bytes[bytes.count - 2] ^= 0xFF  // corrupt the frame checksum at the very end
    writeFile(path, Array(bytes))
    #expect(try SafetensorsFile.readHeader(path: path)["noise"]?.byteCount == 1 << 20)
    #expect(throws: SafetensorsError.file(path: path, .zstd(reason: "Restored data doesn't match checksum"))) {
      _ = try SafetensorsFile(path: path)
    }
  }
}
