import ArgumentParser
import Foundation
import ModelCompression

/// `compress benchmark-forward MODEL`: forward throughput of the engine on random token ids.
struct BenchmarkForward: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "benchmark-forward",
    abstract: "Measure the engine's forward throughput (tokens/s) on seeded random token ids.",
    shouldDisplay: false)

  @Argument(help: "A model folder.")
  var model: String

  @Option(help: "Sequences per forward pass.")
  var batch = 1

  @Option(help: "Tokens per sequence.")
  var length = 128

  @Option(help: "Timed forward passes (after one warm-up); the median is reported.")
  var rounds = 3

  func run() throws {
    try ErrorPresentation.run { () throws(CompressionError) in
      let loaded = try LoadedModel(path: model)
      var generator = SplitMix64(seed: 0)
      let vocabulary = loaded.folder.config.vocabularySize
      let tokens = (0..<batch).map { _ in (0..<length).map { _ in Int(generator.next() % UInt64(vocabulary)) } }
      _ = loaded.model.forward(.tokens(tokens))
      var seconds: [Double] = []
      for _ in 0..<rounds {
        let start = ContinuousClock.now
        _ = loaded.model.forward(.tokens(tokens))
        let elapsed = (ContinuousClock.now - start).components
        seconds.append(Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18)
      }
      let median = seconds.sorted()[seconds.count / 2]
      Terminal.standardOutput(
        String(format: "%.1f tokens/s (median of %d passes of %d×%d tokens, %.3f s each)",
               Double(batch * length) / median, rounds, batch, length, median))
    }
  }
}
