import CompressionTestSupport
import Foundation
import Safetensors

/// The bytes of a safetensors file: length field, header text, data.
func fileBytes(_ header: String, data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
  let json = Array(header.utf8)
  let field = length ?? UInt64(json.count)
  return withUnsafeBytes(of: field.littleEndian) { Array($0) } + json + data
}

/// Parses in-memory file bytes.
func parse(_ bytes: [UInt8]) -> Result<SafetensorsHeader, SafetensorsError> {
  bytes.withUnsafeBytes { raw in
    Result { () throws(SafetensorsError) in try SafetensorsHeader.parse(raw, fileSize: raw.count) }
  }
}

/// The error parsing a header (with `data` after it) raises, or `nil` when it parses.
func parseError(_ header: String, data: [UInt8] = []) -> SafetensorsError? {
  if case .failure(let error) = parse(fileBytes(header, data: data)) { return error }
  return nil
}

/// A header entry's JSON text.
func entry(_ dtype: String = "F32", _ shape: String = "[1]", _ offsets: String = "[0,4]") -> String {
  "{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":\(offsets)}"
}

/// Writes `bytes` to `path`.
func writeFile(_ path: String, _ bytes: [UInt8]) {
  _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
}

/// The names in a folder, sorted.
func folderContents(_ url: URL) -> [String] {
  ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
}

/// Random bytes from a seeded generator.
func randomBytes(_ count: Int, using generator: inout SeededGenerator) -> [UInt8] {
  (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
}

/// Every invariant an accepted header must satisfy, or a message naming the broken one.
func invariantViolation(_ header: SafetensorsHeader, fileSize: Int) -> String? {
  var position = 0
  var names = Set<String>()
  for tensor in header.tensors {
    guard names.insert(tensor.name).inserted else { return "duplicate \(tensor.name)" }
    guard tensor.dataOffsets.lowerBound == position else { return "\(tensor.name) not contiguous" }
    guard tensor.shape.allSatisfy({ $0 >= 0 }) else { return "\(tensor.name) negative shape" }
    guard tensor.elementCount * tensor.dtype.byteSize == tensor.byteCount else {
      return "\(tensor.name) size"
    }
    guard header[tensor.name] == tensor else { return "\(tensor.name) lookup" }
    position = tensor.dataOffsets.upperBound
  }
  guard header.dataStart + position == fileSize else { return "data not covered" }
  guard header.headerLength <= SafetensorsHeader.maxHeaderLength else { return "header too long" }
  return nil
}
