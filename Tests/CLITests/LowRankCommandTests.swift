import CompressionTestSupport
import Foundation
import ModelCompression
import Testing

/// The `low-rank` pass end to end on the tiny LLaMA GGUF fixture (hidden 64, MLP 128): factors in
/// the written file, `decompress` equal to B·A, the engine's two-product forward equal to the
/// dense forward of B·A, the sensitivity budget, low-rank then GPTQ on the factors, and bad
/// requests refused with nothing written.
@Suite final class LowRankCommandTests: CommandSuite {
  let folder = Fixtures.temporaryDirectory("low-rank-cli")

  deinit { try? FileManager.default.removeItem(at: folder) }

  func tensors(_ path: String) throws -> [String: Tensor] {
    let checkpoint = try SafetensorsCheckpoint(path: path + "/model.safetensors")
    var result: [String: Tensor] = [:]
    for info in checkpoint.tensors where info.dtype.isFloatingPoint {
      result[info.name] = try checkpoint.withBytes(of: info.name) { Tensor(decoding: $0, dtype: info.dtype, shape: info.shape) }
    }
    return result
  }

  @Test(arguments: ["method=svd", "method=whitened", "sequential=true"])
  func factorsAreWrittenAndReadBack(_ method: String) throws {
    let model = try tinyModel()
    let output = try compress(model, ["low-rank:\(method),keep=0.5"], "lr-\(method)", calibrated: method != "method=svd")
    let stored = try tensors(output)
    let records = try report(output).tensors
    #expect(records.count == 14)
    for record in records {
      let layer = try #require(record.layer)
      let (out, inputs) = (record.shape[0], record.shape[1])
      let rank = Int(layer.figures["rank"]!)
      #expect(layer.pass == "low-rank" && rank == Int(0.5 * Double(out * inputs) / Double(out + inputs)))
      let module = String(record.name.dropLast(".weight".count))
      let (a, b) = (try #require(stored[module + ".low_rank.A.weight"]), try #require(stored[module + ".low_rank.B.weight"]))
      #expect(a.shape == [rank, inputs] && b.shape == [out, rank] && stored[record.name] == nil)
      #expect(record.storedAs == "low-rank" && record.bytesAfter == rank * (out + inputs) * 4)
      if method != "method=svd" {  // fitted to the outputs: better there than the plain SVD
        #expect(layer.relativeOutputError <= layer.baselineRelativeOutputError * (1 + 1e-6), "\(record.name)")
      }
    }
    // decompress rebuilds B·A; the engine's two products give the dense model's perplexity.
    let dense = folder.appendingPathComponent("lr-\(method)-dense").path
    let run = try CommandRunner.run(["decompress", output, "-o", dense, "--quiet"])
    #expect(run.status == 0, "\(run.standardError)")
    let restored = try tensors(dense)
    for record in records {
      let module = String(record.name.dropLast(".weight".count))
      let product = matmul(stored[module + ".low_rank.B.weight"]!, stored[module + ".low_rank.A.weight"]!)
      #expect(closeness(try #require(restored[record.name]).scalars, product.scalars, rtol: 1e-6, atol: 1e-6) == nil)
    }
    let (factored, expanded) = (try perplexity(output), try perplexity(dense))
    #expect(abs(factored - expanded) <= 1e-4 * expanded, "factored \(factored), dense B·A \(expanded)")
  }

  /// GPT-2 stores its block linears (in, out) (Conv1D): the factors are kept in `nn.Linear`
  /// orientation, `decompress` restores (B·A)ᵀ in the stored shape, and the engine's two
  /// products give the dense model's logits.
  @Test func gpt2ConvLayoutRoundTrips() throws {
    let output = try compress(Fixtures.path("inference/gpt2"), ["low-rank:method=svd,keep=0.5"], "lr-gpt2", calibrated: false)
    let dense = folder.appendingPathComponent("lr-gpt2-dense").path
    let run = try CommandRunner.run(["decompress", output, "-o", dense, "--quiet"])
    #expect(run.status == 0, "\(run.standardError)")
    let (stored, restored) = (try tensors(output), try tensors(dense))
    let records = try report(output).tensors.filter { $0.storedAs == "low-rank" }
    #expect(records.contains { $0.name.hasSuffix("attn.c_attn.weight") })
    for record in records {
      let module = String(record.name.dropLast(".weight".count))
      let product = matmul(stored[module + ".low_rank.B.weight"]!, stored[module + ".low_rank.A.weight"]!)  // (out, in)
      let weight = try #require(restored[record.name])
      #expect(weight.shape == record.shape && weight.shape == product.shape.reversed())
      #expect(closeness(weight.scalars, product.transposed().scalars, rtol: 1e-6, atol: 1e-6) == nil, "\(record.name)")
    }
    let config = try ModelFolder(path: output).config
    let factored = try loadTransformer(config: config, weights: try CompressedWeightSource(path: output + "/model.safetensors"))
    let expanded = try loadTransformer(config: config, weights: try SafetensorsWeightSource(path: dense + "/model.safetensors"))
    let tokens = ModelInput.tokens([[1, 5, 9, 2, 7, 3]])
    #expect(closeness(factored.forward(tokens).scalars, expanded.forward(tokens).scalars, rtol: 1e-4, atol: 1e-4) == nil)
  }

  /// A global budget of half the parameters: met, and spent unevenly.
  @Test func sensitivityAllocationMeetsTheBudget() throws {
    let output = try compress(try tinyModel(), ["low-rank:allocation=sensitivity,keep=0.5"], "lr-sensitivity")
    let records = try report(output).tensors
    var kept = 0
    var total = 0
    for record in records {
      let (out, inputs) = (record.shape[0], record.shape[1])
      let layer = try #require(record.layer)
      kept += layer.figures["factored"] == 1 ? Int(layer.figures["rank"]!) * (out + inputs) : out * inputs
      total += out * inputs
    }
    #expect(kept <= total / 2)
    #expect(Set(records.map { $0.layer!.figures["kept_parameters"]! }).count > 2)
  }

  /// Low-rank then 4-bit GPTQ: the MLP layers' factors (rank rounded to 32) are GPTQ-encoded
  /// inside the low-rank entry; the smaller layers, where rank 32 saves nothing, stay dense and
  /// are quantized as usual; decompress and the engine read both.
  @Test func lowRankThenGPTQQuantizesTheFactors() throws {
    let model = try tinyModel()
    let output = try compress(model, ["low-rank:keep=0.5,multiple=32", "gptq:bits=4,group-size=32"], "lr-gptq")
    let checkpoint = try SafetensorsCheckpoint(path: output + "/model.safetensors")
    let records = try report(output).tensors
    let factored = records.filter { $0.storedAs == "low-rank" }
    #expect(factored.count == 6 && records.filter { $0.storedAs == "gptq" }.count == 8)
    for record in factored {
      #expect(record.layers.map(\.pass) == ["low-rank", "gptq"] && record.layers[0].figures["rank"] == 32)
      let module = String(record.name.dropLast(".weight".count))
      for factor in ["A", "B"] {
        #expect(checkpoint["\(module).low_rank.\(factor).qweight"]?.dtype == .i32, "\(module) \(factor)")
        #expect(checkpoint["\(module).low_rank.\(factor).weight"] == nil)
      }
    }
    let dense = folder.appendingPathComponent("lr-gptq-dense").path
    let run = try CommandRunner.run(["decompress", output, "-o", dense, "--quiet"])
    #expect(run.status == 0, "\(run.standardError)")
    let (compressed, expanded) = (try perplexity(output), try perplexity(dense))
    #expect(abs(compressed - expanded) <= 1e-4 * expanded)
  }

  static let refused: [([String], String)] = [
    (["--pass", "low-rank"], "needs input statistics"),
    (["--pass", "low-rank:method=svd,rank=65"], "rank=65"),
    (["--pass", "low-rank:method=svd,keep=0"], "(0, 1]"),
    (["--pass", "low-rank:method=svd,energy=1.5"], "energy=1.5"),
    (["--pass", "low-rank:method=svd,keep=0.5,rank=4"], "only one of"),
    (["--pass", "low-rank:method=svd,sequential=true"], "sequential"),
    (["--pass", "low-rank:method=svd,allocation=sensitivity,rank=4"], "sensitivity"),
  ]

  @Test(arguments: 0..<refused.count)
  func badRequestsWriteNothing(_ index: Int) throws {
    let (arguments, message) = Self.refused[index]
    try expectRefused(arguments, message, name: "refused-\(index)")
  }
}
