// GPT-2 decoder: learned positions, pre-LayerNorm blocks, fused QKV, tied LM head.
//
// Legend: B = sequences, T = padded length, C = hidden, H = heads, D = head dimension,
// F = intermediate (n_inner, 4·C by default), V = vocabulary.
// GPT-2's Conv1D stores weights (I, O); the loader transposes them to the engine's (O, I), so
// `attn.c_attn.weight` is held (3·C, C) and the observer sees the same inputs as in PyTorch.
//   x = wte[ids] + wpe[t]                                            // (B, T, C)
//   per block:  x += c_proj(attn(split(c_attn(ln_1(x)))))            // causal
//               x += mlp.c_proj(gelu_new(mlp.c_fc(ln_2(x))))
//   logits = ln_f(x) · wteᵀ                                          // (B, T, V)
import TensorCore

/// The Hugging Face tensor names of GPT-2 checkpoints (`GPT2LMHeadModel`; bare `GPT2Model`
/// checkpoints have no `transformer.` prefix).
enum GPT2Names {
  static let prefixes = ["transformer.", ""]
  static let tokens = "wte.weight"
  static let positions = "wpe.weight"
  static let finalNorm = "ln_f"
  static let head = "lm_head.weight"
  static func block(_ i: Int) -> String { "h.\(i)." }
  static let norm1 = "ln_1", norm2 = "ln_2"
  static let qkv = "attn.c_attn", output = "attn.c_proj"
  static let up = "mlp.c_fc", down = "mlp.c_proj"
}

/// A GPT-2 causal language model.
public struct GPT2Model: TransformerModel {
  /// The config.
  public let config: TransformerConfig
  /// The blocks.
  public var blocks: [BlockRunner]
  /// Token embeddings (V, C), position embeddings (T_max, C), final LayerNorm.
  public let tokenEmbedding: Tensor, positionEmbedding: Tensor, finalNormWeight: Tensor, finalNormBias: Tensor
  /// The LM head, (V, C): the token embeddings when tied.
  public let lmHead: Tensor

  /// Checks every tensor's presence and shape against `config`, then loads them.
  public init(
    config: TransformerConfig, weights: some WeightSource, residency: BlockResidency = .resident
  ) throws(InferenceError) {
    try config.validate()
    let p = weights.resolvePrefix(GPT2Names.prefixes, anchor: GPT2Names.tokens)
    let (c, v) = (config.hiddenSize, config.vocabularySize)
    var specs = [
      TensorSpec(name: p + GPT2Names.tokens, shape: [v, c]),
      TensorSpec(name: p + GPT2Names.positions, shape: [config.maxPositions, c]),
    ] + normSpecs(p + GPT2Names.finalNorm, width: c)
    if !config.tieWordEmbeddings { specs.append(TensorSpec(name: GPT2Names.head, shape: [v, c])) }
    let blockSpecs = (0..<config.layerCount).map { Self.blockSpecs(config, prefix: p + GPT2Names.block($0)) }
    let (loaded, blockWeights) = try weights.load(specs, blocks: blockSpecs, residency: residency)
    var tensors = loaded
    self.config = config
    tokenEmbedding = take(p + GPT2Names.tokens, from: &tensors)
    positionEmbedding = take(p + GPT2Names.positions, from: &tensors)
    finalNormWeight = take(p + GPT2Names.finalNorm + ".weight", from: &tensors)
    finalNormBias = take(p + GPT2Names.finalNorm + ".bias", from: &tensors)
    lmHead = config.tieWordEmbeddings ? tokenEmbedding : take(GPT2Names.head, from: &tensors)
    blocks = blockSpecs.indices.map { i in
      let blockPrefix = p + GPT2Names.block(i)
      return BlockRunner(
        index: i, weights: blockWeights[i],
        linearNames: [GPT2Names.qkv, GPT2Names.output, GPT2Names.up, GPT2Names.down].map { blockPrefix + $0 + ".weight" },
        kernel: GPT2Block(config: config, prefix: blockPrefix))
    }
  }

