// ViT encoder: patch embedding + CLS + learned positions, pre-LayerNorm blocks, final LayerNorm.
//
// Legend: B = images, Ch = channels, S = image side, P = patch side, Np = (S/P)² patches,
// T = 1 + Np tokens, C = hidden, H = heads, D = head dimension, F = intermediate.
//   x = [cls; conv_P(pixels)] + position                             // (B, T, C)
//   per block:  x += dense(attn(query(n), key(n), value(n)))          n = layernorm_before(x)
//               x += output(act(intermediate(n)))                     n = layernorm_after(x)
//   last_hidden_state = layernorm(x); the CLS state is row 0 of each image
import TensorCore

/// The Hugging Face tensor names of ViT checkpoints (`ViTModel`; `vit.` under task heads).
enum ViTNames {
  static let prefixes = ["", "vit."]
  static let cls = "embeddings.cls_token"
  static let positions = "embeddings.position_embeddings"
  static let patches = "embeddings.patch_embeddings.projection"
  static let finalNorm = "layernorm"
  static func block(_ i: Int) -> String { "encoder.layer.\(i)." }
  static let normBefore = "layernorm_before", normAfter = "layernorm_after"
  static let attention = ["attention.attention.query", "attention.attention.key", "attention.attention.value"]
  static let attentionOutput = "attention.output.dense"
  static let intermediate = "intermediate.dense", output = "output.dense"
}

/// A ViT encoder (`ViTModel` without pooler): `head` returns the final-normed hidden states.
public struct ViTModel: TransformerModel {
  /// The config.
  public let config: TransformerConfig
  /// The blocks.
  public var blocks: [BlockRunner]
  /// Patch conv weight (C, Ch, P, P) and bias (C), CLS token (1, 1, C), positions (1, T, C).
  public let patchWeight: Tensor, patchBias: Tensor, clsToken: Tensor, positionEmbedding: Tensor
  /// The final LayerNorm.
  public let finalNormWeight: Tensor, finalNormBias: Tensor

  /// Checks every tensor's presence and shape against `config`, then loads them.
  public init(
    config: TransformerConfig, weights: some WeightSource, residency: BlockResidency = .resident
  ) throws(InferenceError) {
    try config.validate()
    let p = weights.resolvePrefix(ViTNames.prefixes, anchor: ViTNames.cls)
    let (c, patch) = (config.hiddenSize, config.patchSize)
    let tokens = config.patchesPerSide * config.patchesPerSide + 1
    let specs = [
      TensorSpec(name: p + ViTNames.cls, shape: [1, 1, c]),
      TensorSpec(name: p + ViTNames.positions, shape: [1, tokens, c]),
      TensorSpec(name: p + ViTNames.patches + ".weight", shape: [c, config.channelCount, patch, patch]),
      TensorSpec(name: p + ViTNames.patches + ".bias", shape: [c]),
    ] + normSpecs(p + ViTNames.finalNorm, width: c)
    let blockSpecs = (0..<config.layerCount).map { Self.blockSpecs(config, prefix: p + ViTNames.block($0)) }
    let (loaded, blockWeights) = try weights.load(specs, blocks: blockSpecs, residency: residency)
    var tensors = loaded
    self.config = config
    clsToken = take(p + ViTNames.cls, from: &tensors)
    positionEmbedding = take(p + ViTNames.positions, from: &tensors)
    patchWeight = take(p + ViTNames.patches + ".weight", from: &tensors)
    patchBias = take(p + ViTNames.patches + ".bias", from: &tensors)
    finalNormWeight = take(p + ViTNames.finalNorm + ".weight", from: &tensors)
    finalNormBias = take(p + ViTNames.finalNorm + ".bias", from: &tensors)
    blocks = blockSpecs.indices.map { i in
      let blockPrefix = p + ViTNames.block(i)
      let linears = ViTNames.attention + [ViTNames.attentionOutput, ViTNames.intermediate, ViTNames.output]
      return BlockRunner(
        index: i, weights: blockWeights[i],
        linearNames: linears.map { blockPrefix + $0 + ".weight" }, kernel: ViTBlock(config: config, prefix: blockPrefix))
    }
  }

  static func blockSpecs(_ config: TransformerConfig, prefix p: String) -> [TensorSpec] {
    let (c, f) = (config.hiddenSize, config.intermediateSize)
    return normSpecs(p + ViTNames.normBefore, width: c)
      + ViTNames.attention.flatMap { linearSpecs(p + $0, out: c, in: c, bias: config.attentionBias) }
      + linearSpecs(p + ViTNames.attentionOutput, out: c, in: c, bias: true)
      + normSpecs(p + ViTNames.normAfter, width: c)
      + linearSpecs(p + ViTNames.intermediate, out: f, in: c, bias: true)
      + linearSpecs(p + ViTNames.output, out: c, in: f, bias: true)
  }

  /// Patch embeddings with CLS and positions: (B, T, C). Pixels must be
  /// (B, num_channels, image_size, image_size).
  public func embed(_ input: ModelInput) -> HiddenStates {
    guard case .pixels(let pixels) = input else { preconditionFailure("vit reads pixels, not token ids") }
    let side = config.imageSize
    precondition(
      pixels.rank == 4 && pixels.shape[1...] == [config.channelCount, side, side],
      "vit: pixels \(pixels.shape), expected (B, \(config.channelCount), \(side), \(side))")
    return HiddenStates(
      values: patchEmbedding(
        pixels, weight: patchWeight, bias: patchBias, cls: clsToken, positions: positionEmbedding,
        patch: config.patchSize))
  }

  /// The final LayerNorm: last hidden states (B, T, C); row 0 of each image is its CLS state.
  public func head(_ hidden: HiddenStates) -> Tensor {
    layerNorm(hidden.rows, weight: finalNormWeight, bias: finalNormBias, epsilon: Float(config.normEpsilon))
      .reshaped(hidden.values.shape)
  }
}

/// One ViT block.
struct ViTBlock: BlockKernel {
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
    var x = pass.input.rows  // (B·T, C)
    let qkv = pass.linears(norm(x, p + ViTNames.normBefore, pass), ViTNames.attention.map { p + $0 })  // (B·T, C) ×3
    let context = pass.attend(q: qkv[0], k: qkv[1], v: qkv[2], shape: shape)  // (B·T, C)
    addInPlace(&x, pass.linear(context, p + ViTNames.attentionOutput))
    var m = pass.linear(norm(x, p + ViTNames.normAfter, pass), p + ViTNames.intermediate)  // (B·T, F)
    activation.applyInParallel(&m)
    addInPlace(&x, pass.linear(m, p + ViTNames.output))
    return pass.input.replacingRows(x)
  }

  private func norm<Observer>(_ x: Tensor, _ name: String, _ pass: BlockPass<Observer>) -> Tensor {
    layerNorm(x, weight: pass.tensor(name + ".weight"), bias: pass.tensor(name + ".bias"), epsilon: epsilon)
  }
}
