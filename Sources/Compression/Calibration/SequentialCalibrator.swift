import Inference
import TensorCore

/// The sequential calibration loop of GPTQ/SparseGPT (passes.md §0.1), written once for every
/// data-aware pass:
///
/// 1. run the embedding stack on every sample → the inputs of block 0;
/// 2. for each block: run it on every sample while the selected linears' Hessians accumulate,
///    let the pass replace those weights, and re-run the changed block to get the inputs of the
///    next block — so every layer sees the outputs of the already-compressed layers before it.
///
/// With `trueSequential`, a block's linears are handled in groups that share one input (q/k/v,
/// then o, then gate/up, then down): the block is re-run before each group, so later groups see
/// the compressed earlier ones. Groups are found from the engine itself — consecutive linears
/// that receive the same input tensor — so no architecture table is needed.
public struct SequentialCalibrator: Sendable {
  public var trueSequential: Bool
  /// Bytes of activations kept in memory; the rest spill to disk.
  public var memoryBudget: Int

  public init(trueSequential: Bool = true, memoryBudget: Int = 4 << 30) {
    self.trueSequential = trueSequential
    self.memoryBudget = memoryBudget
  }

  /// Replaces one selected weight, given its current value (out, in) and its Hessian; returns
  /// the dense weight the model continues with (the dequantized or pruned one).
  public typealias Solve = (_ name: String, _ weight: Tensor, _ hessian: HessianAccumulator) throws(CompressionError) -> Tensor

  /// Runs the loop over `model`, changing the selected weights in place.
  public func run(
    model: inout any TransformerModel, calibration: CalibrationSet, selected: Set<String>,
    progress: ProgressHandler? = nil, solve: Solve
  ) throws(CompressionError) {
    let store = ActivationStore(memoryBudget: memoryBudget)
    for (index, sample) in calibration.samples.enumerated() {
      try store.set(index, model.embed(.tokens([sample])))  // (1, T, C)
    }
    let total = model.blocks.count
    for b in 0..<total {
      progress?(.init(stage: "calibrate", completed: b, total: total, item: "block \(b)"))
      let targets = model.blocks[b].linearNames.filter(selected.contains)
      if !targets.isEmpty {
        let groups = trueSequential ? try inputGroups(of: model.blocks[b], store: store, among: targets) : [targets]
        for group in groups {
          // A true-sequential group shares one input, hence one Hessian.
          let sources = trueSequential ? [group[0]] : group
          let hessians = try accumulate(sources, block: model.blocks[b], store: store, count: calibration.samples.count)
          for name in group {
            let replacement = try solve(name, model.blocks[b].weights[name]!, hessians[name] ?? hessians[group[0]]!)
            do throws(InferenceError) {
              try model.blocks[b].replaceWeight(name, with: replacement)
            } catch {
              throw .inference(error)
            }
          }
        }
      }
      for index in calibration.samples.indices {
        try store.set(index, model.blocks[b](try store.get(index)))
      }
    }
    progress?(.init(stage: "calibrate", completed: total, total: total, item: ""))
  }

  /// Hessians of `names` over every sample, running the block with its current weights only as
  /// far as the last of them.
  private func accumulate(_ names: [String], block: BlockRunner, store: ActivationStore, count: Int)
    throws(CompressionError) -> [String: HessianAccumulator]
  {
    var observer = HessianObserver(accumulators: [:], stopsWhenComplete: true)
    for name in names { observer.accumulators[name] = HessianAccumulator(columns: block.weights[name]!.shape[1]) }
    for index in 0..<count {
      observer.pending = Set(names)
      _ = block(try store.get(index), observer: &observer)
    }
    return observer.accumulators
  }

  /// The targets split into runs of consecutive linears that read the same input, in the order
  /// the block applies them (found on the first sample).
  private func inputGroups(of block: BlockRunner, store: ActivationStore, among targets: [String])
    throws(CompressionError) -> [[String]]
  {
    var recorder = InputRecorder()
    _ = block(try store.get(0), observer: &recorder)
    var groups: [[String]] = []
    var previous: Tensor?
    for (name, input) in recorder.inputs where targets.contains(name) {
      if let previous, previous == input, !groups.isEmpty {
        groups[groups.count - 1].append(name)
      } else {
        groups.append([name])
      }
      previous = input
    }
    return groups
  }
}

/// Records every linear's input of one block run, in order.
private struct InputRecorder: ActivationObserver {
  var inputs: [(String, Tensor)] = []
  var wantsAttentionProbabilities: Bool { false }

  mutating func observeLinearInput(block: Int, name: String, input: Tensor) {
    inputs.append((name, input))
  }
}
