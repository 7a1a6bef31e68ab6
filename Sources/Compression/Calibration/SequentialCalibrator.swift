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
///
/// With `crossStatistics`, the original model runs beside the compressed one (its own activations,
/// its own copy of each block's weights), and each linear also gets the statistics of its original
/// inputs against the compressed prefix's (`CrossStatistics`), for passes that fit the original
/// outputs. That costs about one more block forward per block, and the original activations.
public struct SequentialCalibrator: Sendable {
  public var trueSequential: Bool
  /// Bytes of activations kept in memory; the rest spill to disk.
  public var memoryBudget: Int
  /// Whether to collect `LayerStatistics.cross`.
  public var crossStatistics: Bool

  public init(trueSequential: Bool = true, memoryBudget: Int = 4 << 30, crossStatistics: Bool = false) {
    self.trueSequential = trueSequential
    self.memoryBudget = memoryBudget
    self.crossStatistics = crossStatistics
  }

  /// Replaces one selected weight, given its current value (out, in) and its input statistics;
  /// returns the dense weight the model continues with (the dequantized or pruned one).
  public typealias Solve = (_ name: String, _ weight: Tensor, _ statistics: LayerStatistics) throws(CompressionError) -> Tensor

  /// Runs the loop over `model`, changing the selected weights in place. Streamed blocks are
  /// loaded in their turn and unloaded after it, so their replaced weights reach only `solve`'s
  /// caller: memory holds one block's weights, not the model's.
  public func run(
    model: inout any TransformerModel, calibration: CalibrationSet, selected: Set<String>,
    progress: ProgressHandler? = nil, solve: Solve
  ) throws(CompressionError) {
    let store = ActivationStore(memoryBudget: crossStatistics ? memoryBudget / 2 : memoryBudget)
    let originals = crossStatistics ? ActivationStore(memoryBudget: memoryBudget / 2) : nil
    for (index, sample) in calibration.samples.enumerated() {
      let embedded = model.embed(.tokens([sample]))  // (1, T, C)
      try store.set(index, embedded)
      try originals?.set(index, embedded)
    }
    let total = model.blocks.count
    for b in 0..<total {
      progress?(.init(stage: "calibrate", completed: b, total: total, item: "block \(b)"))
      do throws(InferenceError) {
        try model.blocks[b].load()  // a streamed block is read in its turn
      } catch {
        throw .inference(error)
      }
      let targets = model.blocks[b].linearNames.filter(selected.contains)
      let original = originals.map { (store: $0, block: model.blocks[b]) }  // before any replacement
      var tapes: [BlockTape]?  // per sample, when true-sequential and within the memory budget
      var lastOpen = 0
      if !targets.isEmpty && trueSequential {
        let (groups, calls) = try inputGroups(of: model.blocks[b], store: store, among: targets)
        if tapeBytes(model.blocks[b], calibration: calibration) <= store.freeBytes {
          tapes = Array(repeating: BlockTape(), count: calibration.samples.count)
        }
        for group in groups {
          // A true-sequential group shares one input, hence one Hessian; the calls before the
          // group's own are final, so the tapes replay them.
          lastOpen = calls.firstIndex { if case .linears(let names) = $0 { names.contains(group[0]) } else { false } }!
          let statistics = try accumulate(
            [group[0]], block: model.blocks[b], store: store, original: original, count: calibration.samples.count,
            tapes: &tapes, firstOpen: lastOpen)
          for name in group { try replace(name, in: &model.blocks[b], by: solve(name, model.blocks[b].weights[name]!, statistics[group[0]]!)) }
        }
      } else if !targets.isEmpty {
        let statistics = try accumulate(
          targets, block: model.blocks[b], store: store, original: original, count: calibration.samples.count,
          tapes: &tapes, firstOpen: 0)
        for name in targets { try replace(name, in: &model.blocks[b], by: solve(name, model.blocks[b].weights[name]!, statistics[name]!)) }
      }
      for index in calibration.samples.indices {
        var none = NoObserver()
        let output = run(model.blocks[b], try store.get(index), observer: &none, tapes: &tapes, index: index, firstOpen: lastOpen)
        tapes?[index] = BlockTape()  // the block is done: free its outputs
        try store.set(index, output)
        if let original { try original.store.set(index, original.block(try original.store.get(index))) }
      }
      model.blocks[b].unload()  // a streamed block is dropped once done
    }
    progress?(.init(stage: "calibrate", completed: total, total: total, item: ""))
  }

