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

  mutating func observeLinearInput(block: Int, name: String, input: Tensor) {
    accumulators[name]?.add(input, samples: 1)  // (tokens, in); one sequence per forward
    pending.remove(name)
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
