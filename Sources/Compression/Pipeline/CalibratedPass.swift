import Inference
import Safetensors
import TensorCore

/// A pass that compresses each selected linear from the statistics of its inputs (GPTQ,
/// SparseGPT, Wanda, sparse-regularized pruning): the pipeline collects the Hessians — through the
/// sequential calibration loop, from a Hessian file, or as H = I when the pass allows it — and
/// calls `solve`. Several calibrated passes that select the same linear solve it in turn inside one
/// loop, each on the previous one's result (`LayerProblem.mask` carries pruned positions along).
public protocol CalibratedPass: CompressionPass {
  /// Whether H = I may stand in when no calibration data or Hessians are given.
  var allowsIdentityHessian: Bool { get }
  /// Whether the sequential loop handles a block's linears in groups that share an input.
  var trueSequential: Bool { get }
  /// Whether the pass needs the cross statistics of original and compressed inputs
  /// (`LayerProblem.cross`); the sequential loop then also runs the original model beside the
  /// compressed one. False by default.
  var needsCrossStatistics: Bool { get }
  /// Whether the pass spends a budget over the whole model (low-rank's `allocation=sensitivity`):
  /// it then first sees every selected layer of the original model (`survey`) and is re-made with
  /// its plan (`planned`) before any layer is solved. False by default.
  var needsSurvey: Bool { get }
  /// What the pass keeps of one layer of the original model (its weight and Hessian) for its plan.
  func survey(_ problem: LayerProblem) throws(CompressionError) -> LayerSurvey
  /// The pass with a plan made from every selected layer's survey.
  func planned(_ surveys: [LayerSurvey]) -> any CalibratedPass
  /// Compresses one weight given its input statistics.
  func solve(_ problem: LayerProblem) throws(CompressionError) -> SolvedLayer
}

/// One layer of the original model as a planning pass sees it: its shape and the figures it
/// keeps (low-rank: the squared singular values of the fitted matrix).
public struct LayerSurvey: Sendable, Equatable {
  public var name: String
  public var out: Int
  public var inputs: Int
  public var values: [Double]

  public init(name: String, out: Int, inputs: Int, values: [Double]) {
    self.name = name
    self.out = out
    self.inputs = inputs
    self.values = values
  }
}

extension CalibratedPass {
  public var needsCrossStatistics: Bool { false }
  public var needsSurvey: Bool { false }
  public func survey(_ problem: LayerProblem) throws(CompressionError) -> LayerSurvey {
    LayerSurvey(name: problem.name, out: problem.weight.shape[0], inputs: problem.weight.shape[1], values: [])
  }
  public func planned(_ surveys: [LayerSurvey]) -> any CalibratedPass { self }

  /// Solves one stored tensor with H = I: the `apply` route of a pass that allows it when the
  /// pipeline has no statistics. The result is in the stored orientation.
  public func solveWithIdentityHessian(_ tensor: Tensor, dtype: DType, name: String, layout: WeightLayout)
    throws(CompressionError) -> WorkingTensor
  {
    let weight = layout == .outIn ? tensor : tensor.transposed()  // (out, in)
    return try solve(
      LayerProblem(
        weight: weight, hessian: .identity(weight.shape[1]), name: name, dtype: dtype, originalShape: tensor.shape,
        layout: layout)
    ).result
  }
}

/// One linear as a calibrated pass sees it.
public struct LayerProblem: Sendable {
  /// The current weight `(out, in)` (already transposed for `.inOut` layouts): the checkpoint's,
  /// or an earlier calibrated pass's result.
  public var weight: Tensor
  /// The input Hessian `H = (2/n)·Σ xxᵀ` `(in, in)`.
  public var hessian: Tensor
  /// The checkpoint's tensor name, its dtype, shape and layout there.
  public var name: String
  public var dtype: DType
  public var originalShape: [Int]
  public var layout: WeightLayout
  /// Weights an earlier pass pruned, which must stay exactly zero; nil when none did.
  public var mask: SparsityMask?
  /// The original model's statistics for this layer, when a pass asked for them
  /// (`needsCrossStatistics`) and the sequential loop ran; `hessian` is then that of the inputs
  /// the compressed prefix gives.
  public var cross: CrossStatistics?

