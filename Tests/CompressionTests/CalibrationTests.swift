import Compression
import CompressionTestSupport
import Foundation
import Safetensors
import TensorCore
import Testing

@Suite final class CalibrationTests {
  let folder = Fixtures.temporaryDirectory("calibration")

  deinit { try? FileManager.default.removeItem(at: folder) }

  /// A stand-in tokenizer: one id per Unicode scalar, modulo 100.
  static func tokenize(_ text: String) -> [Int] { text.unicodeScalars.map { Int($0.value) % 100 } }

  func write(_ text: String, _ name: String) throws -> String {
    let path = folder.appendingPathComponent(name).path
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
  }

  @Test func textGivesSeededWindowsOfTheRequestedLength() throws {
    let path = try write(String(repeating: "the quick brown fox. ", count: 50), "a.txt")
    let options = CalibrationSet.Options(samples: 8, sequenceLength: 16, seed: 3)
    let a = try CalibrationSet.load(path: path, options: options, vocabularySize: 100, tokenize: Self.tokenize)
    let b = try CalibrationSet.load(path: path, options: options, vocabularySize: 100, tokenize: Self.tokenize)
    #expect(a == b)
    #expect(a.samples.count == 8 && a.samples.allSatisfy { $0.count == 16 })
    #expect(a.tokenCount == 128)
    var other = options
    other.seed = 4
    #expect(try CalibrationSet.load(path: path, options: other, vocabularySize: 100, tokenize: Self.tokenize) != a)
  }

  @Test func jsonLinesAndTokenIDs() throws {
    let jsonl = try write("{\"text\": \"hello there\"}\n\n{\"text\": \"abc\"}\n", "a.jsonl")
    let set = try CalibrationSet.load(
      path: jsonl, options: .init(samples: 10, sequenceLength: 5), vocabularySize: 100, tokenize: Self.tokenize)
    #expect(set.samples.map(\.count) == [5, 3])

    let ids = folder.appendingPathComponent("ids.safetensors").path
    let writer = try SafetensorsWriter(path: ids)
    let values: [Int64] = [1, 2, 3, 4, 5, 6]
    try values.withUnsafeBytes { try writer.add(name: "input_ids", dtype: .i64, shape: [2, 3], bytes: $0) }
    _ = try writer.finish(metadata: nil)
    let fromIDs = try CalibrationSet.load(
      path: ids, options: .init(samples: 128, sequenceLength: 512), vocabularySize: 10, tokenize: Self.tokenize)
    #expect(fromIDs.samples == [[1, 2, 3], [4, 5, 6]])
    #expect(throws: CompressionError.self) {
      try CalibrationSet.load(path: ids, options: .init(), vocabularySize: 5, tokenize: Self.tokenize)
    }
  }

  @Test func badCalibrationDataIsNamed() throws {
    let empty = try write("  \n", "empty.txt")
    #expect(throws: CompressionError.invalidCalibration(path: empty, reason: "is empty")) {
      try CalibrationSet.load(path: empty, options: .init(), vocabularySize: 100, tokenize: Self.tokenize)
    }
    let binary = folder.appendingPathComponent("bin.txt").path
    try Data([0xFF, 0xFE, 0x00]).write(to: URL(fileURLWithPath: binary))
    #expect(throws: CompressionError.invalidCalibration(path: binary, reason: "is not UTF-8 text")) {
      try CalibrationSet.load(path: binary, options: .init(), vocabularySize: 100, tokenize: Self.tokenize)
    }
    let short = try write("short text", "short.txt")
    #expect(throws: CompressionError.self) {
      try CalibrationSet.load(path: short, options: .init(sequenceLength: 512), vocabularySize: 100, tokenize: Self.tokenize)
    }
    let badLine = try write("{\"text\": \"ok\"}\nnot json\n", "bad.jsonl")
    #expect(
      throws: CompressionError.invalidCalibration(
        path: badLine, reason: "line 2 is not a JSON object with a \"text\" string")
    ) { try CalibrationSet.load(path: badLine, options: .init(), vocabularySize: 100, tokenize: Self.tokenize) }
  }

  /// H = (2/n)·XᵀX against a plain double loop.
  @Test func hessianMatchesItsDefinition() {
    var generator = SeededGenerator(seed: 9)
    var accumulator = HessianAccumulator(columns: 5)
    var rows: [[Float]] = []
    for _ in 0..<3 {
      let batch = (0..<7).map { _ in generator.gaussians(5) }
      rows += batch
      accumulator.add(Tensor(shape: [7, 5], scalars: batch.flatMap { $0 }), samples: 1)
    }
    #expect(accumulator.sampleCount == 3 && accumulator.tokenCount == 21)
    var expected = [Float](repeating: 0, count: 25)
    for i in 0..<5 {
      for j in 0..<5 {
        expected[i * 5 + j] = Float(2.0 / 3.0 * rows.reduce(0.0) { $0 + Double($1[i]) * Double($1[j]) })
      }
    }
    #expect(closeness(accumulator.hessian.scalars, expected, rtol: 1e-5, atol: 1e-5) == nil)
  }

  @Test func hessianFilesRoundTripAndNameWhatIsMissing() throws {
    var accumulator = HessianAccumulator(columns: 4)
    accumulator.add(Tensor(shape: [2, 4], scalars: [1, 2, 3, 4, 5, 6, 7, 8]), samples: 2)
    let path = folder.appendingPathComponent("h.safetensors").path
    try HessianFile.write(["a.weight": accumulator], to: path)
    let read = try HessianFile.read(path: path, weights: ["a.weight": 4])
    #expect(read["a.weight"] == accumulator.hessian)
    #expect(throws: CompressionError.invalidHessians(path: path, reason: "no Hessian for `b.weight`")) {
      try HessianFile.read(path: path, weights: ["b.weight": 4])
    }
    #expect(throws: CompressionError.self) { try HessianFile.read(path: path, weights: ["a.weight": 3]) }
  }
}
