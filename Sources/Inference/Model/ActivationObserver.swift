import TensorCore

/// Watches what flows through a block: the input of every linear layer and the attention
/// probabilities. Calibration passes accumulate Hessians or norms from the first; token pruning
/// (Zero-TPrune) ranks tokens from the second.
///
/// Both methods have empty default implementations; set `wantsLinearInputs` or
/// `wantsAttentionProbabilities` to `false` to spare the engine the copies.
public protocol ActivationObserver {
  /// Whether `observeLinearInput` should be called (default `true`).
  var wantsLinearInputs: Bool { get }
  /// Whether `observeAttention` should be called (default `true`).
  var wantsAttentionProbabilities: Bool { get }
  /// Whether the observer has seen all it needs of this run (default `false`). From then on the
  /// block skips its remaining linear layers (they return zeros), so the run's output is
  /// meaningless: only an observer that discards it may say `true`.
  var isSatisfied: Bool { get }

  /// Called before the linear layer whose weight is `name` (its Hugging Face name, e.g.
  /// `model.layers.3.self_attn.q_proj.weight`) with its input over the real tokens of every
  /// sequence, (Σ lengths, I). Layers that share an input (q, k, v) are each called with it.
  mutating func observeLinearInput(block: Int, name: String, input: Tensor)

  /// Called with the attention probabilities of sequence `sequence` in block `block`,
  /// (H, Lb, Lb): rows are queries, columns keys, over the Lb real tokens.
  mutating func observeAttention(block: Int, sequence: Int, probabilities: Tensor)
}

extension ActivationObserver {
  /// Linear inputs are observed by default.
  public var wantsLinearInputs: Bool { true }
  /// Attention probabilities are observed by default.
  public var wantsAttentionProbabilities: Bool { true }
  /// The whole block runs by default.
  public var isSatisfied: Bool { false }
  /// Ignores the input.
  public mutating func observeLinearInput(block: Int, name: String, input: Tensor) {}
  /// Ignores the probabilities.
  public mutating func observeAttention(block: Int, sequence: Int, probabilities: Tensor) {}
}

/// The observer that watches nothing (a plain forward pass).
public struct NoObserver: ActivationObserver {
  /// Creates the observer.
  public init() {}
  /// `false`.
  public var wantsLinearInputs: Bool { false }
  /// `false`.
  public var wantsAttentionProbabilities: Bool { false }
}
