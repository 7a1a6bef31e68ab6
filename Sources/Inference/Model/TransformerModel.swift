import TensorCore

/// What a model reads: token ids (text) or pixels (images).
public enum ModelInput: Sendable, Equatable {
  /// The token ids of each sequence; sequences of unequal length are right-padded with 0.
  case tokens([[Int]])
  /// Images, (B, Ch, S, S), already normalized as the model's image processor would.
  case pixels(Tensor)
}

/// A transformer split at the seams the compression passes need:
/// `embed` → `blocks[0]` → … → `blocks[L − 1]` → `head`.
///
/// - `embed` runs the embedding stack only: the hidden states entering block 0, with the
///   padding and positions the blocks read (the "catcher" of the sequential calibration loop).
/// - `blocks[i]` runs block i alone, and its weights can be replaced.
/// - `head` runs what follows the last block: the final norm and the LM head (logits, (B, T, V))
///   for causal language models; the final norm for ViT and nothing for BERT (last hidden states,
///   (B, T, C)).
public protocol TransformerModel: Sendable {
  /// The validated config the model was built from.
  var config: TransformerConfig { get }
  /// The blocks, in order; `blocks.count == config.layerCount`.
  var blocks: [BlockRunner] { get set }
  /// The hidden states entering block 0, (B, T, C).
  func embed(_ input: ModelInput) -> HiddenStates
  /// The model's output from the hidden states leaving the last block.
  func head(_ hidden: HiddenStates) -> Tensor
}

extension TransformerModel {
  /// The full forward pass: `head(blocks(embed(input)))`.
  public func forward(_ input: ModelInput) -> Tensor {
    var observer = NoObserver()
    return forward(input, observer: &observer)
  }

  /// The full forward pass, reporting every block's linear inputs and attention to `observer`.
  public func forward<Observer: ActivationObserver>(_ input: ModelInput, observer: inout Observer) -> Tensor {
    var hidden = embed(input)
    for block in blocks { hidden = block(hidden, observer: &observer) }
    return head(hidden)
  }

  /// The input of every block and the output of the last: L + 1 hidden states, (B, T, C) each.
  public func blockBoundaries(_ input: ModelInput) -> [HiddenStates] {
    var states = [embed(input)]
    for block in blocks { states.append(block(states[states.count - 1])) }
    return states
  }
}

/// Token ids right-padded with 0 into one row-major (B·T) array.
func padTokens(_ tokens: [[Int]]) -> (ids: [Int], lengths: [Int], length: Int) {
  precondition(!tokens.isEmpty && tokens.allSatisfy { !$0.isEmpty }, "tokens: every sequence needs at least one token")
  let length = tokens.map(\.count).max() ?? 0
  var ids: [Int] = []
  ids.reserveCapacity(tokens.count * length)
  for sequence in tokens { ids += sequence + Array(repeating: 0, count: length - sequence.count) }
  return (ids, tokens.map(\.count), length)
}

extension ModelInput {
  /// The token ids, or a precondition failure naming `model` for pixel input.
  func tokenIDs(for model: String) -> [[Int]] {
    guard case .tokens(let tokens) = self else { preconditionFailure("\(model) reads token ids, not pixels") }
    return tokens
  }
}
