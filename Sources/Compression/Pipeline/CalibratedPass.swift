import Inference
import Safetensors
import TensorCore

/// A pass that compresses each selected linear from the statistics of its inputs (GPTQ,
/// SparseGPT-style pruning): the pipeline collects the Hessians — through the sequential
/// calibration loop, from a Hessian file, or as H = I when the pass allows it — and calls `solve`.
public protocol CalibratedPass: CompressionPass {
  /// Whether H = I may stand in when no calibration data or Hessians are given.
  var allowsIdentityHessian: Bool { get }
  /// Whether the sequential loop handles a block's linears in groups that share an input.
  var trueSequential: Bool { get }
  /// Compresses one weight, `(out, in)` (already transposed for `.inOut` layouts), given its
  /// input Hessian `(in, in)`.
  func solve(weight: Tensor, hessian: Tensor, name: String, dtype: DType, originalShape: [Int], layout: WeightLayout)
    throws(CompressionError) -> SolvedLayer
}

/// A layer compressed by a calibrated pass.
public struct SolvedLayer: Sendable {
  /// What is stored (an encoding).
  public var result: WorkingTensor
  /// The dense `(out, in)` weight the model continues with in the sequential loop.
  public var approximation: Tensor
  /// What the report shows for the layer (loss, output errors, damping used, …).
  public var details: LayerRecord

  public init(result: WorkingTensor, approximation: Tensor, details: LayerRecord) {
    self.result = result
    self.approximation = approximation
    self.details = details
  }
}

/// Per-layer figures of a calibrated pass, for the report.
public struct LayerRecord: Sendable, Equatable, Codable {
  /// The method's own loss (GPTQ: Σ (w − q)² / d² / 2).
  public var loss: Double
  /// tr(ΔHΔᵀ) / tr(WHWᵀ) of this method, and of round-to-nearest on the same H.
  public var relativeOutputError: Double
  public var baselineRelativeOutputError: Double
  /// The relative damping that made H positive definite.
  public var dampening: Double
  /// Where H came from: `sequential`, `hessian-file` or `identity`.
  public var hessianSource: String
  public var seconds: Double

  public init(
    loss: Double, relativeOutputError: Double, baselineRelativeOutputError: Double, dampening: Double,
    hessianSource: String, seconds: Double
  ) {
    self.loss = loss
    self.relativeOutputError = relativeOutputError
    self.baselineRelativeOutputError = baselineRelativeOutputError
    self.dampening = dampening
    self.hessianSource = hessianSource
    self.seconds = seconds
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
