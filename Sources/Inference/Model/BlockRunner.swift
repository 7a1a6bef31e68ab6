import TensorCore

/// One transformer block with its weights, runnable alone: the unit of the sequential
/// calibration loop (run block i on captured inputs, compress its linears, run it again to get
/// the inputs of block i + 1).
///
/// Weights are keyed by their Hugging Face names (`model.layers.3.mlp.down_proj.weight`).
/// Every linear weight is held (out, in), GPT-2's Conv1D included (transposed at load).
/// A streamed block (`BlockResidency.streamed`) holds no weights until `load()` and drops them
/// at `unload()`; running it unloaded is a programming error.
public struct BlockRunner: Sendable {
  /// The block's index, 0-based.
  public let index: Int
  /// The block's tensors by Hugging Face name (empty while a streamed block is unloaded).
  public private(set) var weights: [String: Tensor]
  /// The block's binarized linear weights, packed (a checkpoint written by `binarize`).
  public private(set) var binaryWeights: [String: BinaryLinear]
  /// The Hugging Face names of the block's linear weights, in the order the block applies them.
  public let linearNames: [String]
  let kernel: any BlockKernel
  /// Where a streamed block reads its tensors.
  private let stream: (specs: [TensorSpec], source: any WeightSource)?

  init(index: Int, weights: BlockWeights, linearNames: [String], kernel: any BlockKernel) {
    self.index = index
    self.weights = weights.tensors
    self.binaryWeights = weights.binary
    self.stream = weights.stream
    self.linearNames = linearNames
    self.kernel = kernel
  }

  /// Whether the block reads its weights on `load()` instead of holding them throughout.
  public var isStreamed: Bool { stream != nil }

  /// Whether the block's weights are in memory (always, unless streamed and unloaded).
  public var isLoaded: Bool { !weights.isEmpty || !binaryWeights.isEmpty }

  /// Reads a streamed block's weights from its source; does nothing when they are loaded.
  public mutating func load() throws(InferenceError) {
    guard let stream, !isLoaded else { return }
    let loaded = try stream.source.loadBlock(stream.specs)
    (weights, binaryWeights) = (loaded.tensors, loaded.binary)
  }

  /// Drops a streamed block's weights (replaced ones included); a resident block keeps them.
  public mutating func unload() {
    if isStreamed { (weights, binaryWeights) = ([:], [:]) }
  }

  /// Replaces the tensor `name` (a compressed weight, dequantized) with one of the same shape.
  public mutating func replaceWeight(_ name: String, with tensor: Tensor) throws(InferenceError) {
    guard let current = weights[name] else { throw .unknownBlockTensor(name: name, block: index) }
    guard current.shape == tensor.shape else {
      throw .shapeMismatch(name: name, expected: current.shape, found: tensor.shape)
    }
    weights[name] = tensor
  }

  /// Runs the block: (B, T, C) in, (B, T, C) out.
  public func callAsFunction(_ input: HiddenStates) -> HiddenStates {
    var observer = NoObserver()
    return self(input, observer: &observer)
  }

  /// Runs the block, reporting linear inputs and attention probabilities to `observer`.
  public func callAsFunction<Observer: ActivationObserver>(
    _ input: HiddenStates, observer: inout Observer
  ) -> HiddenStates {
    var none: BlockTape? = nil
    return run(input, observer: &observer, tape: &none)
  }

  /// Runs the block on the input `tape` belongs to, replaying and keeping call outputs as
  /// `tape.prepare(firstOpen:)` arranged (see `BlockTape`).
  public func callAsFunction<Observer: ActivationObserver>(
    _ input: HiddenStates, observer: inout Observer, tape: inout BlockTape
  ) -> HiddenStates {
    var taped: BlockTape? = tape
    defer { tape = taped! }
    return run(input, observer: &observer, tape: &taped)
  }

  private func run<Observer: ActivationObserver>(
    _ input: HiddenStates, observer: inout Observer, tape: inout BlockTape?
  ) -> HiddenStates {
    precondition(isLoaded, "block \(index) is streamed and not loaded: call load() first")
    var pass = BlockPass(block: index, weights: weights, binary: binaryWeights, input: input, observer: observer, tape: tape)
    let output = kernel.forward(&pass)
    observer = pass.observer
    tape = pass.tape
    return output
  }
}

/// The computation of one architecture's block.
protocol BlockKernel: Sendable {
  /// Runs the block on `pass.input`, applying linears and attention through `pass`.
  func forward<Observer: ActivationObserver>(_ pass: inout BlockPass<Observer>) -> HiddenStates
}

/// One run of a block: its weights, its input, and the observer to notify on the way.
struct BlockPass<Observer: ActivationObserver> {
  let block: Int
  let weights: [String: Tensor]
  let binary: [String: BinaryLinear]
  let input: HiddenStates
  var observer: Observer
  /// Kept outputs of earlier runs on the same input, if any.
  var tape: BlockTape? = nil
  /// The number of `linears`/`attend` calls made so far (the tape's call index).
  private var calls = 0

