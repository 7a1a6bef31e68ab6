import Foundation
import Inference
import TensorCore

/// The model's own quality metric on a text: perplexity for causal language models, sentence
/// embeddings (and their agreement with a reference model) for encoders.
public enum EvaluationResult: Sendable, Equatable {
  /// Perplexity over `tokens` scored predictions, at `tokensPerSecond` through the engine.
  case perplexity(value: Double, tokens: Int, tokensPerSecond: Double)
  /// Embeddings of `sentences` lines; with a reference model, the cosine between the two models'
  /// embeddings of each line (mean and minimum) and how often both retrieve the same nearest line.
  case embedding(sentences: Int, meanCosine: Double?, minCosine: Double?, top1Agreement: Double?, tokensPerSecond: Double)

  /// The result as one JSON object (`{"metric": "perplexity", "value": …}`).
  public var json: [String: Any] {
    switch self {
    case .perplexity(let value, let tokens, let rate):
      return ["metric": "perplexity", "value": value, "tokens": tokens, "tokens_per_second": rate]
    case .embedding(let sentences, let mean, let minimum, let top1, let rate):
      var object: [String: Any] = ["metric": "embedding", "sentences": sentences, "tokens_per_second": rate]
      if let mean, let minimum, let top1 {
        object["mean_cosine"] = mean
        object["min_cosine"] = minimum
        object["top1_agreement"] = top1
      }
      return object
    }
  }
}

/// Runs the evaluation protocols of docs DATA.md over the toolkit's own engine.
public enum Evaluation {
  /// Perplexity of a causal LM on the text at `path`: tokenized once without BOS, cut into
  /// non-overlapping windows of `context` tokens.
  public static func perplexity(
    of model: LoadedModel, textAt path: String, context: Int, maxWindows: Int?
  ) throws(CompressionError) -> EvaluationResult {
    guard model.folder.config.isCausalLanguageModel else {
      throw .invalidEvaluation(path: path, reason: "\(model.folder.config.modelType) is not a causal language model")
    }
    guard context >= 2, context <= model.folder.config.maxPositions else {
      throw .invalidEvaluation(
        path: path, reason: "--context \(context) must lie in 2...\(model.folder.config.maxPositions) (the model's positions)")
    }
    let tokens = model.tokenize(try readText(path))
    guard tokens.count >= context else {
      throw .invalidEvaluation(path: path, reason: "\(tokens.count) tokens do not fill one window of --context \(context)")
    }
    let start = ContinuousClock.now
    let result = Inference.perplexity(model: model.model, tokens: tokens, context: context, maxWindows: maxWindows)
    let seconds = (ContinuousClock.now - start).seconds
    let scored = result.tokens / (context - 1) * context
    return .perplexity(value: result.perplexity, tokens: result.tokens, tokensPerSecond: Double(scored) / seconds)
  }

  /// Sentence embeddings of every non-empty line of the text at `path`, (lines, C).
  public static func embeddings(of model: LoadedModel, linesAt path: String) throws(CompressionError)
    -> (embeddings: Tensor, tokens: Int, seconds: Double)
  {
    let lines = try readText(path).split(whereSeparator: \.isNewline).map(String.init)
      .filter { !$0.allSatisfy(\.isWhitespace) }
    guard !lines.isEmpty else { throw .invalidEvaluation(path: path, reason: "holds no non-empty line") }
    guard !model.folder.config.isCausalLanguageModel, model.folder.config.modelType != "vit" else {
      throw .invalidEvaluation(path: path, reason: "embeddings need a text encoder, not \(model.folder.config.modelType)")
    }
    let limit = model.folder.config.maxPositions
    var batches: [[[Int]]] = [[]]
    var tokenCount = 0
    for (number, line) in lines.enumerated() {
      let ids = model.tokenizer.encode(line, addSpecialTokens: true)
      guard ids.count <= limit else {
        throw .invalidEvaluation(path: path, reason: "line \(number + 1) has \(ids.count) tokens; the model takes at most \(limit)")
      }
      tokenCount += ids.count
      if batches[batches.count - 1].count == 32 { batches.append([]) }
      batches[batches.count - 1].append(ids)
    }
    let pooling = model.folder.sentenceTransformer
    let start = ContinuousClock.now
    var scalars: [Float] = []
    for batch in batches {
      scalars += sentenceEmbeddings(
        model: model.model, tokens: batch, pooling: pooling?.pooling ?? .mean, normalize: pooling?.normalize ?? true
      ).scalars
    }
    let seconds = (ContinuousClock.now - start).seconds
    return (Tensor(shape: [lines.count, scalars.count / lines.count], scalars: scalars), tokenCount, seconds)
  }

