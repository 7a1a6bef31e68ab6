import CompressionTestSupport
import Foundation
import Testing

/// Hostile and broken files: `inspect` and a pass run must both refuse them with one line on
/// standard error, exit 1, and leave no output behind.
@Suite final class MalformedInputTests {
  let folder = Fixtures.temporaryDirectory("malformed")

  deinit { try? FileManager.default.removeItem(at: folder) }

  /// A safetensors file with the given header text and `dataBytes` zero bytes of data.
  static func file(header: String, dataBytes: Int = 0, declaredLength: UInt64? = nil) -> [UInt8] {
    let json = Array(header.utf8)
    let length = declaredLength ?? UInt64(json.count)
    return withUnsafeBytes(of: length.littleEndian) { Array($0) } + json + [UInt8](repeating: 0, count: dataBytes)
  }

  static let cases: [(String, [UInt8])] = [
    ("empty", []),
    ("shorter than the length prefix", [1, 2, 3]),
    ("huge declared header", file(header: "{}", declaredLength: UInt64.max / 2)),
    ("header past the end", file(header: "{}", declaredLength: 4096)),
    ("not JSON", file(header: "{not json")),
    ("not UTF-8", [8, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0xFF, 0xFE, 0x7D, 0x20, 0x20, 0x20, 0x20]),
    ("JSON array", file(header: "[1, 2]    ")),
    ("unknown dtype", file(header: #"{"a":{"dtype":"F31","shape":[1],"data_offsets":[0,4]}}"#, dataBytes: 4)),
    ("size mismatch", file(header: #"{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}"#, dataBytes: 12)),
    ("offsets past the end", file(header: #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, dataBytes: 8)),
    ("trailing bytes", file(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, dataBytes: 8)),
    (
      "overlap",
      file(
        header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
        dataBytes: 12)
    ),
    (
      "hole",
      file(
        header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#,
        dataBytes: 12)
    ),
    (
      "duplicate name",
      file(
        header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
        dataBytes: 8)
    ),
    (
      "shape overflow",
      file(
        header: #"{"a":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,4]}}"#, dataBytes: 4)
    ),
    ("negative dimension", file(header: #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, dataBytes: 4)),
    ("non-string metadata", file(header: #"{"__metadata__":{"a":1}}"#)),
    ("missing field", file(header: #"{"a":{"dtype":"F32","shape":[1]}}"#, dataBytes: 4)),
  ]

  @Test(arguments: cases.map(\.0))
  func refusedCleanly(label: String) throws {
    let bytes = Self.cases.first { $0.0 == label }!.1
    let input = folder.appendingPathComponent("bad.safetensors")
    try Data(bytes).write(to: input)
    let inspect = try CommandRunner.run(["inspect", input.path])
    #expect(inspect.status == 1, "\(label): \(inspect.standardError)")
    #expect(inspect.standardError.hasPrefix("error: "), "\(label)")
    #expect(inspect.standardError.split(separator: "\n").count == 1, "\(label): \(inspect.standardError)")
    #expect(inspect.standardError.contains("bad.safetensors"), "\(label): \(inspect.standardError)")

    let output = folder.appendingPathComponent("out.safetensors").path
    let apply = try CommandRunner.run([input.path, "--pass", "rtn:targets=*", "-o", output])
    #expect(apply.status == 1, "\(label): \(apply.standardError)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["bad.safetensors"])
    #expect(try Data(contentsOf: input) == Data(bytes), "the input must stay untouched")
  }
}
