import Foundation
import Inference
import Safetensors

extension PipelineRun {
  /// Builds the report once the output is in place.
  func report(
    input: ModelLocation, written: [WrittenFile], plan: OutputPlan, command: [String],
    started: Date
  ) throws(CompressionError) -> CompressionReport {
    var inputs: [CompressionReport.FileRecord] = []
    for path in input.weightFiles() {
      inputs.append(.init(path: path, bytes: fileSize(path), sha256: try SHA256.hexDigest(ofFileAt: path)))
    }
    let outputs = written.map { file in
      let path = plan.staging.map { staging in
        plan.destination + String(file.path.dropFirst(staging.count))
      } ?? file.path
      return CompressionReport.FileRecord(path: path, bytes: file.byteCount, sha256: nil)
    }
    var zstdBytes = 0
    for file in outputs {
      if file.path.hasSuffix(".zst") || file.path.hasSuffix(".json") {
        zstdBytes += file.bytes
      } else {
        zstdBytes += try withSafetensorsErrors { () throws(SafetensorsError) in try zstdCompressedSize(ofFileAt: file.path) }
      }
    }
    let weightInputs = inputs.filter { !$0.path.hasSuffix(".json") }
    let before = weightInputs.reduce(0) { $0 + $1.bytes }
    let after = outputs.filter { !$0.path.hasSuffix(".json") }.reduce(0) { $0 + $1.bytes }
    let passes = stages.indices.map { index in
      CompressionReport.PassRecord(
        name: stages[index].spec.name, settings: stages[index].pass.settings,
        tensors: selectedCounts[index], seconds: seconds[index])
    }
    return CompressionReport(
      tool: CompressionPipeline.tool, version: CompressionPipeline.version, command: command,
      input: inputs, output: outputs, passes: passes,
      tensors: records.sorted { order[$0.name, default: .max] < order[$1.name, default: .max] },
      totals: .init(
        tensorBytesBefore: tensorBytesBefore, tensorBytesAfter: tensorBytesAfter,
        fileBytesBefore: before, fileBytesAfter: after,
        ratio: before == 0 ? 0 : Double(after) / Double(before), zstdBytes: zstdBytes,
        seconds: Date().timeIntervalSince(started)))
  }
}

/// The size of a file in bytes, 0 if it cannot be read.
func fileSize(_ path: String) -> Int {
  ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
}
