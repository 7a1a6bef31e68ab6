import ArgumentParser
import Foundation
import ModelCompression

/// `compress eval MODEL --data FILE`: the model's own metric, through the toolkit's engine.
struct Evaluate: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "eval",
    abstract: "Perplexity of a causal LM, or sentence-embedding agreement of an encoder, on a text.")

  @Argument(help: "A model folder (config.json, weights — dense or written by compress —, tokenizer.json).")
  var model: String

  @Option(help: "Evaluation text: the whole text for perplexity, one sentence per line for encoders.")
  var data: String

  @Option(help: "Window length in tokens for perplexity.")
  var context = 512

  @Option(help: "Score at most this many windows.")
  var maxWindows: Int?

  @Option(help: "An encoder to compare embeddings with (mean/min cosine, top-1 retrieval agreement).")
  var reference: String?

  @Flag(help: "Print one JSON object.")
  var json = false

  func run() throws {
    try ErrorPresentation.run { () throws(CompressionError) in
      let loaded = try LoadedModel(path: model)
      let result: EvaluationResult
      if loaded.folder.config.isCausalLanguageModel {
        result = try Evaluation.perplexity(of: loaded, textAt: data, context: context, maxWindows: maxWindows)
      } else {
        let other = try reference.map { path throws(CompressionError) in try LoadedModel(path: path) }
        result = try Evaluation.embeddingAgreement(of: loaded, reference: other, linesAt: data)
      }
      if json {
        let bytes = try! JSONSerialization.data(withJSONObject: result.json, options: [.sortedKeys])
        Terminal.standardOutput(String(decoding: bytes, as: UTF8.self))
        return
      }
      switch result {
      case .perplexity(let value, let tokens, let rate):
        Terminal.standardOutput(String(format: "perplexity %.4f over %d tokens (%.0f tokens/s)", value, tokens, rate))
      case .embedding(let sentences, let mean, let minimum, let top1, let rate):
        var line = "\(sentences) sentences embedded" + String(format: " (%.0f tokens/s)", rate)
        if let mean, let minimum, let top1 {
          line += String(format: "; cosine to reference: mean %.6f, min %.6f; top-1 agreement %.4f", mean, minimum, top1)
        }
        Terminal.standardOutput(line)
      }
    }
  }
}

/// `compress embed MODEL --input LINES -o EMB.safetensors`: one embedding per non-empty line.
struct Embed: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write sentence embeddings of every non-empty line (tensor `embeddings`, F32 [lines, dim]).")

  @Argument(help: "An encoder model folder.")
  var model: String

  @Option(help: "A text file, one sentence per line.")
  var input: String

  @Option(name: .shortAndLong, help: "The output safetensors file.")
  var output: String

  func run() throws {
    try ErrorPresentation.run { () throws(CompressionError) in
      let loaded = try LoadedModel(path: model)
      let (embeddings, _, _) = try Evaluation.embeddings(of: loaded, linesAt: input)
      let writer = try withSafetensorsErrors { () throws(SafetensorsError) in try SafetensorsWriter(path: output) }
      try writer.add(name: "embeddings", dtype: .f32, shape: embeddings.shape, contents: embeddings.encoded(as: .f32))
      _ = try withSafetensorsErrors { () throws(SafetensorsError) in try writer.finish(metadata: nil) }
      Terminal.standardOutput("wrote \(embeddings.shape[0]) embeddings of width \(embeddings.shape[1]) to \(output)")
    }
  }
}
