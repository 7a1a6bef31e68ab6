// Perplexity by the protocol of docs DATA.md: non-overlapping windows of `context` tokens, each
// run as its own sequence; the context − 1 next-token predictions of every window are scored;
// perplexity = exp(total NLL / predictions). Log-softmax is computed in Double.
import Foundation
import TensorCore

/// The perplexity of a causal language model on `tokens`, and the number of predictions scored.
///
/// Uses `tokens.count / context` windows (the tail that does not fill a window is dropped), or
/// the first `maxWindows` of them.
public func perplexity(
  model: some TransformerModel, tokens: [Int], context: Int, maxWindows: Int? = nil
) -> (perplexity: Double, tokens: Int) {
  precondition(model.config.isCausalLanguageModel, "perplexity: \(model.config.modelType) is not a causal language model")
  precondition(context >= 2, "perplexity: context \(context) leaves no prediction")
  let windows = min(tokens.count / context, maxWindows ?? Int.max)
  precondition(windows >= 1, "perplexity: \(tokens.count) tokens do not fill one window of \(context)")
  var negativeLogLikelihood = 0.0
  for w in 0..<windows {
    let window = Array(tokens[(w * context)..<((w + 1) * context)])
    let logits = model.forward(.tokens([window]))  // (1, T, V)
    negativeLogLikelihood += windowNLL(logits.reshaped([context, logits.shape[2]]), targets: Array(window.dropFirst()))
  }
  let predictions = windows * (context - 1)
  return (exp(negativeLogLikelihood / Double(predictions)), predictions)
}

/// −Σ log softmax(logits[t])[targets[t]] over the first `targets.count` rows of `logits` (T, V),
/// in Double with the row maximum subtracted.
func windowNLL(_ logits: Tensor, targets: [Int]) -> Double {
  let vocabulary = logits.shape[1]
  return logits.withUnsafeBufferPointer { p in
    var total = 0.0
    for (t, target) in targets.enumerated() {
      let row = UnsafeBufferPointer(rebasing: p[(t * vocabulary)..<((t + 1) * vocabulary)])
      let maximum = Double(row.max() ?? 0)
      var sum = 0.0
      for value in row { sum += exp(Double(value) - maximum) }
      total -= Double(row[target]) - maximum - log(sum)
    }
    return total
  }
}
