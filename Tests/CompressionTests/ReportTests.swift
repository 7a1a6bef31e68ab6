import Compression
import Foundation
import Testing

@Suite struct ReportTests {
  /// Known-answer vectors from FIPS 180-4 and a multi-block input fed in odd-sized pieces.
  @Test func sha256KnownAnswers() {
    func digest(_ text: String, chunk: Int = 1 << 20) -> String {
      var hasher = SHA256()
      let bytes = Array(text.utf8)
      var start = 0
      repeat {
        let end = min(start + chunk, bytes.count)
        bytes[start..<end].withUnsafeBytes { hasher.update($0) }
        start = end
      } while start < bytes.count
      return hasher.finalize()
    }
    #expect(digest("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    let long = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
    #expect(digest(long) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    #expect(digest(long, chunk: 7) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    #expect(
      digest(String(repeating: "a", count: 1_000_000), chunk: 4093)
        == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
  }

  @Test func manifestRoundTripsThroughMetadata() throws {
    let manifest = Manifest(
      tool: "t", version: "1", passes: [.init(name: "rtn", settings: ["bits": "4"])],
      tensors: [
        "a.weight": ManifestEntry(
          encoding: "gptq", dtype: "F32", shape: [4, 32], parts: ["a.qweight"], parameters: ["bits": "4"])
      ])
    let metadata = [Manifest.metadataKey: manifest.encoded()]
    #expect(try Manifest.decode(from: metadata, path: "x") == manifest)
    #expect(try Manifest.decode(from: [:], path: "x") == nil)
    #expect(throws: CompressionError.self) {
      try Manifest.decode(from: [Manifest.metadataKey: "{"], path: "x")
    }
  }

  @Test func reportJSONUsesSnakeCaseAndRoundTrips() throws {
    let report = CompressionReport(
      tool: "t", version: "1", command: ["compress"], input: [], output: [],
      passes: [.init(name: "rtn", settings: [:], tensors: 1, seconds: 0.5)],
      tensors: [
        .init(
          name: "a.weight", method: "rtn", parameters: ["bits": "8"], shape: [2, 32], dtypeBefore: "F32",
          storedAs: "gptq", bytesBefore: 256, bytesAfter: 80, bitsPerWeight: 10, relativeError: 0.01)
      ],
      totals: .init(
        tensorBytesBefore: 256, tensorBytesAfter: 80, fileBytesBefore: 300, fileBytesAfter: 150,
        ratio: 0.5, zstdBytes: 120, seconds: 1))
    let text = String(decoding: report.json(), as: UTF8.self)
    #expect(text.contains("\"bits_per_weight\""))
    #expect(text.contains("\"zstd_bytes\""))
    #expect(try CompressionReport.decode(report.json()) == report)
    #expect(report.table().contains("a.weight"))
    #expect(formatBytes(1_234_567) == "1.23 MB")
  }
}