  public init(
    weight: Tensor, hessian: Tensor, name: String, dtype: DType, originalShape: [Int], layout: WeightLayout,
    mask: SparsityMask? = nil, cross: CrossStatistics? = nil
  ) {
    self.weight = weight
    self.hessian = hessian
    self.name = name
    self.dtype = dtype
    self.originalShape = originalShape
    self.layout = layout
    self.mask = mask
    self.cross = cross
  }
}

/// A layer's inputs in the original model (x) against those of the compressed prefix (x̃) on the
/// same calibration tokens, for passes that fit the original layer's output from the compressed
/// prefix's inputs: H = (2/n)·Σ xxᵀ and C = (2/n)·Σ x·x̃ᵀ, both `(in, in)`.
public struct CrossStatistics: Sendable {
  public var originalHessian: Tensor
  public var cross: Tensor

  public init(originalHessian: Tensor, cross: Tensor) {
    self.originalHessian = originalHessian
    self.cross = cross
  }
}

/// A layer compressed by a calibrated pass.
public struct SolvedLayer: Sendable {
  /// What is stored (an encoding, or dense values).
  public var result: WorkingTensor
  /// The dense `(out, in)` weight the model continues with in the sequential loop.
  public var approximation: Tensor
  /// What the report shows for the layer (loss, output errors, damping used, …).
  public var details: LayerRecord
  /// The weights this pass or an earlier one pruned, for the passes after it.
  public var mask: SparsityMask?
  /// The factors of a layer stored as B·A (`LowRankEncoding`): a later calibrated pass solves
  /// each factor in turn (A on the layer's inputs, B on A's outputs).
  public var factors: LowRankFactors?

  public init(
    result: WorkingTensor, approximation: Tensor, details: LayerRecord, mask: SparsityMask? = nil,
    factors: LowRankFactors? = nil
  ) {
    self.result = result
    self.approximation = approximation
    self.details = details
    self.mask = mask
    self.factors = factors
  }
}

/// Per-layer figures of a calibrated pass, for the report.
public struct LayerRecord: Sendable, Equatable, Codable {
  /// The pass that solved the layer (`gptq`, `prune`).
  public var pass: String
  /// The method's own loss (GPTQ and SparseGPT: Σ (w − q)² / d² / 2; the other pruning methods:
  /// tr(ΔHΔᵀ)).
  public var loss: Double
  /// tr(ΔHΔᵀ) / tr(WHWᵀ) of this method, and of the data-free baseline on the same H
  /// (round-to-nearest on the same grid for quantizers, magnitude pruning in the same pattern for
  /// pruning). Δ is measured against this pass's input.
  public var relativeOutputError: Double
  public var baselineRelativeOutputError: Double
  /// The relative damping that made H positive definite.
  public var dampening: Double
  /// Where H came from: `sequential`, `hessian-file` or `identity`.
  public var hessianSource: String
  public var seconds: Double
  /// The method's own figures by name (pruning: `sparsity`; sparse-reg: `objective_start`,
  /// `objective_end`, `iterations`, … — docs/report.md).
  public var figures: [String: Double]

  public init(
    pass: String = "", loss: Double, relativeOutputError: Double, baselineRelativeOutputError: Double,
    dampening: Double, hessianSource: String, seconds: Double, figures: [String: Double] = [:]
  ) {
    self.pass = pass
    self.loss = loss
    self.relativeOutputError = relativeOutputError
    self.baselineRelativeOutputError = baselineRelativeOutputError
    self.dampening = dampening
    self.hessianSource = hessianSource
    self.seconds = seconds
    self.figures = figures
  }
}

/// Where a calibrated pass gets its statistics.
public struct CalibrationRequest: Sendable, Equatable {
  /// Calibration data for the sequential loop (needs a model folder input).
  public var dataPath: String?
  public var options: CalibrationSet.Options
  /// A Hessian file from `compress calibrate` (non-sequential).
  public var hessiansPath: String?
  /// Bytes of activations the sequential loop keeps in memory.
  public var memoryBudget: Int

  public init(
    dataPath: String? = nil, options: CalibrationSet.Options = .init(), hessiansPath: String? = nil,
    memoryBudget: Int = 4 << 30
  ) {
    self.dataPath = dataPath
    self.options = options
    self.hessiansPath = hessiansPath
    self.memoryBudget = memoryBudget
  }
}
