/// Everything an import decides before writing: the hyperparameters, the tensor map and the
/// tokenizer, all validated against the header.
struct ImportPlan {
  let hyperparameters: LlamaHyperparameters
  let tensors: LlamaTensorMap
  let tokenizer: TokenizerExport
  let vocabSize: Int
  let tied: Bool

  init(_ header: GGUFHeader) throws(GGUFError) {
    let architecture = header["general.architecture"]
    guard let name = architecture?.string else {
      guard let architecture else { throw .missingMetadata(key: "general.architecture") }
      throw .invalidMetadata(key: "general.architecture", expected: "a string", found: architecture.summary)
    }
    guard name == "llama" else { throw .unsupportedArchitecture(name) }
    hyperparameters = try LlamaHyperparameters(header)
    tokenizer = try TokenizerExport(header)
    vocabSize = hyperparameters.vocabSize ?? tokenizer.tokens.count
    guard vocabSize == tokenizer.tokens.count else {
      throw .invalidTokenizer(reason: "\(tokenizer.tokens.count) tokens, but llama.vocab_size is \(vocabSize)")
    }
    tied = header.tensor(named: "output.weight") == nil
    tensors = LlamaTensorMap(hyperparameters, vocab: vocabSize, untied: !tied)
    try tensors.validate(header)
    for entry in tensors.entries {
      let info = header.tensor(named: entry.ggufName)!
      guard info.type.isDequantizable else { throw .unsupportedTensorType(tensor: info.name, type: info.type) }
    }
  }

  /// `config.json` for `LlamaForCausalLM`, keys sorted as transformers writes them.
  var configJSON: JSONText {
    let p = hyperparameters
    var members: [(String, JSONText)] = [
      ("architectures", .array([.string("LlamaForCausalLM")])),
      ("attention_bias", .bool(false)),
      ("attention_dropout", .float(0)),
    ]
    if let bos = tokenizer.bos { members.append(("bos_token_id", .int(bos))) }
    if let eos = tokenizer.eos { members.append(("eos_token_id", .int(eos))) }
    members += [
      ("head_dim", .int(p.headDim)),
      ("hidden_act", .string("silu")),
      ("hidden_size", .int(p.hidden)),
      ("initializer_range", .float(0.02)),
      ("intermediate_size", .int(p.intermediate)),
      ("max_position_embeddings", .int(p.contextLength)),
      ("mlp_bias", .bool(false)),
      ("model_type", .string("llama")),
      ("num_attention_heads", .int(p.heads)),
      ("num_hidden_layers", .int(p.layers)),
      ("num_key_value_heads", .int(p.kvHeads)),
    ]
    if let pad = tokenizer.pad { members.append(("pad_token_id", .int(pad))) }
    members += [
      ("pretraining_tp", .int(1)),
      ("rms_norm_eps", .float(p.rmsNormEps)),
      ("rope_scaling", p.ropeScaling.map { .object($0) } ?? .null),
      ("rope_theta", .float(p.ropeTheta)),
      ("tie_word_embeddings", .bool(tied)),
      ("torch_dtype", .string("float32")),
      ("use_cache", .bool(true)),
      ("vocab_size", .int(vocabSize)),
    ]
    return .object(members)
  }

  /// `generation_config.json`: the special token ids.
  var generationConfigJSON: JSONText {
    var members: [(String, JSONText)] = [("_from_model_config", .bool(true))]
    if let bos = tokenizer.bos { members.append(("bos_token_id", .int(bos))) }
    if let eos = tokenizer.eos { members.append(("eos_token_id", .int(eos))) }
    if let pad = tokenizer.pad { members.append(("pad_token_id", .int(pad))) }
    return .object(members)
  }
}
