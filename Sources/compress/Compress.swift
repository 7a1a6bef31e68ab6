import ArgumentParser
import Foundation
import ModelCompression

/// The `compress` command: runs compression passes over a safetensors checkpoint.
@main
struct Compress: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "compress",
    abstract: "Make transformer checkpoints smaller with passes from the research literature.",
    discussion: """
      Examples:
        compress model.safetensors --pass rtn:bits=8 -o model.rtn8.safetensors
        compress model-folder/ --pass rtn:bits=4,group-size=64 -o model-rtn4/
        compress inspect model.safetensors
        compress decompress model.rtn8.safetensors -o model.dense.safetensors
      """,
    version: CompressionPipeline.version,
    subcommands: [
      Apply.self, Inspect.self, ListPasses.self, Decompress.self, Evaluate.self, Embed.self, Calibrate.self,
      Import.self, BenchmarkIO.self, BenchmarkGPTQ.self, BenchmarkPrune.self, BenchmarkLowRank.self, BenchmarkForward.self,
    ],
    defaultSubcommand: Apply.self)

  /// Parses the arguments and runs, after turning a bare `--zstd` into `--zstd=3`
  /// (an option with an optional value, which ArgumentParser has no spelling for).
  static func main() {
    FastKernels.restartIfGeneric()
    Interruption.install()
    let arguments = CommandLine.arguments.dropFirst().map { $0 == "--zstd" ? "--zstd=3" : $0 }
    main(Array(arguments))
  }
}
