import ArgumentParser
import ModelCompression

/// `compress decompress IN -o OUT`: rebuild a dense checkpoint from anything this tool wrote.
struct Decompress: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Rebuild a dense checkpoint, with the original names and shapes, from compressed output.")

  @Argument(help: "A file or model folder written by `compress`.")
  var input: String

  @Option(name: .shortAndLong, help: "The dense output file (or folder).")
  var output: String

  @Option(help: "Store every floating-point tensor as f32, f16 or bf16 (default: its original dtype).")
  var dtype: String?

  @OptionGroup var writeOptions: WriteOptions

  @Flag(help: "No progress line.")
  var quiet = false

  func validate() throws {
    if let dtype, !["f32", "f16", "bf16"].contains(dtype.lowercased()) {
      throw ValidationError("--dtype \(dtype) is not one of f32, f16, bf16")
    }
  }

  func run() throws {
    try ErrorPresentation.run { () throws(CompressionError) in
      let location = try ModelLocation(resolving: input)
      let decompressor = Decompressor(dtype: dtype.flatMap { DType(rawValue: $0.uppercased()) })
      let files = try decompressor.run(
        input: location, output: try writeOptions.outputOptions(path: output, input: location),
        progress: Terminal.progress(quiet: quiet))
      if !quiet { Terminal.standardOutput("wrote " + files.joined(separator: ", ")) }
    }
  }
}
