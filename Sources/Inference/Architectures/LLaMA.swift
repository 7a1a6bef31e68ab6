// LLaMA decoder: pre-RMSNorm blocks, rotary positions, grouped-query attention, SwiGLU MLP.
//
// Legend: B = sequences, T = padded length, C = hidden, H = query heads, KV = key/value heads,
// D = head dimension, F = intermediate, V = vocabulary.
//   x = embed_tokens[ids]                                   // (B, T, C)
//   per block:  x += o_proj(attn(rope(q_proj(n)), rope(k_proj(n)), v_proj(n)))   n = rms(x)
//               x += down_proj(silu(gate_proj(n)) ⊙ up_proj(n))                  n = rms(x)
//   logits = lm_head(rms(x))                                // (B, T, V); lm_head = embed_tokens when tied
import TensorCore

/// The Hugging Face tensor names of LLaMA checkpoints (`LlamaForCausalLM`).
enum LlamaNames {
  static let prefixes = ["model.", ""]
  static let embedding = "embed_tokens.weight"
  static let norm = "norm.weight"
  static let head = "lm_head.weight"
  static func block(_ i: Int) -> String { "layers.\(i)." }
  static let attention = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"]
  static let output = "self_attn.o_proj"
  static let gateUp = ["mlp.gate_proj", "mlp.up_proj"]
  static let down = "mlp.down_proj"
  static let inputNorm = "input_layernorm"
  static let postAttentionNorm = "post_attention_layernorm"
}

/// A LLaMA-family causal language model.
public struct LlamaModel: TransformerModel {
  /// The config.
  public let config: TransformerConfig
  /// The blocks.
  public var blocks: [BlockRunner]
  /// Token embeddings, (V, C).
  public let embedding: Tensor
  /// The final RMSNorm weight, (C).
  public let finalNorm: Tensor
  /// The LM head, (V, C): the token embeddings when tied.
  public let lmHead: Tensor

  /// Checks every tensor's presence and shape against `config`, then loads them.
  public init(
    config: TransformerConfig, weights: some WeightSource, residency: BlockResidency = .resident
  ) throws(InferenceError) {
    try config.validate()
    let p = weights.resolvePrefix(LlamaNames.prefixes, anchor: LlamaNames.embedding)
    let (c, v) = (config.hiddenSize, config.vocabularySize)
    let blockSpecs = (0..<config.layerCount).map { Self.blockSpecs(config, prefix: p + LlamaNames.block($0)) }
    let tied = config.tieWordEmbeddings
    var specs = [TensorSpec(name: p + LlamaNames.embedding, shape: [v, c]), TensorSpec(name: p + LlamaNames.norm, shape: [c])]
    if !tied { specs.append(TensorSpec(name: LlamaNames.head, shape: [v, c])) }
    let (loaded, blockWeights) = try weights.load(specs, blocks: blockSpecs, residency: residency)
    var tensors = loaded
    self.config = config
    embedding = take(p + LlamaNames.embedding, from: &tensors)
    finalNorm = take(p + LlamaNames.norm, from: &tensors)
    lmHead = tied ? embedding : take(LlamaNames.head, from: &tensors)
    let rope = RotaryEmbedding(config: config)
    blocks = blockSpecs.indices.map { i in
      let prefix = p + LlamaNames.block(i)
      let linears = (LlamaNames.attention + [LlamaNames.output] + LlamaNames.gateUp + [LlamaNames.down])
      return BlockRunner(
        index: i, weights: blockWeights[i],
        linearNames: linears.map { prefix + $0 + ".weight" }, kernel: LlamaBlock(config: config, prefix: prefix, rope: rope))
    }
  }

  static func blockSpecs(_ config: TransformerConfig, prefix: String) -> [TensorSpec] {
    let (c, f) = (config.hiddenSize, config.intermediateSize)
    let (q, kv) = (config.headCount * config.headDimension, config.kvHeadCount * config.headDimension)
    let bias = config.attentionBias
    return linearSpecs(prefix + LlamaNames.attention[0], out: q, in: c, bias: bias)
      + linearSpecs(prefix + LlamaNames.attention[1], out: kv, in: c, bias: bias)
      + linearSpecs(prefix + LlamaNames.attention[2], out: kv, in: c, bias: bias)
      + linearSpecs(prefix + LlamaNames.output, out: c, in: q, bias: bias)
      + linearSpecs(prefix + LlamaNames.gateUp[0], out: f, in: c, bias: config.mlpBias)
      + linearSpecs(prefix + LlamaNames.gateUp[1], out: f, in: c, bias: config.mlpBias)
      + linearSpecs(prefix + LlamaNames.down, out: c, in: f, bias: config.mlpBias)
      + normSpecs(prefix + LlamaNames.inputNorm, width: c, bias: false)
      + normSpecs(prefix + LlamaNames.postAttentionNorm, width: c, bias: false)
  }

  /// Token embeddings: (B, T, C).
  public func embed(_ input: ModelInput) -> HiddenStates {
    let (ids, lengths, length) = padTokens(input.tokenIDs(for: "llama"))
    let x = embeddingLookup(embedding, ids)  // (B·T, C)
    return HiddenStates(values: x.reshaped([lengths.count, length, config.hiddenSize]), lengths: lengths)
  }

  /// Final RMSNorm and LM head: logits (B, T, V).
  public func head(_ hidden: HiddenStates) -> Tensor {
    let normed = rmsNorm(hidden.rows, weight: finalNorm, epsilon: Float(config.normEpsilon))  // (B·T, C)
    return linear(normed, weight: lmHead, bias: nil).reshaped([hidden.batchSize, hidden.length, config.vocabularySize])
  }
}

/// One LLaMA block.
struct LlamaBlock: BlockKernel {
  let prefix: String
  let shape: AttentionShape
  let rope: RotaryEmbedding
  let epsilon: Float
  let activation: Activation

  init(config: TransformerConfig, prefix: String, rope: RotaryEmbedding) {
    self.prefix = prefix
    self.rope = rope
    shape = AttentionShape(config: config, causal: true)
    epsilon = Float(config.normEpsilon)
    activation = config.activation
  }

  func forward<Observer: ActivationObserver>(_ pass: inout BlockPass<Observer>) -> HiddenStates {
    let p = prefix
    var x = pass.input.rows  // (B·T, C)
    let n1 = rmsNorm(x, weight: pass.tensor(p + LlamaNames.inputNorm + ".weight"), epsilon: epsilon)  // (B·T, C)
    var qkv = pass.linears(n1, LlamaNames.attention.map { p + $0 })  // (B·T, H·D), (B·T, KV·D) ×2
    rope.apply(&qkv[0], heads: shape.heads, positions: pass.input.positions)
    rope.apply(&qkv[1], heads: shape.kvHeads, positions: pass.input.positions)
    let context = pass.attend(q: qkv[0], k: qkv[1], v: qkv[2], shape: shape)  // (B·T, H·D)
    addInPlace(&x, pass.linear(context, p + LlamaNames.output))
    let n2 = rmsNorm(x, weight: pass.tensor(p + LlamaNames.postAttentionNorm + ".weight"), epsilon: epsilon)  // (B·T, C)
    var gateUp = pass.linears(n2, LlamaNames.gateUp.map { p + $0 })  // (B·T, F) ×2
    activation.applyInParallel(&gateUp[0])
    multiplyInPlace(&gateUp[0], gateUp[1])
    addInPlace(&x, pass.linear(gateUp[0], p + LlamaNames.down))
    return pass.input.replacingRows(x)
  }
}