  init(
    block: Int, weights: [String: Tensor], binary: [String: BinaryLinear] = [:], input: HiddenStates, observer: Observer,
    tape: BlockTape? = nil
  ) {
    self.block = block
    self.weights = weights
    self.binary = binary
    self.input = input
    self.observer = observer
    self.tape = tape
  }

  /// The tensor `name`; the loader guarantees it exists.
  func tensor(_ name: String) -> Tensor {
    guard let tensor = weights[name] else { preconditionFailure("block \(block): no tensor \(name)") }
    return tensor
  }

  /// Applies the linears `prefixes` (`<prefix>.weight`, optional `<prefix>.bias`) to the same
  /// input `x` (B·T, I), after showing `x` to the observer once per linear. Once the observer is
  /// satisfied, returns zeros (B·T, O) instead of computing. With a tape, the call may instead
  /// replay its kept output or return zeros unseen (see `BlockTape`).
  mutating func linears(_ x: Tensor, _ prefixes: [String]) -> [Tensor] {
    taped(.linears(prefixes.map { $0 + ".weight" })) { pass in pass.computeLinears(x, prefixes) } zeros: { pass in
      pass.zeroOutputs(x, prefixes)
    }
  }

  /// What the linears `prefixes` return on `x` when they are not computed: zeros (B·T, O) each.
  private func zeroOutputs(_ x: Tensor, _ prefixes: [String]) -> [Tensor] {
    prefixes.map { prefix in
      Tensor(shape: [x.shape[0], binary[prefix + ".weight"]?.out ?? (weights[prefix + ".weight"] ?? tensor(prefix + LowRankNames.b)).shape[0]])
    }
  }

  /// Runs call `call` as the tape says: `compute` it (and keep it), replay it, or return `zeros`.
  private mutating func taped(
    _ call: BlockTape.Call, compute: (inout Self) -> [Tensor], zeros: (Self) -> [Tensor]
  ) -> [Tensor] {
    let index = calls
    calls += 1
    guard tape != nil else { return compute(&self) }
    switch tape!.begin(index, call: call) {
    case .compute:
      return compute(&self)
    case .record:
      precondition(!observer.isSatisfied, "BlockTape: a kept output would be the zeros of a stopped run")
      let output = compute(&self)
      tape!.keep(index, output)
      return output
    case .replay:
      return tape!.replay(index)
    case .skip:
      return zeros(self)
    }
  }

  private mutating func computeLinears(_ x: Tensor, _ prefixes: [String]) -> [Tensor] {
    if observer.wantsLinearInputs && !observer.isSatisfied {
      let real = input.realRows(x)  // (Σ Lb, I)
      for prefix in prefixes { observer.observeLinearInput(block: block, name: prefix + ".weight", input: real) }
    }
    if observer.isSatisfied { return zeroOutputs(x, prefixes) }
    return prefixes.map { prefix in
      let bias = weights[prefix + ".bias"]
      if let weight = weights[prefix + ".weight"] { return Inference.linear(x, weight: weight, bias: bias) }
      if let packed = binary[prefix + ".weight"] { return packed.apply(x, bias: bias) }
      // A low-rank layer: (x·Aᵀ)·Bᵀ, r·(in + out) multiply-adds per token instead of in·out.
      let inner = Inference.linear(x, weight: tensor(prefix + LowRankNames.a), bias: nil)  // (B·T, r)
      return Inference.linear(inner, weight: tensor(prefix + LowRankNames.b), bias: bias)
    }
  }

  /// One linear layer; see `linears`.
  mutating func linear(_ x: Tensor, _ prefix: String) -> Tensor { linears(x, [prefix])[0] }

  /// Attention over the input's sequences; reports the probabilities to the observer. Zeros
  /// shaped like `q` once the observer is satisfied.
  mutating func attend(q: Tensor, k: Tensor, v: Tensor, shape: AttentionShape) -> Tensor {
    taped(.attention) { pass in [pass.computeAttention(q: q, k: k, v: v, shape: shape)] } zeros: { _ in
      [Tensor(shape: q.shape)]
    }[0]
  }

  private mutating func computeAttention(q: Tensor, k: Tensor, v: Tensor, shape: AttentionShape) -> Tensor {
    if observer.isSatisfied { return Tensor(shape: q.shape) }
    let keep = observer.wantsAttentionProbabilities
    let (context, probabilities) = Inference.attention(
      q: q, k: k, v: v, shape: shape, lengths: input.lengths, keepProbabilities: keep)
    for (sequence, p) in probabilities.enumerated() {
      observer.observeAttention(block: block, sequence: sequence, probabilities: p)
    }
    return context
  }
}
