import ArgumentParser
import Foundation
import ModelCompression

/// `compress import MODEL.gguf -o DIR`: a llama.cpp GGUF (llama architecture) as a Hugging Face
/// model folder with F32 weights.
struct Import: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "import",
    abstract: "Convert a llama.cpp GGUF (llama architecture) into a Hugging Face model folder.",
    discussion: """
      Writes model.safetensors (every tensor dequantized to F32, Hugging Face names, q/k RoPE rows
      un-permuted), config.json, generation_config.json, tokenizer.json and tokenizer_config.json.
      The output folder must not exist or be empty; nothing is left behind on failure.
      """)

  @Argument(help: "The .gguf file.")
  var input: String

  @Option(name: .shortAndLong, help: "The model folder to create.")
  var output: String

  func run() throws {
    try ErrorPresentation.run { () throws(CompressionError) in
      let summary: ImportSummary
      do throws(GGUFError) {
        summary = try GGUFImporter.importModel(from: input, to: output)
      } catch {
        throw .gguf(error)
      }
      let types = summary.typeCounts.sorted { $0.key.rawValue < $1.key.rawValue }
        .map { "\($0.value) \($0.key.name)" }.joined(separator: ", ")
      Terminal.standardOutput(
        "\(summary.folder): \(summary.tensorCount) tensors (\(types)), \(summary.parameterCount) parameters, "
          + String(format: "%.2f s", summary.seconds))
    }
  }
}
