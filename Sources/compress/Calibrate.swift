import ArgumentParser
import ModelCompression

/// Calibration options shared by every command that reads calibration data.
struct CalibrationOptions: ParsableArguments {
  @Option(help: "Calibration data: a text file, a JSONL of {\"text\": …}, or safetensors `input_ids` [N, L].")
  var calibration: String?

  @Option(help: "Number of calibration samples.")
  var samples = 128

  @Option(help: "Tokens per calibration sample.")
  var seqLen = 512

  @Option(help: "Seed of the random windows.")
  var seed: UInt64 = 0

  func validate() throws {
    guard samples >= 1 else { throw ValidationError("--samples must be at least 1") }
    guard seqLen >= 1 else { throw ValidationError("--seq-len must be at least 1") }
  }

  var setOptions: CalibrationSet.Options { .init(samples: samples, sequenceLength: seqLen, seed: seed) }

  /// The samples for `model` (`--calibration` is required).
  func load(for model: LoadedModel) throws(CompressionError) -> CalibrationSet {
    guard let calibration else { throw .calibrationRequired(pass: "calibrate") }
    return try model.calibrationSet(path: calibration, options: setOptions)
  }
}

/// `compress calibrate MODEL --calibration FILE -o HESSIANS.safetensors`.
struct Calibrate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write H = (2/n)·Σ x·xᵀ of every block linear's input, keyed by the weight's name.")

  @Argument(help: "A model folder.")
  var model: String

  @OptionGroup var calibration: CalibrationOptions

  @Option(name: .shortAndLong, help: "The output safetensors file of Hessians.")
  var output: String

  @Flag(help: "No progress line.")
  var quiet = false

  func validate() throws {
    guard calibration.calibration != nil else { throw ValidationError("--calibration FILE is required") }
  }

  func run() throws {
    try ErrorPresentation.run { () throws(CompressionError) in
      let loaded = try LoadedModel(path: model)
      let samples = try calibration.load(for: loaded)
      let names = loaded.model.blocks.flatMap(\.linearNames)
      let hessians = HessianAccumulator.collect(
        model: loaded.model, calibration: samples, names: names, progress: Terminal.progress(quiet: quiet))
      try HessianFile.write(hessians, to: output)
      if !quiet {
        Terminal.standardOutput(
          "wrote \(hessians.count) Hessians from \(samples.samples.count) samples (\(samples.tokenCount) tokens) to \(output)")
      }
    }
  }
}
