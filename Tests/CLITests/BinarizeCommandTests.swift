import CompressionTestSupport
import Foundation
import ModelCompression
import Testing

/// The `binarize` pass end to end on the tiny LLaMA GGUF fixture (hidden 64, MLP 128): packed
/// parts in the written file, the report's bits per weight, `decompress` equal to what the engine
/// decodes, the engine's packed forward equal to the dense forward of the decoded weights, GPT-2's
/// Conv1D layout, and bad requests refused with nothing written.
@Suite final class BinarizeCommandTests: CommandSuite {
  let folder = Fixtures.temporaryDirectory("binarize-cli")

  deinit { try? FileManager.default.removeItem(at: folder) }

  func decompress(_ output: String) throws -> String {
    let dense = output + "-dense"
    let run = try CommandRunner.run(["decompress", output, "-o", dense, "--quiet"])
    #expect(run.status == 0, "\(run.standardError)")
    return dense
  }

  @Test(arguments: [
    ("binarize:residual-rank=0", false), ("binarize", false), ("binarize:salient=0.05", true),
    ("binarize:feedback=true,salient=0.02", true), ("binarize:scale=matrix,residual-rank=4", true),
  ])
  func packedWeightsAreWrittenAndRunAsDecoded(_ pass: String, _ calibrated: Bool) throws {
    let model = try tinyModel()
    let name = pass.replacingOccurrences(of: ":", with: "-")
    let output = try compress(model, [pass], name, calibrated: calibrated)
    let checkpoint = try SafetensorsCheckpoint(path: output + "/model.safetensors")
    let source = try CompressedWeightSource(path: output + "/model.safetensors")
    let records = try report(output).tensors
    #expect(records.count == 14)
    let dense = try decompress(output)
    let restored = try SafetensorsCheckpoint(path: dense + "/model.safetensors")
    for record in records {
      let layer = try #require(record.layer)
      let (out, inputs) = (record.shape[0], record.shape[1])
      let module = String(record.name.dropLast(".weight".count))
      #expect(record.storedAs == "binary" && checkpoint[record.name] == nil)
      #expect(checkpoint[module + ".binary.bits"]?.shape == [out, (inputs + 7) / 8])
      let rank = Int(layer.figures["residual_rank"]!)
      #expect(checkpoint[module + ".binary.residual.A"]?.shape == (rank > 0 ? [rank, inputs] : nil))
      // The bits per weight count every stored part, and the figures break them down.
      let parts = ["bits_signs", "bits_scales", "bits_residual", "bits_salient"].map { layer.figures[$0]! }
      #expect(abs(parts.reduce(0, +) - record.bitsPerWeight) < 1e-9)
      #expect(parts[0] == 1 && record.bitsPerWeight < 16)
      // decompress writes exactly what the engine decodes from the packed parts.
      let packed = try #require(try source.binaryLinear(record.name))
      let written = try restored.withBytes(of: record.name) { Tensor(decoding: $0, dtype: .f32, shape: [out, inputs]) }
      #expect(written == packed.dense())
    }
    // The engine multiplies with the packed signs; the decompressed model gives the same outputs.
    let (packed, expanded) = (try perplexity(output), try perplexity(dense))
    #expect(abs(packed - expanded) <= 1e-4 * expanded, "packed \(packed), decompressed \(expanded)")
  }

  /// Each ingredient lowers the layers' output error against plain binarization (the baseline the
  /// report gives beside every layer), on the calibration statistics.
  @Test func ingredientsBeatPlainBinarizationOnEveryLayer() throws {
    let output = try compress(try tinyModel(), ["binarize:feedback=true,residual-rank=8"], "all-ingredients")
    for record in try report(output).tensors {
      let layer = try #require(record.layer)
      #expect(layer.relativeOutputError < layer.baselineRelativeOutputError, "\(record.name)")
    }
  }

  /// GPT-2 stores its block linears (in, out) (Conv1D): the signs are kept in `nn.Linear`
  /// orientation, `decompress` restores the stored shape, and the engine's packed forward gives the
  /// decompressed model's logits.
  @Test func gpt2ConvLayoutRoundTrips() throws {
    let output = try compress(Fixtures.path("inference/gpt2"), ["binarize:residual-rank=2"], "bin-gpt2", calibrated: false)
    let dense = try decompress(output)
    let records = try report(output).tensors.filter { $0.storedAs == "binary" }
    #expect(records.contains { $0.name.hasSuffix("attn.c_attn.weight") })
    let restored = try SafetensorsCheckpoint(path: dense + "/model.safetensors")
    for record in records { #expect(restored[record.name]?.shape == record.shape) }
    let config = try ModelFolder(path: output).config
    let packed = try loadTransformer(config: config, weights: try CompressedWeightSource(path: output + "/model.safetensors"))
    let expanded = try loadTransformer(config: config, weights: try SafetensorsWeightSource(path: dense + "/model.safetensors"))
    let tokens = ModelInput.tokens([[1, 5, 9, 2, 7, 3]])
    #expect(closeness(packed.forward(tokens).scalars, expanded.forward(tokens).scalars, rtol: 1e-4, atol: 1e-4) == nil)
  }

  static let refused: [([String], String)] = [
    (["--pass", "binarize:feedback=true"], "needs input statistics"),
    (["--pass", "binarize:residual-rank=40"], "residual-rank=40"),
    (["--pass", "binarize:residual-rank=-1"], "residual-rank"),
    (["--pass", "binarize:salient=0.6"], "salient"),
    (["--pass", "binarize:scale=column"], "scale"),
    (["--pass", "binarize:block-size=64"], "block-size"),
  ]

  @Test(arguments: 0..<refused.count)
  func badRequestsWriteNothing(_ index: Int) throws {
    let (arguments, message) = Self.refused[index]
    try expectRefused(arguments, message, name: "refused-\(index)")
  }
}
