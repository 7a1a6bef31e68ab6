import Inference
import TensorCore

/// Accumulates the Hessian of every selected linear from the inputs the engine reports.
struct HessianObserver: ActivationObserver {
  var accumulators: [String: HessianAccumulator]
  /// With `stopsWhenComplete`, the names not yet seen in the current run; the sequential loop
  /// resets it before each run so that the block stops after the last linear it needs.
  var pending: Set<String> = []
  var stopsWhenComplete = false
  var wantsAttentionProbabilities: Bool { false }
  var isSatisfied: Bool { stopsWhenComplete && pending.isEmpty }

  /// With cross statistics, the same sample's inputs in the original model, by linear.
  var originalInputs: [String: Tensor] = [:]
  var cross: [String: CrossAccumulator] = [:]

  mutating func observeLinearInput(block: Int, name: String, input: Tensor) {
    accumulators[name]?.add(input, samples: 1)  // (tokens, in); one sequence per forward
    if let original = originalInputs[name] { cross[name]?.add(original: original, compressed: input) }
    pending.remove(name)
  }
}

/// Records the inputs of some linears in one run, stopping the block once all are seen.
struct InputCapture: ActivationObserver {
  var wanted: Set<String>
  var inputs: [String: Tensor] = [:]
  var wantsAttentionProbabilities: Bool { false }
  var isSatisfied: Bool { inputs.count == wanted.count }

  mutating func observeLinearInput(block: Int, name: String, input: Tensor) {
    if wanted.contains(name) { inputs[name] = input }
  }
}

/// Accumulates, for one linear, the Hessian of the original model's inputs x and the cross
/// statistics of x against the inputs x̃ the compressed prefix gives on the same tokens:
/// H = (2/n)·Σ xxᵀ and C = (2/n)·Σ x·x̃ᵀ (n samples, as in `HessianAccumulator`).
struct CrossAccumulator {
  private(set) var original: HessianAccumulator
  private var sum: Tensor  // Σ x x̃ᵀ, (in, in)

  init(columns: Int) {
    original = HessianAccumulator(columns: columns)
    sum = Tensor(shape: [columns, columns])
  }

  /// Adds one sample: `original` and `compressed` are (tokens, in), token for token.
  mutating func add(original x: Tensor, compressed: Tensor) {
    precondition(x.shape == compressed.shape, "CrossAccumulator: inputs \(x.shape) and \(compressed.shape)")
    original.add(x, samples: 1)
    gemm(x, compressed, into: &sum, alpha: 1, beta: 1, transposeA: true)  // Σ x x̃ᵀ
  }

  var statistics: CrossStatistics {
    let scale = original.sampleCount == 0 ? 0 : 2 / Float(original.sampleCount)
    return CrossStatistics(originalHessian: original.hessian, cross: scale * sum)
  }
}

extension HessianAccumulator {
  /// H = (2/n)·Σ x·xᵀ for every linear in `names`, from full forward passes of the model over
  /// the calibration samples (non-sequential: every layer sees the original model's inputs).
  public static func collect(
    model: any TransformerModel, calibration: CalibrationSet, names: [String],
    progress: ProgressHandler? = nil
  ) -> [String: HessianAccumulator] {
    var accumulators: [String: HessianAccumulator] = [:]
    for block in model.blocks {
      for name in block.linearNames where names.contains(name) {
        accumulators[name] = HessianAccumulator(columns: block.weights[name]!.shape[1])
      }
    }
    var observer = HessianObserver(accumulators: accumulators)
    for (index, sample) in calibration.samples.enumerated() {
      progress?(.init(stage: "calibrate", completed: index, total: calibration.samples.count, item: "sample \(index + 1)"))
      var hidden = model.embed(.tokens([sample]))  // (1, T, C); the head is not needed
      for block in model.blocks { hidden = block(hidden, observer: &observer) }
    }
    progress?(.init(stage: "calibrate", completed: calibration.samples.count, total: calibration.samples.count, item: ""))
    return observer.accumulators
  }
}
