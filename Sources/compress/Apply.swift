import ArgumentParser
import Foundation
import ModelCompression

/// `compress IN --pass NAME[:key=value,...] -o OUT`: the default subcommand.
struct Apply: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "apply",
    abstract: "Run compression passes over a checkpoint (the default subcommand).")

  @Argument(help: "A .safetensors file, a .safetensors.zst file, a sharded index, or a model folder.")
  var input: String

  @Option(
    name: .customLong("pass"),
    help: "A pass to run, NAME[:key=value,...]; repeat to run several in order.")
  var passes: [String] = []

  @Option(name: .shortAndLong, help: "The output file (or folder, for a model-folder input).")
  var output: String

  @Option(help: "Where to write the JSON report (default: OUT.report.json).")
  var report: String?

  @Option(help: "A YAML or JSON recipe listing passes with targets/ignore selectors.")
  var recipe: String?

  @OptionGroup var writeOptions: WriteOptions

  @OptionGroup var calibration: CalibrationOptions

  @Option(help: "Hessians from `compress calibrate` for calibrated passes (instead of --calibration).")
  var hessians: String?

  @Option(help: "Activation memory of the sequential calibration loop (e.g. 4GB); the rest spills to disk.")
  var memoryBudget = "4GiB"

  @Flag(help: "No progress line and no table.")
  var quiet = false

  func validate() throws {
    if calibration.calibration != nil && hessians != nil {
      throw ValidationError("give --calibration or --hessians, not both")
    }
    if WriteOptions.parseSize(memoryBudget) == nil {
      throw ValidationError("--memory-budget \(memoryBudget) is not a size like 4GB or 512MiB")
    }
  }

  func run() throws {
    try ErrorPresentation.run { () throws(CompressionError) in
      var specs = try recipe.map { path throws(CompressionError) in try Recipe.load(path: path) } ?? []
      for text in passes { specs.append(try PassSpec(parsing: text)) }
      let pipeline = try CompressionPipeline(specs: specs, registry: .standard)
      let location = try ModelLocation(resolving: input)
      let options = try writeOptions.outputOptions(path: output, input: location)
      let request = CalibrationRequest(
        dataPath: calibration.calibration, options: calibration.setOptions, hessiansPath: hessians,
        memoryBudget: WriteOptions.parseSize(memoryBudget) ?? 0)
      let result = try pipeline.run(
        input: location, output: options, calibration: request, command: CommandLine.arguments,
        progress: Terminal.progress(quiet: quiet))
      let reportPath = report ?? Self.defaultReportPath(for: options.path)
      try writeAtomically(result.json(), to: reportPath)
      if !quiet {
        Terminal.standardOutput(result.table())
        Terminal.standardOutput("wrote \(options.path) and \(reportPath)")
      }
    }
  }

  /// `OUT.report.json` beside the output (`model-rtn/` → `model-rtn.report.json`).
  static func defaultReportPath(for output: String) -> String {
    var trimmed = output
    while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
    return trimmed + ".report.json"
  }
}

/// Output options shared by `apply` and `decompress`.
struct WriteOptions: ParsableArguments {
  @Option(help: "Write zstd-compressed safetensors (.safetensors.zst); bare --zstd is level 3.")
  var zstd: Int?

  @Option(help: "Split the weights into shards of at most this size (e.g. 2GB, 500MiB, 1000000).")
  var maxShardSize: String?

  func validate() throws {
    if let zstd, !(1...19).contains(zstd) {
      throw ValidationError("--zstd level \(zstd) is out of range; expected 1...19")
    }
    if let maxShardSize, Self.parseSize(maxShardSize) == nil {
      throw ValidationError("--max-shard-size \(maxShardSize) is not a size like 2GB or 500MiB")
    }
  }

  /// The library's options; a single-file output gets `.zst` appended when compressed.
  func outputOptions(path: String, input: ModelLocation) throws(CompressionError) -> OutputOptions {
    var path = path
    if zstd != nil, input.folder == nil, !path.hasSuffix(".zst") { path += ".zst" }
    return OutputOptions(path: path, zstdLevel: zstd, maxShardSize: maxShardSize.flatMap(Self.parseSize))
  }

  /// `"2GB"` → 2_000_000_000, `"500MiB"` → 524_288_000, `"123"` → 123.
  static func parseSize(_ text: String) -> Int? {
    let units: [(String, Int)] = [
      ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1000), ("MB", 1_000_000),
      ("GB", 1_000_000_000), ("B", 1),
    ]
    for (suffix, factor) in units where text.uppercased().hasSuffix(suffix.uppercased()) {
      guard let value = Double(text.dropLast(suffix.count)), value >= 1 else { return nil }
      return Int(value * Double(factor))
    }
    return Int(text).flatMap { $0 >= 1 ? $0 : nil }
  }
}

/// Writes `data` to a temporary file beside `path`, then renames it into place.
func writeAtomically(_ data: Data, to path: String) throws(CompressionError) {
  do {
    try data.write(to: URL(fileURLWithPath: path), options: .atomic)
  } catch {
    throw .io(path: path, reason: "cannot write: \(error.localizedDescription)")
  }
}
