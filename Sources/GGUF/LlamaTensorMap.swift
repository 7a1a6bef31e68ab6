/// How llama.cpp names a llama model's tensors, and what Hugging Face's `LlamaForCausalLM`
/// calls them.
///
/// | GGUF | Hugging Face |
/// |---|---|
/// | `token_embd.weight` | `model.embed_tokens.weight` |
/// | `output_norm.weight` | `model.norm.weight` |
/// | `output.weight` (absent when tied) | `lm_head.weight` |
/// | `blk.N.attn_norm.weight` | `model.layers.N.input_layernorm.weight` |
/// | `blk.N.attn_q/k/v.weight` | `model.layers.N.self_attn.q_proj/k_proj/v_proj.weight` |
/// | `blk.N.attn_output.weight` | `model.layers.N.self_attn.o_proj.weight` |
/// | `blk.N.ffn_norm.weight` | `model.layers.N.post_attention_layernorm.weight` |
/// | `blk.N.ffn_gate/up/down.weight` | `model.layers.N.mlp.gate_proj/up_proj/down_proj.weight` |
struct LlamaTensorMap {
  /// One tensor of the model: its names, expected row-major shape, and the RoPE row
  /// permutation to undo (the number of heads), if any.
  struct Entry: Equatable {
    var ggufName: String
    var huggingFaceName: String
    var shape: [Int]
    var permutedHeads: Int?
  }

  let entries: [Entry]

  /// The tensors a model with these hyperparameters has; `vocab` rows in the embedding,
  /// `lm_head` only when `untied`.
  init(_ p: LlamaHyperparameters, vocab: Int, untied: Bool) {
    let attention = p.heads * p.headDim
    let keyValue = p.kvHeads * p.headDim
    var entries = [
      Entry(ggufName: "token_embd.weight", huggingFaceName: "model.embed_tokens.weight", shape: [vocab, p.hidden]),
      Entry(ggufName: "output_norm.weight", huggingFaceName: "model.norm.weight", shape: [p.hidden]),
    ]
    if untied {
      entries.append(Entry(ggufName: "output.weight", huggingFaceName: "lm_head.weight", shape: [vocab, p.hidden]))
    }
    for layer in 0..<p.layers {
      let blocks: [(String, String, [Int], Int?)] = [
        ("attn_norm", "input_layernorm", [p.hidden], nil),
        ("attn_q", "self_attn.q_proj", [attention, p.hidden], p.heads),
        ("attn_k", "self_attn.k_proj", [keyValue, p.hidden], p.kvHeads),
        ("attn_v", "self_attn.v_proj", [keyValue, p.hidden], nil),
        ("attn_output", "self_attn.o_proj", [p.hidden, attention], nil),
        ("ffn_norm", "post_attention_layernorm", [p.hidden], nil),
        ("ffn_gate", "mlp.gate_proj", [p.intermediate, p.hidden], nil),
        ("ffn_up", "mlp.up_proj", [p.intermediate, p.hidden], nil),
        ("ffn_down", "mlp.down_proj", [p.hidden, p.intermediate], nil),
      ]
      for (gguf, hf, shape, heads) in blocks {
        entries.append(
          Entry(
            ggufName: "blk.\(layer).\(gguf).weight", huggingFaceName: "model.layers.\(layer).\(hf).weight",
            shape: shape, permutedHeads: heads))
      }
    }
    self.entries = entries
  }

  /// Checks that `header` holds exactly these tensors with these shapes.
  func validate(_ header: GGUFHeader) throws(GGUFError) {
    let known = Set(entries.map(\.ggufName))
    if let stray = header.tensors.first(where: { !known.contains($0.name) }) {
      throw .unexpectedTensor(stray.name)
    }
    for entry in entries {
      guard let info = header.tensor(named: entry.ggufName) else { throw .missingTensor(entry.ggufName) }
      guard info.shape == entry.shape else {
        throw .shapeMismatch(tensor: entry.ggufName, expected: entry.shape, found: info.shape)
      }
    }
  }
}

/// Undoes llama.cpp's RoPE row permutation of a q or k projection.
///
/// convert_hf_to_gguf.py writes Hugging Face row `h·2·half + j·half + i` (head h, half j of the
/// head, position i) as GGUF row `h·2·half + 2·i + j`: within each head the two rotary halves are
/// interleaved. This puts every row back. `rows` must be a multiple of `2 × heads`.
/// `scalars`: (rows, columns), row-major; returns the same shape.
func unpermuteRoPERows(_ scalars: [Float], rows: Int, columns: Int, heads: Int) -> [Float] {
  precondition(rows % (2 * heads) == 0, "unpermuteRoPERows: \(rows) rows do not split into \(heads) heads × 2")
  precondition(scalars.count == rows * columns, "unpermuteRoPERows: \(scalars.count) ≠ \(rows) × \(columns)")
  let half = rows / heads / 2
  var out = [Float](repeating: 0, count: scalars.count)
  scalars.withUnsafeBufferPointer { source in
    out.withUnsafeMutableBufferPointer { target in
      for head in 0..<heads {
        for j in 0..<2 {
          for i in 0..<half {
            let hfRow = head * 2 * half + j * half + i
            let ggufRow = head * 2 * half + 2 * i + j
            let from = source.baseAddress! + ggufRow * columns
            (target.baseAddress! + hfRow * columns).update(from: from, count: columns)
          }
        }
      }
    }
  }
  return out
}
