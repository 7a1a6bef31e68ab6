import CompressionTestSupport
import Foundation
import Safetensors
import Testing

/// Files written by the Python `safetensors` library (Fixtures/safetensors/make_fixtures.py).
@Suite struct InteropTests {
  struct Expected: Decodable {
    struct Tensor: Decodable {
      let dtype: String
      let shape: [Int]
      let hex: String
    }
    let metadata: [String: String]?
    let tensors: [String: Tensor]
  }

  static let expected: [String: Expected] = {
    let data = FileManager.default.contents(atPath: Fixtures.path("safetensors/expected.json"))!
    return try! JSONDecoder().decode([String: Expected].self, from: data)
  }()

  func hex(_ bytes: UnsafeRawBufferPointer) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
  }

  func check(_ checkpoint: SafetensorsCheckpoint, against files: [String]) throws {
    var all: [String: Expected.Tensor] = [:]
    for file in files { all.merge(Self.expected[file]!.tensors) { a, _ in a } }
    #expect(Set(checkpoint.tensors.map(\.name)) == Set(all.keys))
    for (name, tensor) in all {
      let info = try #require(checkpoint[name])
      #expect(info.dtype.rawValue == tensor.dtype, "dtype of \(name)")
      #expect(info.shape == tensor.shape, "shape of \(name)")
      #expect(try checkpoint.withBytes(of: name) { hex($0) } == tensor.hex, "bytes of \(name)")
    }
  }

  @Test(arguments: ["all_dtypes.safetensors", "all_dtypes.safetensors.zst", "numpy.safetensors"])
  func pythonWrittenFile(_ name: String) throws {
    let checkpoint = try SafetensorsCheckpoint(path: Fixtures.path("safetensors/" + name))
    try check(checkpoint, against: [name.replacingOccurrences(of: ".zst", with: "")])
    let metadata = Self.expected[name.replacingOccurrences(of: ".zst", with: "")]!.metadata
    #expect(checkpoint.metadata == (metadata ?? [:]))
  }

  @Test func everyDTypeIsCovered() throws {
    let header = try SafetensorsFile.readHeader(path: Fixtures.path("safetensors/all_dtypes.safetensors"))
    #expect(Set(header.tensors.map(\.dtype)) == Set(DType.allCases))
    #expect(header["scalar"]?.shape == [])
    #expect(header["empty"]?.byteCount == 0)
  }

  @Test func pythonShardedCheckpoint() throws {
    let checkpoint = try SafetensorsCheckpoint(path: Fixtures.path("safetensors/sharded/model.safetensors.index.json"))
    try check(checkpoint, against: ["sharded/model-00001-of-00002.safetensors", "sharded/model-00002-of-00002.safetensors"])
    #expect(checkpoint.files.count == 2)
    #expect(checkpoint.metadata == ["format": "pt"])
  }

  /// With `SAFETENSORS_WRITE_DIR` set, writes sample outputs there for
  /// `Fixtures/safetensors/check_written.py` (CI runs the Python side); otherwise does nothing.
  @Test func writeFilesForThePythonCheck() throws {
    guard let folder = ProcessInfo.processInfo.environment["SAFETENSORS_WRITE_DIR"] else { return }
    var generator = SeededGenerator(seed: 5)
    let samples = randomSamples(count: 20, using: &generator)
    try write(samples, to: folder + "/written.safetensors", metadata: ["format": "pt"])
    try write(samples, to: folder + "/written.safetensors.zst", options: .init(zstdLevel: 5))
    try write(samples, to: folder + "/sharded.safetensors", options: .init(maxShardSize: 64))
  }
}
