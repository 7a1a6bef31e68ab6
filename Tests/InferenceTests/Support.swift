import CompressionTestSupport
import Foundation
import Safetensors
import TensorCore

@testable import Inference

/// Tolerances against transformers' Float32 outputs: both sides compute in Float32 but sum in
/// different orders (sgemm blocking, softmax and norm reductions), which moves values by a few
/// ulps per operation. Measured: every comparison passes at 1e-5 relative + 1e-6 absolute; the
/// absolute part is 1e-5 so that another BLAS kernel cannot flip near-zero values.
enum GoldenTolerance {
  static let relative: Float = 1e-5
  static let absolute: Float = 1e-5
}

/// One tiny model of `Fixtures/inference/<name>/` and what transformers computed from its inputs.
struct GoldenCase {
  let folder: String
  let expected: SafetensorsCheckpoint

  init(_ name: String) throws {
    folder = Fixtures.path("inference/" + name)
    expected = try SafetensorsCheckpoint(path: folder + "/expected.safetensors")
  }

  func tensor(_ name: String) throws -> Tensor {
    let info = expected[name]!
    return try expected.withBytes(of: name) { Tensor(decoding: $0, dtype: info.dtype, shape: info.shape) }
  }

  func integers(_ name: String) throws -> [Int] {
    try expected.withBytes(of: name) { [Int64](littleEndianBytes: $0) }.map { Int($0) }
  }

  func doubles(_ name: String) throws -> [Double] {
    try expected.withBytes(of: name) { [UInt64](littleEndianBytes: $0) }.map { Double(bitPattern: $0) }
  }

  /// The input sequences, unpadded.
  func tokens() throws -> [[Int]] {
    let ids = try integers("input_ids")
    let lengths = try integers("lengths")
    let length = ids.count / lengths.count
    return lengths.enumerated().map { b, count in Array(ids[(b * length)..<(b * length + count)]) }
  }

  func model() throws -> any TransformerModel { try ModelFolder(path: folder).loadModel() }
}

/// The rows of `x` (B, T, ...) that belong to real tokens, flattened (padding slots dropped).
func realScalars(_ x: Tensor, lengths: [Int]) -> [Float] {
  let (batch, length) = (x.shape[0], x.shape[1])
  let rowSize = x.count / (batch * length)
  return lengths.enumerated().flatMap { b, count in x.scalars[(b * length * rowSize)..<((b * length + count) * rowSize)] }
}

/// Records every observation of a forward pass.
struct Recorder: ActivationObserver {
  var linearInputs: [(block: Int, name: String, input: Tensor)] = []
  var attention: [(block: Int, sequence: Int, probabilities: Tensor)] = []

  mutating func observeLinearInput(block: Int, name: String, input: Tensor) {
    linearInputs.append((block, name, input))
  }

  mutating func observeAttention(block: Int, sequence: Int, probabilities: Tensor) {
    attention.append((block, sequence, probabilities))
  }
}
