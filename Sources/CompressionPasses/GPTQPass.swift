import Compression
import Foundation
import Safetensors
import TensorCore

/// GPTQ (Frantar et al., arXiv 2210.17323, Algorithm 1): each selected linear is quantized column
/// by column through the Cholesky factor of its inverse input Hessian, the rounding error of every
/// column fed back into the columns not yet quantized. Stored in the GPTQ checkpoint layout, like
/// `rtn`. The solver is `gptqQuantize` (docs/gptq.md); this type is its wiring.
public struct GPTQPass: CalibratedPass {
  public static let description = PassDescription(
    name: "gptq",
    summary: "second-order quantization through the inverse Hessian's Cholesky factor, GPTQ layout",
    parameters: [
      .init("bits", default: "4", "bits per weight, 2...8 (GPTQ loaders read 2, 3, 4, 8)"),
      .init("group-size", default: "128", "columns sharing a scale; -1 = one group per row"),
      .init("sym", default: "true", "symmetric grid"),
      .init("act-order", default: "true", "quantize columns by descending Hessian diagonal (desc_act)"),
      .init("static-groups", default: "true", "with act-order: fit the groups before reordering (plain g_idx)"),
      .init("damp", default: "0.01", "relative dampening of the Hessian diagonal; raised ×10 on failure"),
      .init("block-size", default: "128", "columns per lazy batch update"),
      .init("true-sequential", default: "true", "solve q/k/v, o, gate/up, down in turn inside a block"),
      .init("allow-identity", default: "false", "with no calibration data, use H = I (equals rtn)"),
    ],
    needsCalibration: true)

  public let options: GPTQOptions
  public let trueSequential: Bool
  public let allowsIdentityHessian: Bool

  public init(parameters: inout PassParameters) throws(CompressionError) {
    let bits = try parameters.int("bits", default: 4, in: 2...8)
    let groupSize = try parameters.int("group-size", default: 128, in: 1...1 << 20, or: [-1])
    let symmetric = try parameters.bool("sym", default: true)
    // Act-order with static groups by default: the best perplexity measured on SmolLM2 (docs/gptq.md),
    // llm-compressor's default too, and g_idx stays c / group-size, so loaders need no reordering.
    let actOrder = try parameters.bool("act-order", default: true)
    let staticGroups = try parameters.bool("static-groups", default: true)
    let damp = try parameters.double("damp", default: 0.01, in: 0...1)
    let blockSize = try parameters.int("block-size", default: 128, in: 1...1 << 16)
    trueSequential = try parameters.bool("true-sequential", default: true)
    allowsIdentityHessian = try parameters.bool("allow-identity", default: false)
    let scheme: QuantizationScheme
    do {
      scheme = try QuantizationScheme(bits: bits, groupSize: groupSize == -1 ? nil : groupSize, symmetric: symmetric)
    } catch {
      throw .invalidParameter(pass: "gptq", key: "bits", value: "\(bits)", expected: "\(error)")
    }
    options = GPTQOptions(
      scheme: scheme, blockSize: blockSize, dampening: damp, actOrder: actOrder, staticGroups: staticGroups)
  }

  public var settings: [String: String] {
    [
      "bits": "\(options.scheme.bits)", "group-size": "\(options.scheme.groupSize ?? -1)",
      "sym": "\(options.scheme.symmetric)", "act-order": "\(options.actOrder)",
      "static-groups": "\(options.staticGroups)", "damp": "\(options.dampening)",
      "block-size": "\(options.blockSize)", "true-sequential": "\(trueSequential)",
    ]
  }

  /// Used only when the pipeline has no statistics and `allow-identity=true`: H = I.
  public func apply(to tensor: Tensor, dtype: DType, name: String, layout: WeightLayout)
    throws(CompressionError) -> WorkingTensor
  {
    guard allowsIdentityHessian else { throw .calibrationRequired(pass: "gptq") }
    return try solveWithIdentityHessian(tensor, dtype: dtype, name: name, layout: layout)
  }

  /// With `problem.mask` (an earlier `prune`), the pruned weights stay exactly zero.
  public func solve(_ problem: LayerProblem) throws(CompressionError) -> SolvedLayer {
    let start = ContinuousClock.now
    let (weight, hessian) = (problem.weight, problem.hessian)
    let result: GPTQResult
    do {
      result = try gptqQuantize(weight: weight, hessian: hessian, options: options, mask: problem.mask)
    } catch {
      throw .gptq(tensor: problem.name, error)
    }
    let encoded = try GPTQEncoding.encode(
      result.matrix, name: problem.name, originalDType: problem.dtype, originalShape: problem.originalShape,
      layout: problem.layout)
    let approximation = result.matrix.dequantized()  // (out, in)
    let baseline = quantizeRoundToNearest(weight, scheme: options.scheme, minimumZero: options.minimumZero).dequantized()
    let elapsed = (ContinuousClock.now - start).components
    let details = LayerRecord(
      pass: Self.description.name, loss: result.loss, relativeOutputError: relativeOutputError(weight, approximation, hessian: hessian),
      baselineRelativeOutputError: relativeOutputError(weight, baseline, hessian: hessian),
      dampening: result.dampeningUsed, hessianSource: "",
      seconds: Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18)
    return SolvedLayer(result: .encoded(encoded), approximation: approximation, details: details, mask: problem.mask)
  }
}
