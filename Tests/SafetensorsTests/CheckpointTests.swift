import CompressionTestSupport
import Foundation
import Safetensors
import Testing

@Suite struct CheckpointTests {
  @Test func shardedWriteAndRead() throws {
    let folder = Fixtures.temporaryDirectory("st-shards")
    defer { try? FileManager.default.removeItem(at: folder) }
    var generator = SeededGenerator(seed: 3)
    let samples = (0..<7).map { i in
      Sample(name: "w\(i)", dtype: .f32, shape: [4, 4], bytes: randomBytes(64, using: &generator))
    } + [Sample(name: "big", dtype: .u8, shape: [300], bytes: randomBytes(300, using: &generator))]
    let path = folder.appendingPathComponent("model.safetensors").path
    let written = try write(samples, to: path, metadata: ["format": "pt"], options: .init(maxShardSize: 200))
    let names = written.map { POSIXName($0.path) }
    // Data order: F32 first (3 per 200-byte shard), then the 300-byte tensor alone.
    #expect(names == [
      "model-00001-of-00004.safetensors", "model-00002-of-00004.safetensors",
      "model-00003-of-00004.safetensors", "model-00004-of-00004.safetensors",
      "model.safetensors.index.json",
    ])
    #expect(folderContents(folder) == names.sorted())
    let index = folder.appendingPathComponent("model.safetensors.index.json").path
    let checkpoint = try SafetensorsCheckpoint(path: index)
    try expectHolds(checkpoint, samples)
    #expect(checkpoint.files.count == 4)
    #expect(checkpoint.files.allSatisfy { $0.header.metadata == ["format": "pt"] })
    #expect(checkpoint.metadata == ["format": "pt"])
    #expect(try SafetensorsCheckpoint(path: folder.path).tensors.count == 8)
    let headers = try SafetensorsCheckpoint.readHeaders(path: index)
    #expect(headers.map { POSIXName($0.file) } == Array(names.prefix(4)))
    let text = try String(contentsOfFile: index, encoding: .utf8)
    #expect(text.hasPrefix("{\n  \"metadata\": {\n    \"total_size\": 748\n  },\n  \"weight_map\": {\n    \"big\": \"model-00004-of-00004.safetensors\","))
  }

  @Test func oneShardWritesThePathItself() throws {
    let folder = Fixtures.temporaryDirectory("st-oneshard")
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("m.safetensors").path
    let written = try write([Sample(name: "a", dtype: .u8, shape: [3], bytes: [1, 2, 3])], to: path, options: .init(maxShardSize: 1 << 20))
    #expect(written == [WrittenFile(path: path, byteCount: written[0].byteCount)])
    #expect(folderContents(folder) == ["m.safetensors"])
  }

  @Test func zstdRoundTrip() throws {
    let folder = Fixtures.temporaryDirectory("st-zstd")
    defer { try? FileManager.default.removeItem(at: folder) }
    var generator = SeededGenerator(seed: 11)
    let samples = randomSamples(count: 9, using: &generator)
      + [Sample(name: "zeros", dtype: .f32, shape: [4096], bytes: [UInt8](repeating: 0, count: 16384))]
    let plain = folder.appendingPathComponent("m.safetensors").path
    let packed = folder.appendingPathComponent("m.safetensors.zst").path
    try write(samples, to: plain, metadata: ["k": "v"])
    let written = try write(samples, to: packed, metadata: ["k": "v"], options: .init(zstdLevel: 3))
    let plainSize = try #require(try FileManager.default.attributesOfItem(atPath: plain)[.size] as? Int)
    #expect(written[0].byteCount < plainSize)
    #expect(try zstdCompressedSize(ofFileAt: plain, level: 3) == written[0].byteCount)
    let checkpoint = try SafetensorsCheckpoint(path: packed)
    try expectHolds(checkpoint, samples)
    #expect(checkpoint.files[0].fileSize == plainSize)
    #expect(try SafetensorsFile.readHeader(path: packed) == SafetensorsFile.readHeader(path: plain))
    // Sharded and compressed.
    let shards = folder.appendingPathComponent("s.safetensors.zst").path
    let files = try write(samples, to: shards, options: .init(zstdLevel: 1, maxShardSize: 16384))
    #expect(files.map { POSIXName($0.path) } == ["s-00001-of-00003.safetensors.zst", "s-00002-of-00003.safetensors.zst", "s-00003-of-00003.safetensors.zst", "s.safetensors.index.json"])
    try expectHolds(try SafetensorsCheckpoint(path: files[3].path), samples)
  }

  @Test func corruptAndTruncatedZstdAreRefused() throws {
    let folder = Fixtures.temporaryDirectory("st-zstd-bad")
    defer { try? FileManager.default.removeItem(at: folder) }
    let packed = folder.appendingPathComponent("m.safetensors.zst").path
    try write([Sample(name: "a", dtype: .u8, shape: [5000], bytes: [UInt8](repeating: 9, count: 5000))], to: packed, options: .init(zstdLevel: 3))
    let bytes = try #require(FileManager.default.contents(atPath: packed))
    let truncated = folder.appendingPathComponent("t.safetensors.zst").path
    writeFile(truncated, Array(bytes.prefix(bytes.count - 3)))
    #expect(throws: SafetensorsError.file(path: truncated, .zstd(reason: "the stream ends inside a frame (truncated file)"))) {
      _ = try SafetensorsFile(path: truncated)
    }
    let garbage = folder.appendingPathComponent("g.safetensors.zst").path
    writeFile(garbage, [1, 2, 3, 4, 5, 6, 7, 8, 9])
    #expect(throws: SafetensorsError.file(path: garbage, .zstd(reason: "Unknown frame descriptor"))) {
      _ = try SafetensorsFile(path: garbage)
    }
  }

  @Test func headerOnlyOpenOfAHugeSparseFile() throws {
    let folder = Fixtures.temporaryDirectory("st-sparse")
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("huge.safetensors").path
    let dataSize = 8 << 30  // 8 GiB, never written: a sparse file
    let json = "{\"big\":{\"dtype\":\"F32\",\"shape\":[\(dataSize / 4)],\"data_offsets\":[0,\(dataSize)]}}"
    writeFile(path, fileBytes(json))
    let handle = try #require(FileHandle(forWritingAtPath: path))
    try handle.truncate(atOffset: UInt64(8 + json.utf8.count + dataSize))
    try handle.close()
    let clock = ContinuousClock()
    let start = clock.now
    let header = try SafetensorsFile.readHeader(path: path)
    #expect(header["big"]?.byteCount == dataSize)
    let headers = try SafetensorsCheckpoint.readHeaders(path: path)
    #expect(headers.count == 1)
    #expect(clock.now - start < .seconds(1))
    // Mapping is lazy too: opening touches only the header page.
    let file = try SafetensorsFile(path: path)
    #expect(try file.withBytes(of: "big") { $0.count } == dataSize)
    #expect(clock.now - start < .seconds(2))
  }

  @Test func missingTensorLookups() throws {
    let path = Fixtures.path("safetensors/numpy.safetensors")
    let file = try SafetensorsFile(path: path)
    #expect(throws: SafetensorsError.missingTensor(name: "nope")) { try file.withBytes(of: "nope") { $0.count } }
    let checkpoint = try SafetensorsCheckpoint(path: path)
    #expect(checkpoint["nope"] == nil)
    #expect(throws: SafetensorsError.missingTensor(name: "nope")) { try checkpoint.withBytes(of: "nope") { $0.count } }
  }

  @Test func fileErrorsCarryThePath() {
    let path = "/nonexistent-smc/x.safetensors"
    #expect {
      _ = try SafetensorsFile(path: path)
    } throws: { error in
      (error as? SafetensorsError)?.description == "\(path): open: No such file or directory (ENOENT)"
    }
  }
}

/// The last path component.
func POSIXName(_ path: String) -> String { URL(fileURLWithPath: path).lastPathComponent }
