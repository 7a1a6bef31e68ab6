extension TransformerConfig {
  /// The architectures the engine implements (`model_type` values).
  public static let supportedModelTypes = ["bert", "llama", "gpt2", "vit"]

  /// Checks every rule the engine relies on; throws the first broken one.
  public func validate() throws(InferenceError) {
    guard Self.supportedModelTypes.contains(modelType) else { throw .unsupportedArchitecture(modelType: modelType) }
    var sizes: [(String, Int)] = [
      ("hidden_size", hiddenSize), ("num_hidden_layers", layerCount), ("num_attention_heads", headCount),
      ("num_key_value_heads", kvHeadCount), ("head_dim", headDimension), ("intermediate_size", intermediateSize),
    ]
    if modelType == "vit" {
      sizes += [("image_size", imageSize), ("patch_size", patchSize), ("num_channels", channelCount)]
    } else {
      sizes += [("vocab_size", vocabularySize), ("max_position_embeddings", maxPositions)]
    }
    if modelType == "bert" { sizes.append(("type_vocab_size", typeVocabularySize)) }
    for (key, value) in sizes where value <= 0 { throw .nonPositiveDimension(key: key, value: value) }
    if modelType != "llama" && headCount * headDimension != hiddenSize {
      throw .hiddenNotDivisibleByHeads(hidden: hiddenSize, heads: headCount)
    }
    guard headCount % kvHeadCount == 0 else { throw .headsNotDivisibleByKVHeads(heads: headCount, kvHeads: kvHeadCount) }
    guard Activation(huggingFaceName: activationName) != nil else { throw .unsupportedActivation(name: activationName) }
    switch modelType {
    case "llama":
      guard headDimension % 2 == 0 else { throw .oddRotaryDimension(headDimension: headDimension) }
      try ropeScaling?.validate()
    case "bert":
      guard positionEmbeddingType == "absolute" else { throw .unsupportedPositionEmbedding(type: positionEmbeddingType) }
    case "vit":
      guard imageSize % patchSize == 0 else { throw .imageNotDivisibleByPatch(imageSize: imageSize, patchSize: patchSize) }
    default: break
    }
  }
}
