import Compression
import Safetensors
import TensorCore

/// Stores the selected floating-point tensors in another float dtype (F32, F16 or BF16), rounding
/// to nearest-even. `decompress` converts them back to their original dtype.
public struct CastPass: CompressionPass {
  public static let description = PassDescription(
    name: "cast",
    summary: "convert selected tensors to another float dtype",
    parameters: [.init("dtype", default: "f16", "target dtype: f32, f16 or bf16")],
    needsCalibration: false)

  public let dtype: DType

  public init(parameters: inout PassParameters) throws(CompressionError) {
    let name = try parameters.choice("dtype", default: "f16", in: ["f32", "f16", "bf16"])
    dtype = ["f32": .f32, "f16": .f16, "bf16": .bf16][name]!
  }

  public var settings: [String: String] { ["dtype": dtype.rawValue.lowercased()] }

  public func apply(to tensor: Tensor, dtype _: DType, name _: String, layout _: WeightLayout)
    throws(CompressionError) -> WorkingTensor
  {
    .dense(tensor, dtype: dtype)
  }
}
