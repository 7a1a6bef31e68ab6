import Compression
import Safetensors
import TensorCore

/// Round-to-nearest quantization: each group of each row gets a min-max grid of `2^bits` levels
/// and every weight its nearest level. The baseline every quantizer is measured against, stored in
/// the GPTQ checkpoint layout (docs/quantization.md).
public struct RoundToNearestPass: CompressionPass {
  public static let description = PassDescription(
    name: "rtn",
    summary: "round-to-nearest integer quantization, stored in the GPTQ layout",
    parameters: [
      .init("bits", default: "4", "bits per weight, 2...8 (GPTQ loaders read 2, 3, 4, 8)"),
      .init("group-size", default: "128", "columns sharing a scale; -1 = one group per row"),
      .init("sym", default: "true", "symmetric grid (zero point in the middle)"),
    ],
    needsCalibration: false)

  public let scheme: QuantizationScheme

  public init(parameters: inout PassParameters) throws(CompressionError) {
    let bits = try parameters.int("bits", default: 4, in: 2...8)
    let groupSize = try parameters.int("group-size", default: 128, in: 1...1 << 20, or: [-1])
    let symmetric = try parameters.bool("sym", default: true)
    do {
      scheme = try QuantizationScheme(
        bits: bits, groupSize: groupSize == -1 ? nil : groupSize, symmetric: symmetric)
    } catch {
      throw .invalidParameter(pass: "rtn", key: "bits", value: "\(bits)", expected: "\(error)")
    }
  }

  public var settings: [String: String] {
    ["bits": "\(scheme.bits)", "group-size": "\(scheme.groupSize ?? -1)", "sym": "\(scheme.symmetric)"]
  }

  public func apply(to tensor: Tensor, dtype: DType, name: String, layout: WeightLayout)
    throws(CompressionError) -> WorkingTensor
  {
    guard tensor.rank == 2 else {
      throw .unsupportedShape(
        tensor: name, pass: "rtn", shape: tensor.shape, expected: "a 2-D weight matrix")
    }
    let weight = layout == .outIn ? tensor : tensor.transposed()  // (out, in)
    let matrix = quantizeRoundToNearest(
      weight, scheme: scheme, minimumZero: scheme.symmetric ? 0 : GPTQPackedTensors.minimumZero)
    return .encoded(
      try GPTQEncoding.encode(
        matrix, name: name, originalDType: dtype, originalShape: tensor.shape, layout: layout))
  }
}
