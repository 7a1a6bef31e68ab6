import ArgumentParser
import Foundation
import ModelCompression

/// `compress inspect FILE`: the tensors of a checkpoint, read from the header only.
struct Inspect: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "List a checkpoint's tensors (name, dtype, shape, bytes) from its header alone.")

  @Argument(help: "A .safetensors file, .safetensors.zst, sharded index, or model folder.")
  var input: String

  @Flag(help: "Print JSON: {file, metadata, tensors: [{name, dtype, shape, bytes}]}.")
  var json = false

  func run() throws {
    try ErrorPresentation.run { () throws(CompressionError) in
      let location = try ModelLocation(resolving: input)
      let headers = try withSafetensorsErrors {
        () throws(SafetensorsError) in try SafetensorsCheckpoint.readHeaders(path: location.weightsPath)
      }
      let tensors = headers.flatMap(\.header.tensors).sorted { $0.name < $1.name }
      var metadata: [String: String] = [:]
      for (_, header) in headers { metadata.merge(header.metadata ?? [:]) { old, _ in old } }
      if json {
        Terminal.standardOutput(jsonText(file: location.weightsPath, metadata: metadata, tensors: tensors))
      } else {
        Terminal.standardOutput(table(file: location.weightsPath, metadata: metadata, tensors: tensors))
      }
    }
  }

  private func jsonText(file: String, metadata: [String: String], tensors: [TensorInfo]) -> String {
    let object: [String: Any] = [
      "file": file,
      "metadata": metadata,
      "tensors": tensors.map {
        ["name": $0.name, "dtype": $0.dtype.rawValue, "shape": $0.shape, "bytes": $0.byteCount] as [String: Any]
      },
    ]
    let data = try! JSONSerialization.data(
      withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    return String(decoding: data, as: UTF8.self)
  }

  private func table(file: String, metadata: [String: String], tensors: [TensorInfo]) -> String {
    var rows = [["name", "dtype", "shape", "bytes"]]
    for tensor in tensors {
      rows.append([
        tensor.name, tensor.dtype.rawValue, "[" + tensor.shape.map(String.init).joined(separator: ", ") + "]",
        "\(tensor.byteCount)",
      ])
    }
    let widths = (0..<4).map { column in rows.map { $0[column].count }.max() ?? 0 }
    var lines = rows.map { row in
      row.enumerated().map { column, cell in
        column == 3
          ? String(repeating: " ", count: widths[column] - cell.count) + cell
          : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
      }.joined(separator: "  ")
    }
    let parameters = tensors.reduce(0) { $0 + $1.elementCount }
    let bytes = tensors.reduce(0) { $0 + $1.byteCount }
    lines.append("")
    lines.append("\(file): \(tensors.count) tensors, \(parameters) elements, \(bytes) bytes (\(formatBytes(bytes)))")
    for key in metadata.keys.sorted() where key != Manifest.metadataKey {
      lines.append("metadata \(key) = \(metadata[key]!)")
    }
    if metadata[Manifest.metadataKey] != nil { lines.append("metadata compression = (manifest of this tool)") }
    return lines.joined(separator: "\n")
  }
}
