import Inference
import Safetensors
import TensorCore

/// Accumulates a linear layer's input statistics H = (2/n)·Σ x·xᵀ over calibration samples, the
/// Hessian of the layer-wise squared error that GPTQ, SparseGPT and the Hessian-aware passes use.
///
/// `n` counts samples (sequences), as in the GPTQ reference (`add_batch`); the scale does not
/// change any solver's result because damping is relative to mean(diag H). The sum is kept in
/// Float32 through `ssyrk`.
public struct HessianAccumulator: Sendable {
  /// The layer's input width.
  public let columns: Int
  private var sum: Tensor  // (in, in), symmetric
  /// Samples and tokens seen so far.
  public private(set) var sampleCount = 0
  public private(set) var tokenCount = 0

  public init(columns: Int) {
    self.columns = columns
    sum = Tensor(shape: [columns, columns])
  }

  /// Adds the inputs of one batch: `inputs` is (tokens, in), covering `samples` sequences.
  public mutating func add(_ inputs: Tensor, samples: Int) {
    precondition(
      inputs.rank == 2 && inputs.shape[1] == columns,
      "HessianAccumulator: inputs of shape \(inputs.shape) for \(columns) columns")
    accumulateGram(inputs, into: &sum, alpha: 1, beta: 1)  // Σ xxᵀ, (in, in)
    sampleCount += samples
    tokenCount += inputs.shape[0]
  }

  /// H = (2/n)·Σ x·xᵀ; all zeros before any sample.
  public var hessian: Tensor {
    sampleCount == 0 ? sum : (2 / Float(sampleCount)) * sum
  }
}

/// Hessian files, as `compress calibrate` writes them: safetensors with one F32 [in, in] matrix
/// per weight name, and the sample and token counts in `__metadata__`.
public enum HessianFile {
  /// Writes Hessians keyed by weight name.
  public static func write(
    _ hessians: [String: HessianAccumulator], to path: String
  ) throws(CompressionError) {
    let writer = try withSafetensorsErrors { () throws(SafetensorsError) in try SafetensorsWriter(path: path) }
    for name in hessians.keys.sorted() {
      let h = hessians[name]!.hessian
      try writer.add(name: name, dtype: .f32, shape: h.shape, contents: h.encoded(as: .f32))
    }
    let first = hessians.values.first
    let metadata = [
      "format": "hessian",
      "definition": "H = (2/samples) * sum over tokens of x x^T, x the layer input",
      "samples": "\(first?.sampleCount ?? 0)",
      "tokens": "\(first?.tokenCount ?? 0)",
    ]
    _ = try withSafetensorsErrors { () throws(SafetensorsError) in try writer.finish(metadata: metadata) }
  }

  /// Reads the Hessians for `weights` (name → input width), checking each is present and square.
  public static func read(path: String, weights: [String: Int]) throws(CompressionError) -> [String: Tensor] {
    let file = try withSafetensorsErrors { () throws(SafetensorsError) in try SafetensorsFile(path: path) }
    var result: [String: Tensor] = [:]
    for (name, columns) in weights {
      guard let info = file.header[name] else {
        throw .invalidHessians(path: path, reason: "no Hessian for `\(name)`")
      }
      guard info.shape == [columns, columns], info.dtype.isFloatingPoint else {
        throw .invalidHessians(
          path: path,
          reason: "Hessian of `\(name)` is \(info.dtype.rawValue) \(info.shape); expected F32 [\(columns), \(columns)]")
      }
      result[name] = file.withBytes(of: info) { Tensor(decoding: $0, dtype: info.dtype, shape: info.shape) }
    }
    return result
  }
}