  static func blockSpecs(_ config: TransformerConfig, prefix p: String) -> [TensorSpec] {
    let (c, f) = (config.hiddenSize, config.intermediateSize)
    return normSpecs(p + GPT2Names.norm1, width: c)
      + linearSpecs(p + GPT2Names.qkv, out: 3 * c, in: c, bias: true, transposed: true)
      + linearSpecs(p + GPT2Names.output, out: c, in: c, bias: true, transposed: true)
      + normSpecs(p + GPT2Names.norm2, width: c)
      + linearSpecs(p + GPT2Names.up, out: f, in: c, bias: true, transposed: true)
      + linearSpecs(p + GPT2Names.down, out: c, in: f, bias: true, transposed: true)
  }

  /// Token + position embeddings: (B, T, C).
  public func embed(_ input: ModelInput) -> HiddenStates {
    let (ids, lengths, length) = padTokens(input.tokenIDs(for: "gpt2"))
    precondition(length <= config.maxPositions, "gpt2: \(length) tokens exceed \(config.maxPositions) positions")
    var x = embeddingLookup(tokenEmbedding, ids)  // (B·T, C)
    addInPlace(&x, embeddingLookup(positionEmbedding, ids.indices.map { $0 % length }))
    return HiddenStates(values: x.reshaped([lengths.count, length, config.hiddenSize]), lengths: lengths)
  }

  /// Final LayerNorm and LM head: logits (B, T, V).
  public func head(_ hidden: HiddenStates) -> Tensor {
    let normed = layerNorm(hidden.rows, weight: finalNormWeight, bias: finalNormBias, epsilon: Float(config.normEpsilon))
    return linear(normed, weight: lmHead, bias: nil).reshaped([hidden.batchSize, hidden.length, config.vocabularySize])
  }
}

/// One GPT-2 block.
struct GPT2Block: BlockKernel {
  let prefix: String
  let shape: AttentionShape
  let epsilon: Float
  let activation: Activation

  init(config: TransformerConfig, prefix: String) {
    self.prefix = prefix
    shape = AttentionShape(config: config, causal: true)
    epsilon = Float(config.normEpsilon)
    activation = config.activation
  }

  func forward<Observer: ActivationObserver>(_ pass: inout BlockPass<Observer>) -> HiddenStates {
    let p = prefix
    var x = pass.input.rows  // (B·T, C)
    let qkv = splitColumns(pass.linear(norm(x, p + GPT2Names.norm1, pass), p + GPT2Names.qkv), parts: 3)  // (B·T, C) ×3
    let context = pass.attend(q: qkv[0], k: qkv[1], v: qkv[2], shape: shape)  // (B·T, C)
    addInPlace(&x, pass.linear(context, p + GPT2Names.output))
    var m = pass.linear(norm(x, p + GPT2Names.norm2, pass), p + GPT2Names.up)  // (B·T, F)
    activation.applyInParallel(&m)
    addInPlace(&x, pass.linear(m, p + GPT2Names.down))
    return pass.input.replacingRows(x)
  }

  private func norm<Observer>(_ x: Tensor, _ name: String, _ pass: BlockPass<Observer>) -> Tensor {
    layerNorm(x, weight: pass.tensor(name + ".weight"), bias: pass.tensor(name + ".bias"), epsilon: epsilon)
  }
}

/// Splits the columns of `x` (N, parts·W) into `parts` tensors (N, W).
func splitColumns(_ x: Tensor, parts: Int) -> [Tensor] {
  let (rows, width) = (x.shape[0], x.shape[1] / parts)
  precondition(width * parts == x.shape[1], "splitColumns: \(x.shape[1]) columns are not \(parts) equal parts")
  return (0..<parts).map { part in headSlice(x, batch: 0, length: rows, column: part * width, width: width) }
}
