import CompressionTestSupport
import Foundation
@testable import Safetensors
import Testing

/// A tensor to write: its entry and bytes.
struct Sample {
  let name: String
  let dtype: DType
  let shape: [Int]
  let bytes: [UInt8]
}

/// Random tensors: every dtype, rank 0 to 3, some empty, random names.
func randomSamples(count: Int, using generator: inout SeededGenerator) -> [Sample] {
  var names = Set<String>()
  var samples: [Sample] = []
  while samples.count < count {
    let name = "layer\(Int.random(in: 0..<50, using: &generator)).w\(Int.random(in: 0..<9, using: &generator))"
    guard names.insert(name).inserted else { continue }
    let dtype = DType.allCases.randomElement(using: &generator)!
    let rank = Int.random(in: 0...3, using: &generator)
    let shape = (0..<rank).map { _ in Int.random(in: 0...4, using: &generator) }
    let count = shape.reduce(1, *) * dtype.byteSize
    samples.append(Sample(name: name, dtype: dtype, shape: shape, bytes: randomBytes(count, using: &generator)))
  }
  return samples
}

/// Writes `samples` with `options`; returns the written files.
@discardableResult
func write(
  _ samples: [Sample], to path: String, metadata: [String: String]? = nil,
  options: SafetensorsWriter.Options = .init()
) throws -> [WrittenFile] {
  let writer = try SafetensorsWriter(path: path, options: options)
  for sample in samples {
    try sample.bytes.withUnsafeBytes { try writer.add(name: sample.name, dtype: sample.dtype, shape: sample.shape, bytes: $0) }
  }
  return try writer.finish(metadata: metadata)
}

/// Checks a checkpoint holds exactly `samples`.
func expectHolds(_ checkpoint: SafetensorsCheckpoint, _ samples: [Sample]) throws {
  #expect(checkpoint.tensors.map(\.name) == samples.map(\.name).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
  for sample in samples {
    let info = try #require(checkpoint[sample.name])
    #expect(info.dtype == sample.dtype && info.shape == sample.shape)
    let bytes = try checkpoint.withBytes(of: sample.name) { Array($0) }
    #expect(bytes == sample.bytes, "bytes of \(sample.name)")
  }
}

@Suite struct WriterTests {
  @Test func roundTripRandomTensors() throws {
    let folder = Fixtures.temporaryDirectory("st-roundtrip")
    defer { try? FileManager.default.removeItem(at: folder) }
    var generator = SeededGenerator(seed: 42)
    for trial in 0..<40 {
      let samples = randomSamples(count: Int.random(in: 0...12, using: &generator), using: &generator)
      let path = folder.appendingPathComponent("t\(trial).safetensors").path
      let metadata = trial % 2 == 0 ? ["trial": "\(trial)", "q\"uote": "line\nbreak é"] : nil
      let written = try write(samples, to: path, metadata: metadata)
      #expect(written.count == 1 && written[0].path == path)
      let checkpoint = try SafetensorsCheckpoint(path: path)
      try expectHolds(checkpoint, samples)
      #expect(checkpoint.metadata == (metadata ?? [:]))
      let header = checkpoint.files[0].header
      #expect(header.dataStart % 8 == 0)
      for tensor in header.tensors where tensor.byteCount > 0 {
        #expect((header.dataStart + tensor.dataOffsets.lowerBound) % tensor.dtype.byteSize == 0, "alignment")
      }
      #expect(invariantViolation(header, fileSize: written[0].byteCount) == nil)
    }
  }

  @Test func deterministicBytesWhateverTheAddOrder() throws {
    let folder = Fixtures.temporaryDirectory("st-determinism")
    defer { try? FileManager.default.removeItem(at: folder) }
    var generator = SeededGenerator(seed: 7)
    let samples = randomSamples(count: 10, using: &generator)
    let a = folder.appendingPathComponent("a.safetensors").path
    let b = folder.appendingPathComponent("b.safetensors").path
    try write(samples, to: a, metadata: ["x": "1", "a": "2"])
    try write(samples.reversed(), to: b, metadata: ["a": "2", "x": "1"])
    #expect(FileManager.default.contents(atPath: a) == FileManager.default.contents(atPath: b))
    let header = try SafetensorsFile.readHeader(path: a)
    let order = header.tensors.filter { $0.byteCount > 0 }.map { ($0.dtype.byteSize, $0.name) }
    #expect(order.map(\.0) == order.map(\.0).sorted(by: >))
  }

  @Test func headerLayoutIsCompactAndSorted() throws {
    let folder = Fixtures.temporaryDirectory("st-layout")
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("m.safetensors").path
    let samples = [
      Sample(name: "b", dtype: .u8, shape: [2], bytes: [1, 2]),
      Sample(name: "a", dtype: .f32, shape: [], bytes: [0, 0, 128, 63]),
    ]
    try write(samples, to: path, metadata: ["k": "v"])
    let bytes = try #require(FileManager.default.contents(atPath: path))
    let json = #"{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]}}"#
    let padded = json + String(repeating: " ", count: (8 - json.utf8.count % 8) % 8)
    #expect(Array(bytes) == fileBytes(padded, data: [0, 0, 128, 63, 1, 2]))
  }

