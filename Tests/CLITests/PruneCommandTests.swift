import CompressionTestSupport
import Foundation
import ModelCompression
import Testing

/// The `prune` pass end to end on the tiny LLaMA GGUF fixture: exact sparsity in the written file,
/// N:M checked group by group, prune then GPTQ in one loop, the sparse-bitmask layout read back by
/// `decompress` and the engine, and bad requests refused with nothing written.
@Suite final class PruneCommandTests: CommandSuite {
  let folder = Fixtures.temporaryDirectory("prune-cli")

  deinit { try? FileManager.default.removeItem(at: folder) }

  /// The block linears of a written (dense) checkpoint, `(out, in)`.
  func linears(_ output: String) throws -> [String: Tensor] {
    let checkpoint = try SafetensorsCheckpoint(path: output + "/model.safetensors")
    var result: [String: Tensor] = [:]
    for info in checkpoint.tensors where info.name.contains("layers.") && info.name.hasSuffix("proj.weight") {
      result[info.name] = try checkpoint.withBytes(of: info.name) { Tensor(decoding: $0, dtype: info.dtype, shape: info.shape) }
    }
    return result
  }

  @Test(arguments: ["sparse-reg", "sparsegpt", "wanda", "magnitude"])
  func everyMethodWritesExactSparsity(_ method: String) throws {
    let model = try tinyModel()
    let output = try compress(model, ["prune:method=\(method),sparsity=0.5,allocation=row"], "unstructured-\(method)", calibrated: method != "magnitude")
    let weights = try linears(output)
    #expect(weights.count == 14)
    for (name, weight) in weights {
      let mask = SparsityMask(zerosOf: weight)
      #expect((0..<mask.rows).allSatisfy { mask.count(row: $0) >= mask.columns / 2 }, "\(name)")
    }
    let layers = try report(output).tensors.compactMap(\.layer)
    #expect(layers.count == 14 && layers.allSatisfy { $0.pass == "prune" && $0.figures["sparsity"] == 0.5 })
    #expect(layers.allSatisfy { $0.hessianSource == (method == "magnitude" ? "identity" : "sequential") })
    if method == "sparsegpt" || method == "sparse-reg" {
      #expect(layers.allSatisfy { $0.relativeOutputError < $0.baselineRelativeOutputError })
    }
    if method == "sparse-reg" {
      #expect(layers.allSatisfy { $0.figures["objective_end"]! < $0.figures["objective_start"]! })
    }
    let eval = try CommandRunner.run(["eval", output, "--data", try text(), "--context", "32"])
    #expect(eval.status == 0, "\(eval.standardError)")
  }

  @Test func twoOfFourHoldsInEveryGroupOfTheWrittenFile() throws {
    let output = try compress(try tinyModel(), ["prune:method=sparsegpt,pattern=2:4"], "two-four")
    for (name, weight) in try linears(output) {
      #expect(SparsityMask(zerosOf: weight).satisfies(n: 2, m: 4), "\(name)")
    }
  }

  /// GPTQ after pruning in one loop: block 0's q/k/v see the same inputs as pruning alone, so their
  /// masks agree bit for bit, and every pruned weight decodes to exactly 0 after quantization.
  @Test func pruneThenGPTQKeepsTheMask() throws {
    let model = try tinyModel()
    let pruned = try compress(model, ["prune:method=sparsegpt,sparsity=0.5"], "pruned")
    let both = try compress(model, ["prune:method=sparsegpt,sparsity=0.5", "gptq:bits=4,group-size=32"], "pruned-gptq")
    let dense = folder.appendingPathComponent("pruned-gptq-dense").path
    let run = try CommandRunner.run(["decompress", both, "-o", dense, "--quiet"])
    #expect(run.status == 0, "\(run.standardError)")
    let (alone, quantized) = (try linears(pruned), try linears(dense))
    for name in ["q_proj", "k_proj", "v_proj"].map({ "model.layers.0.self_attn.\($0).weight" }) {
      let mask = SparsityMask(zerosOf: try #require(alone[name]))
      #expect(zip(mask.pruned, quantized[name]!.scalars).allSatisfy { !$0 || $1 == 0 }, "\(name)")
    }
    let records = try report(both).tensors.filter { $0.method == "prune+gptq" }
    #expect(records.count == 14)
    for record in records {
      #expect(record.layers.map(\.pass) == ["prune", "gptq"])
      let weight = quantized[record.name]!
      #expect(SparsityMask(zerosOf: weight).count >= weight.count / 2, "\(record.name)")
    }
  }

  @Test func bitmaskStorageIsReadBackByDecompressAndTheEngine() throws {
    let model = try tinyModel()
    let dense = try compress(model, ["prune:method=wanda,sparsity=0.6"], "wanda-dense")
    let bitmask = try compress(model, ["prune:method=wanda,sparsity=0.6,storage=bitmask"], "wanda-bitmask")
    let checkpoint = try SafetensorsCheckpoint(path: bitmask + "/model.safetensors")
    let prefix = "model.layers.0.mlp.down_proj"
    #expect(checkpoint["\(prefix).weight"] == nil && checkpoint["\(prefix).bitmask"]?.dtype == .u8)
    #expect(checkpoint["\(prefix).shape"]?.dtype == .i64 && checkpoint["\(prefix).row_offsets"]?.dtype == .i64)
    let config = try String(contentsOfFile: bitmask + "/config.json", encoding: .utf8)
    #expect(config.contains("\"sparse-bitmask\"") && config.contains("compressed-tensors"))
    let restored = folder.appendingPathComponent("wanda-restored").path
    let run = try CommandRunner.run(["decompress", bitmask, "-o", restored, "--quiet"])
    #expect(run.status == 0, "\(run.standardError)")
    #expect(try linears(restored) == (try linears(dense)))
    let scores = try [dense, bitmask].map { path in
      let eval = try CommandRunner.run(["eval", path, "--data", try text(), "--context", "32", "--json"])
      #expect(eval.status == 0, "\(eval.standardError)")
      return try JSONSerialization.jsonObject(with: Data(eval.standardOutput.utf8)) as! [String: Any]
    }
    #expect(scores[0]["value"] as? Double == scores[1]["value"] as? Double)
  }

  static let refused: [([String], String)] = [
    (["--pass", "prune:method=wanda"], "needs input statistics"),
    (["--pass", "prune:sparsity=0.99"], "sparsity=0.99"),
    (["--pass", "prune:pattern=4:2"], "pattern=4:2"),
    (["--pass", "prune:method=magnitude,pattern=3:5"], "divisible by 5"),
    (["--pass", "prune:method=magnitude,storage=bitmask", "--pass", "gptq:allow-identity=true"], "sparse-bitmask"),
  ]

  @Test(arguments: 0..<refused.count)
  func badRequestsWriteNothing(_ index: Int) throws {
    let (arguments, message) = Self.refused[index]
    try expectRefused(arguments, message, name: "refused-\(index)")
  }
}