  /// Embedding agreement between `model` and `reference` on the lines at `path`.
  public static func embeddingAgreement(of model: LoadedModel, reference: LoadedModel?, linesAt path: String)
    throws(CompressionError) -> EvaluationResult
  {
    let (a, tokens, seconds) = try embeddings(of: model, linesAt: path)
    guard let reference else {
      return .embedding(sentences: a.shape[0], meanCosine: nil, minCosine: nil, top1Agreement: nil, tokensPerSecond: Double(tokens) / seconds)
    }
    let (b, _, _) = try embeddings(of: reference, linesAt: path)
    guard a.shape == b.shape else {
      throw .invalidEvaluation(path: path, reason: "embedding widths differ: \(a.shape) vs reference \(b.shape)")
    }
    let cosines = rowCosines(a, b)
    let agreement = zip(nearestNeighbours(a), nearestNeighbours(b)).filter { $0 == $1 }.count
    return .embedding(
      sentences: a.shape[0], meanCosine: cosines.reduce(0, +) / Double(cosines.count),
      minCosine: cosines.min() ?? 0, top1Agreement: Double(agreement) / Double(cosines.count),
      tokensPerSecond: Double(tokens) / seconds)
  }

  static func readText(_ path: String) throws(CompressionError) -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw .invalidEvaluation(path: path, reason: "cannot be read")
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw .invalidEvaluation(path: path, reason: "is not UTF-8 text")
    }
    guard !text.allSatisfy(\.isWhitespace) else { throw .invalidEvaluation(path: path, reason: "is empty") }
    return text
  }
}

/// The cosine between row i of `a` and row i of `b`, for every i.
func rowCosines(_ a: Tensor, _ b: Tensor) -> [Double] {
  let (rows, width) = (a.shape[0], a.shape[1])
  return (0..<rows).map { i in
    var dot = 0.0, na = 0.0, nb = 0.0
    for j in 0..<width {
      let x = Double(a.scalars[i * width + j]), y = Double(b.scalars[i * width + j])
      dot += x * y
      na += x * x
      nb += y * y
    }
    return na == 0 || nb == 0 ? 0 : dot / (na * nb).squareRoot()
  }
}

/// For every row, the index of the most cosine-similar other row (ties to the lowest index).
func nearestNeighbours(_ embeddings: Tensor) -> [Int] {
  let rows = embeddings.shape[0]
  guard rows > 1 else { return [0] }
  var normalized = embeddings
  let width = embeddings.shape[1]
  for i in 0..<rows {
    let norm = (0..<width).reduce(Float(0)) { $0 + embeddings.scalars[i * width + $1] * embeddings.scalars[i * width + $1] }.squareRoot()
    if norm > 0 { for j in 0..<width { normalized.scalars[i * width + j] /= norm } }
  }
  let similarity = matmul(normalized, normalized, transposeB: true)  // (rows, rows)
  return (0..<rows).map { i in
    var best = i == 0 ? 1 : 0
    for j in 0..<rows where j != i && similarity[i, j] > similarity[i, best] { best = j }
    return best
  }
}