  @Test func refusesDuplicatesReservedNamesAndSizeMismatches() throws {
    let folder = Fixtures.temporaryDirectory("st-refuse")
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("m.safetensors").path
    let writer = try SafetensorsWriter(path: path)
    let four: [UInt8] = [0, 0, 0, 0]
    try four.withUnsafeBytes { try writer.add(name: "w", dtype: .f32, shape: [1], bytes: $0) }
    #expect(throws: SafetensorsError.file(path: path, .duplicateTensor(name: "w"))) {
      try four.withUnsafeBytes { try writer.add(name: "w", dtype: .f32, shape: [1], bytes: $0) }
    }
    #expect(throws: SafetensorsError.file(path: path, .byteCountMismatch(tensor: "v", dtype: .f16, shape: [3], expected: 6, actual: 4))) {
      try four.withUnsafeBytes { try writer.add(name: "v", dtype: .f16, shape: [3], bytes: $0) }
    }
    #expect(throws: SafetensorsError.file(path: path, .reservedName(name: "__metadata__"))) {
      try four.withUnsafeBytes { try writer.add(name: "__metadata__", dtype: .u8, shape: [4], bytes: $0) }
    }
    #expect(throws: SafetensorsError.file(path: path, .invalidShape(tensor: "n", found: "[-4]"))) {
      try four.withUnsafeBytes { try writer.add(name: "n", dtype: .u8, shape: [-4], bytes: $0) }
    }
    let written = try writer.finish(metadata: nil)
    #expect(try SafetensorsCheckpoint(path: written[0].path).tensors.map(\.name) == ["w"])
  }

  @Test func abortAndDeinitLeaveNoFiles() throws {
    let folder = Fixtures.temporaryDirectory("st-abort")
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("m.safetensors").path
    let bytes: [UInt8] = [1, 2, 3, 4]
    do {
      let writer = try SafetensorsWriter(path: path)
      try bytes.withUnsafeBytes { try writer.add(name: "w", dtype: .u8, shape: [4], bytes: $0) }
      writer.abort()
    }
    do {
      let writer = try SafetensorsWriter(path: path)
      try bytes.withUnsafeBytes { try writer.add(name: "w", dtype: .u8, shape: [4], bytes: $0) }
    }
    #expect(folderContents(folder) == [])
  }

  @Test func failedFinishLeavesNothingAndKeepsTheExistingOutput() throws {
    let folder = Fixtures.temporaryDirectory("st-fail")
    defer { try? FileManager.default.removeItem(at: folder) }
    // The destination is a non-empty folder: the final rename fails with an errno.
    let path = folder.appendingPathComponent("m.safetensors").path
    try FileManager.default.createDirectory(atPath: path + "/keep", withIntermediateDirectories: true)
    let writer = try SafetensorsWriter(path: path)
    try [UInt8](repeating: 7, count: 8).withUnsafeBytes { try writer.add(name: "w", dtype: .u8, shape: [8], bytes: $0) }
    #expect {
      try writer.finish(metadata: nil)
    } throws: { error in
      guard case .file(path, .io(_, let reason))? = error as? SafetensorsError else { return false }
      return reason.hasPrefix("rename: ")
    }
    #expect(folderContents(folder) == ["m.safetensors"])
    #expect(folderContents(URL(fileURLWithPath: path)) == ["keep"])
  }

  @Test func missingFolderIsAnIOError() {
    let path = "/nonexistent-smc-folder/m.safetensors"
    #expect {
      _ = try SafetensorsWriter(path: path)
    } throws: { error in
      guard case .file(path, .io(_, let reason))? = error as? SafetensorsError else { return false }
      return reason.contains("(ENOENT)")
    }
  }

  @Test func outputCleanupRemovesRegisteredFilesAndFolders() throws {
    let folder = Fixtures.temporaryDirectory("st-cleanup")
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = folder.appendingPathComponent("f").path
    let tree = folder.appendingPathComponent("d").path
    try FileManager.default.createDirectory(atPath: tree + "/x/y", withIntermediateDirectories: true)
    writeFile(file, [1])
    writeFile(tree + "/x/y/z", [1])
    // A private registry: the shared one holds other tests' live temporary files.
    let registry = CleanupRegistry()
    registry.register(file)
    registry.register(tree)
    registry.removeAll()
    #expect(folderContents(folder) == [])
    #expect(!registry.contains(file))
    OutputCleanup.register(file)
    #expect(OutputCleanup.isRegistered(file))
    OutputCleanup.unregister(file)
    #expect(!OutputCleanup.isRegistered(file))
  }
}