  private func replace(_ name: String, in block: inout BlockRunner, by weight: Tensor) throws(CompressionError) {
    do throws(InferenceError) {
      try block.replaceWeight(name, with: weight)
    } catch {
      throw .inference(error)
    }
  }

  /// Statistics of `names` over every sample, running the block with its current weights only as
  /// far as the last of them; with tapes, replaying the calls before `firstOpen`. With `original`
  /// (the original block and its activations), each sample's original inputs of `names` are
  /// captured first, for the cross statistics.
  private func accumulate(
    _ names: [String], block: BlockRunner, store: ActivationStore,
    original: (store: ActivationStore, block: BlockRunner)?, count: Int, tapes: inout [BlockTape]?, firstOpen: Int
  ) throws(CompressionError) -> [String: LayerStatistics] {
    var observer = HessianObserver(accumulators: [:], stopsWhenComplete: true)
    for name in names {
      let columns = block.weights[name]!.shape[1]
      observer.accumulators[name] = HessianAccumulator(columns: columns)
      if original != nil { observer.cross[name] = CrossAccumulator(columns: columns) }
    }
    for index in 0..<count {
      if let original {
        var capture = InputCapture(wanted: Set(names))
        _ = original.block(try original.store.get(index), observer: &capture)
        observer.originalInputs = capture.inputs
      }
      observer.pending = Set(names)
      _ = run(block, try store.get(index), observer: &observer, tapes: &tapes, index: index, firstOpen: firstOpen)
    }
    var statistics: [String: LayerStatistics] = [:]
    for (name, accumulator) in observer.accumulators {
      statistics[name] = LayerStatistics(inputs: accumulator, cross: observer.cross[name]?.statistics)
    }
    return statistics
  }

  /// Runs `block` on sample `index`'s input, through its tape (prepared for `firstOpen`) if any.
  private func run<Observer: ActivationObserver>(
    _ block: BlockRunner, _ input: HiddenStates, observer: inout Observer, tapes: inout [BlockTape]?, index: Int,
    firstOpen: Int
  ) -> HiddenStates {
    guard tapes != nil else { return block(input, observer: &observer) }
    tapes![index].prepare(firstOpen: firstOpen)
    return block(input, observer: &observer, tape: &tapes![index])
  }

  /// An upper bound of the tapes' bytes for one block: every linear's output and one attention
  /// output (as wide as the first linear's) for every token of every sample.
  private func tapeBytes(_ block: BlockRunner, calibration: CalibrationSet) -> Int {
    let widths = block.linearNames.map { block.weights[$0]!.shape[0] }
    let tokens = calibration.samples.reduce(0) { $0 + $1.count }
    return tokens * (widths.reduce(0, +) + (widths.first ?? 0)) * 4
  }

  /// The targets split into runs of consecutive linears that read the same input, in the order
  /// the block applies them, and the block's calls (both found on the first sample).
  private func inputGroups(of block: BlockRunner, store: ActivationStore, among targets: [String])
    throws(CompressionError) -> (groups: [[String]], calls: [BlockTape.Call])
  {
    var recorder = InputRecorder()
    var tape = BlockTape()
    _ = block(try store.get(0), observer: &recorder, tape: &tape)
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
    return (groups, tape.calls)
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

/// What the sequential loop knows of one linear's inputs.
public struct LayerStatistics: Sendable {
  /// H = (2/n)·Σ x̃x̃ᵀ of the inputs the layer gets in the partly compressed model.
  public var inputs: HessianAccumulator
  /// With `SequentialCalibrator.crossStatistics`, the original model's inputs against those.
  public var cross: CrossStatistics?

  public init(inputs: HessianAccumulator, cross: CrossStatistics? = nil) {
    self.inputs = inputs
    self.cross = cross
  }

  public var hessian: Tensor { inputs.hessian }
  public var sampleCount: Int { inputs.sampleCount }
  public var tokenCount: Int { inputs.tokenCount }
}
