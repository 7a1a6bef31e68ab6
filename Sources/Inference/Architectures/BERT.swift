// BERT encoder: post-LayerNorm blocks, learned absolute positions, bidirectional attention.
//
// Legend: B = sequences, T = padded length, C = hidden, H = heads, D = head dimension,
// F = intermediate.
//   x = LN(word[ids] + position[t] + token_type[0])                 // (B, T, C)
//   per block:  x = LN(x + dense(attn(query(x), key(x), value(x))))
//               x = LN(x + output(act(intermediate(x))))
//   last_hidden_state = x                                           // (B, T, C)
import TensorCore

/// The Hugging Face tensor names of BERT checkpoints (`BertModel`; `bert.` under task heads).
enum BertNames {
  static let prefixes = ["", "bert."]
  static let word = "embeddings.word_embeddings.weight"
  static let position = "embeddings.position_embeddings.weight"
  static let tokenType = "embeddings.token_type_embeddings.weight"
  static let embeddingNorm = "embeddings.LayerNorm"
  static func block(_ i: Int) -> String { "encoder.layer.\(i)." }
  static let attention = ["attention.self.query", "attention.self.key", "attention.self.value"]
  static let attentionOutput = "attention.output.dense"
  static let attentionNorm = "attention.output.LayerNorm"
  static let intermediate = "intermediate.dense"
  static let output = "output.dense"
  static let outputNorm = "output.LayerNorm"
}

/// A BERT encoder (`BertModel`): `head` returns the last hidden states unchanged.
public struct BertModel: TransformerModel {
  /// The config.
  public let config: TransformerConfig
  /// The blocks.
  public var blocks: [BlockRunner]
  /// Word, position and token-type embeddings, and the embedding LayerNorm, by Hugging Face name.
  public let embeddings: [String: Tensor]
  let prefix: String

  /// Checks every tensor's presence and shape against `config`, then loads them.
  public init(
    config: TransformerConfig, weights: some WeightSource, residency: BlockResidency = .resident
  ) throws(InferenceError) {
    try config.validate()
    let p = weights.resolvePrefix(BertNames.prefixes, anchor: BertNames.word)
    let c = config.hiddenSize
    let embeddingSpecs = [
      TensorSpec(name: p + BertNames.word, shape: [config.vocabularySize, c]),
      TensorSpec(name: p + BertNames.position, shape: [config.maxPositions, c]),
      TensorSpec(name: p + BertNames.tokenType, shape: [config.typeVocabularySize, c]),
    ] + normSpecs(p + BertNames.embeddingNorm, width: c)
    let blockSpecs = (0..<config.layerCount).map { Self.blockSpecs(config, prefix: p + BertNames.block($0)) }
    let (tensors, blockWeights) = try weights.load(embeddingSpecs, blocks: blockSpecs, residency: residency)
    self.config = config
    prefix = p
    embeddings = Dictionary(uniqueKeysWithValues: embeddingSpecs.map { ($0.name, tensors[$0.name]!) })
    blocks = blockSpecs.indices.map { i in
      let blockPrefix = p + BertNames.block(i)
      let linears = BertNames.attention + [BertNames.attentionOutput, BertNames.intermediate, BertNames.output]
      return BlockRunner(
        index: i, weights: blockWeights[i],
        linearNames: linears.map { blockPrefix + $0 + ".weight" }, kernel: BertBlock(config: config, prefix: blockPrefix))
    }
  }

  static func blockSpecs(_ config: TransformerConfig, prefix p: String) -> [TensorSpec] {
    let (c, f) = (config.hiddenSize, config.intermediateSize)
    return BertNames.attention.flatMap { linearSpecs(p + $0, out: c, in: c, bias: true) }
      + linearSpecs(p + BertNames.attentionOutput, out: c, in: c, bias: true)
      + normSpecs(p + BertNames.attentionNorm, width: c)
      + linearSpecs(p + BertNames.intermediate, out: f, in: c, bias: true)
      + linearSpecs(p + BertNames.output, out: c, in: f, bias: true)
      + normSpecs(p + BertNames.outputNorm, width: c)
  }

  /// Word + position + token-type (segment 0) embeddings, then LayerNorm: (B, T, C).
  public func embed(_ input: ModelInput) -> HiddenStates {
    let (ids, lengths, length) = padTokens(input.tokenIDs(for: "bert"))
    precondition(length <= config.maxPositions, "bert: \(length) tokens exceed \(config.maxPositions) positions")
    let p = prefix
    var x = embeddingLookup(embeddings[p + BertNames.word]!, ids)  // (B·T, C)
    addInPlace(&x, embeddingLookup(embeddings[p + BertNames.position]!, ids.indices.map { $0 % length }))
    addInPlace(&x, embeddingLookup(embeddings[p + BertNames.tokenType]!, Array(repeating: 0, count: ids.count)))
    let normed = layerNorm(
      x, weight: embeddings[p + BertNames.embeddingNorm + ".weight"]!,
      bias: embeddings[p + BertNames.embeddingNorm + ".bias"]!, epsilon: Float(config.normEpsilon))
    return HiddenStates(values: normed.reshaped([lengths.count, length, config.hiddenSize]), lengths: lengths)
  }

  /// The last hidden states, (B, T, C): BERT has no final norm.
  public func head(_ hidden: HiddenStates) -> Tensor { hidden.values }
}

/// One BERT block.
struct BertBlock: BlockKernel {
  let prefix: String
  let shape: AttentionShape
  let epsilon: Float
  let activation: Activation

  init(config: TransformerConfig, prefix: String) {
    self.prefix = prefix
    shape = AttentionShape(config: config, causal: false)
    epsilon = Float(config.normEpsilon)
    activation = config.activation
  }

  func forward<Observer: ActivationObserver>(_ pass: inout BlockPass<Observer>) -> HiddenStates {
    let p = prefix
    let x = pass.input.rows  // (B·T, C)
    let qkv = pass.linears(x, BertNames.attention.map { p + $0 })  // (B·T, C) ×3
    let context = pass.attend(q: qkv[0], k: qkv[1], v: qkv[2], shape: shape)  // (B·T, C)
    var a = pass.linear(context, p + BertNames.attentionOutput)  // (B·T, C)
    addInPlace(&a, x)
    a = norm(a, p + BertNames.attentionNorm, pass)
    var m = pass.linear(a, p + BertNames.intermediate)  // (B·T, F)
    activation.applyInParallel(&m)
    var out = pass.linear(m, p + BertNames.output)  // (B·T, C)
    addInPlace(&out, a)
    return pass.input.replacingRows(norm(out, p + BertNames.outputNorm, pass))
  }

  private func norm<Observer>(_ x: Tensor, _ name: String, _ pass: BlockPass<Observer>) -> Tensor {
    layerNorm(x, weight: pass.tensor(name + ".weight"), bias: pass.tensor(name + ".bias"), epsilon: epsilon)
  }
}
