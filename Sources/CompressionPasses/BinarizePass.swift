import Compression
import Foundation
import Inference
import Safetensors
import TensorCore

/// Binarization: each selected linear becomes α·sign(W − μ) + μ, 1 bit per weight, with a low-rank
/// estimate of the binarization residual, optional GPTQ-style error feedback and optional salient
/// weights kept at 8 bits (docs/binarize.md). BiPFT (arXiv 2312.08937) trains these pieces; here
/// they are fitted per layer after training: the signs and scales by `binarize` (XNOR scaling,
/// BiLLM/PB-LLM feedback and saliency), the residual by `fitBinarizationResidual` (the whitened SVD
/// of R = W − W_b). Without data, H = I stands in: the residual is the plain SVD and the saliency
/// w². This type is the wiring.
public struct BinarizePass: CalibratedPass {
  public static let description = PassDescription(
    name: "binarize",
    summary: "1-bit weights α·sign(W−μ)+μ with a low-rank estimate of the residual (whitened with calibration data), optional error feedback and 8-bit salient weights",
    parameters: [
      .init("scale", default: "row", "row (α, μ per output row) or matrix (one α, μ per layer, as BiPFT)"),
      .init("residual-rank", default: "8", "rank k of the residual estimate B·A (0: none); needs k·(in + out) < in·out"),
      .init("salient", default: "0", "fraction of weights kept at 8 bits, by Hessian saliency w²/U[c,c]² (w² without data), 0 ≤ salient ≤ 0.5"),
      .init("feedback", default: "false", "binarize column by column with GPTQ's error feedback (needs calibration)"),
      .init("damp", default: "0.01", "relative dampening of the Hessian diagonal"),
      .init("block-size", default: "128", "feedback: columns per lazy batch"),
      .init("true-sequential", default: "true", "solve q/k/v, o, gate/up, down in turn inside a block"),
    ],
    needsCalibration: false)

  public let options: BinarizationOptions
  public let residualRank: Int
  public let trueSequential: Bool

  /// Everything but feedback runs without data (H = I).
  public var allowsIdentityHessian: Bool { !options.feedback }

  public init(parameters: inout PassParameters) throws(CompressionError) {
    let scale = BinaryScale(rawValue: try parameters.choice("scale", default: "row", in: BinaryScale.allCases.map(\.rawValue)))!
    residualRank = try parameters.int("residual-rank", default: 8, in: 0...Int(Int32.max))
    let salient = try parameters.double("salient", default: 0, in: 0...0.5)
    let feedback = try parameters.bool("feedback", default: false)
    if !feedback, parameters.contains("block-size") {
      throw .invalidParameter(pass: "binarize", key: "block-size", value: "(given)", expected: "no block-size without feedback=true")
    }
    options = BinarizationOptions(
      scale: scale, salientFraction: salient, feedback: feedback,
      blockSize: try parameters.int("block-size", default: 128, in: 1...1 << 16),
      dampening: try parameters.double("damp", default: 0.01, in: 0...1))
    trueSequential = try parameters.bool("true-sequential", default: true)
  }

  public var settings: [String: String] {
    var settings = [
      "scale": options.scale.rawValue, "residual-rank": "\(residualRank)", "salient": "\(options.salientFraction)",
      "feedback": "\(options.feedback)", "damp": "\(options.dampening)", "true-sequential": "\(trueSequential)",
    ]
    if options.feedback { settings["block-size"] = "\(options.blockSize)" }
    return settings
  }

  /// A matrix whose residual factors, if any, are smaller than the matrix.
  public func validate(name: String, shape: [Int], layout: WeightLayout) throws(CompressionError) {
    guard shape.count == 2 else {
      throw .unsupportedShape(tensor: name, pass: "binarize", shape: shape, expected: "a 2-D weight matrix")
    }
    if residualRank > 0, !lowRankSaves(rank: residualRank, out: shape[0], in: shape[1]) {
      throw .unsupportedShape(
        tensor: name, pass: "binarize", shape: shape,
        expected: "residual-rank=\(residualRank) with k·(in + out) < in·out (a smaller residual-rank, or 0)")
    }
  }

  public func apply(to tensor: Tensor, dtype: DType, name: String, layout: WeightLayout)
    throws(CompressionError) -> WorkingTensor
  {
    guard allowsIdentityHessian else { throw .calibrationRequired(pass: "binarize") }
    return try solveWithIdentityHessian(tensor, dtype: dtype, name: name, layout: layout)
  }

  public func solve(_ problem: LayerProblem) throws(CompressionError) -> SolvedLayer {
    let start = ContinuousClock.now
    try validate(name: problem.name, shape: problem.weight.shape, layout: .outIn)
    let (matrix, loss, dampening, discarded) = try binarized(problem, options: options, rank: residualRank)
    let approximation = matrix.dense()
    let encoded = BinaryEncoding.encode(
      matrix, scale: options.scale, originalDType: problem.dtype, originalShape: problem.originalShape, layout: problem.layout)
    let own = relativeOutputError(problem.weight, approximation, hessian: problem.hessian)
    // The baseline: plain binarization (per-row scales, no residual, salient weights or feedback).
    let plain = options == BinarizationOptions(dampening: options.dampening) && residualRank == 0
      ? approximation : try binarized(problem, options: BinarizationOptions(dampening: options.dampening), rank: 0).matrix.dense()
    let weights = Double(matrix.out * matrix.inputs)
    func bits(_ prefix: String) -> Double {
      Double(encoded.parts.filter { $0.suffix.hasPrefix(prefix) }.reduce(0) { $0 + $1.bytes.count } * 8) / weights
    }
    let figures: [String: Double] = [
      "residual_rank": Double(matrix.residualA?.shape[0] ?? 0),
      "residual_discarded_energy": discarded,
      "salient": Double(matrix.salient?.count ?? 0) / weights,
      "bits_signs": bits("binary.bits"),
      "bits_scales": bits("binary.alpha") + bits("binary.mu"),
      "bits_residual": bits("binary.residual."),
      "bits_salient": bits("binary.salient."),
    ]
    let elapsed = (ContinuousClock.now - start).components
    let details = LayerRecord(
      pass: Self.description.name, loss: loss, relativeOutputError: own,
      baselineRelativeOutputError: relativeOutputError(problem.weight, plain, hessian: problem.hessian),
      dampening: dampening, hessianSource: "", seconds: Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18,
      figures: figures)
    // Binarization writes every weight: no earlier zeros survive it.
    return SolvedLayer(result: .encoded(encoded), approximation: approximation, details: details)
  }

  /// Signs, scales, salient weights and the residual of one layer.
  private func binarized(_ problem: LayerProblem, options: BinarizationOptions, rank: Int) throws(CompressionError)
    -> (matrix: BinaryLinear, loss: Double, dampening: Double, discarded: Double)
  {
    let signs: BinarizationResult
    do {
      signs = try binarize(weight: problem.weight, hessian: problem.hessian, options: options)
    } catch {
      throw .binarization(tensor: problem.name, error)
    }
    do {
      let (matrix, discarded) = try fitBinarizationResidual(
        weight: problem.weight, binarized: signs.matrix, hessian: problem.hessian, rank: rank, dampening: options.dampening)
      return (matrix, signs.loss, signs.dampening, discarded)
    } catch {
      throw .linearAlgebra(tensor: problem.name, error)
    }
  }
}
