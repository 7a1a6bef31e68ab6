import CompressionTestSupport
import Foundation
import GGUF
import Safetensors
import TensorCore

/// The first index where two float arrays differ bit for bit, with both values; nil if identical.
func firstBitDifference(_ actual: [Float], _ expected: [Float]) -> String? {
  guard actual.count == expected.count else { return "count \(actual.count) vs \(expected.count)" }
  for i in actual.indices where actual[i].bitPattern != expected[i].bitPattern {
    return "[\(i)] \(actual[i]) (0x\(String(actual[i].bitPattern, radix: 16))) vs \(expected[i]) (0x\(String(expected[i].bitPattern, radix: 16)))"
  }
  return nil
}

/// The F32 tensor `name` of a safetensors file, as floats.
func floats(_ checkpoint: SafetensorsCheckpoint, _ name: String) throws -> [Float] {
  try checkpoint.withBytes(of: name) { decodeFloats($0, as: .f32) }
}

/// The parsed JSON object in `path`.
func jsonObject(_ path: String) throws -> [String: Any] {
  try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
}
