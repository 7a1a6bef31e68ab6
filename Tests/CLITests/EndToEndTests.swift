import CompressionTestSupport
import Foundation
import ModelCompression
import Testing

/// The built `compress` binary, run as a user would.
@Suite final class EndToEndTests {
  let folder = Fixtures.temporaryDirectory("e2e")

  deinit { try? FileManager.default.removeItem(at: folder) }

  @Test func rtnFolderRoundTripThroughDecompress() throws {
    let model = try TinyCheckpoint.writeBERTFolder(at: folder.appendingPathComponent("bert"))
    let output = folder.appendingPathComponent("bert-rtn8").path
    let run = try CommandRunner.run([model.path, "--pass", "rtn:bits=8,group-size=32", "-o", output])
    #expect(run.status == 0, "\(run.standardError)")
    #expect(run.standardOutput.contains("encoder.layer.0.attention.self.query.weight"))
    #expect(run.standardError.isEmpty, "no progress line when standard error is not a terminal")
    let files = try FileManager.default.contentsOfDirectory(atPath: output).sorted()
    #expect(files == ["1_Pooling", "config.json", "model.safetensors", "quantize_config.json", "tokenizer.json"])
    let config = try JSONSerialization.jsonObject(
      with: Data(contentsOf: URL(fileURLWithPath: output + "/config.json"))) as! [String: Any]
    let quantization = config["quantization_config"] as! [String: Any]
    #expect(quantization["bits"] as? Int == 8)
    #expect(quantization["group_size"] as? Int == 32)
    #expect(quantization["quant_method"] as? String == "gptq")

    let report = try CompressionReport.decode(Data(contentsOf: URL(fileURLWithPath: output + ".report.json")))
    #expect(report.tensors.count == 12)
    #expect(report.tensors.allSatisfy { $0.relativeError < 0.01 && $0.storedAs == "gptq" })
    #expect(report.input.first?.sha256?.count == 64)

    let checkpoint = try SafetensorsCheckpoint(path: output + "/model.safetensors")
    #expect(checkpoint["encoder.layer.0.attention.self.query.qweight"]?.shape == [16, 64])
    #expect(checkpoint["encoder.layer.0.attention.self.query.scales"]?.dtype == .f16)
    #expect(checkpoint["encoder.layer.0.attention.self.query.bias"] != nil)

    let dense = folder.appendingPathComponent("bert-dense").path
    let back = try CommandRunner.run(["decompress", output, "-o", dense])
    #expect(back.status == 0, "\(back.standardError)")
    let original = try SafetensorsCheckpoint(path: model.path + "/model.safetensors")
    let restored = try SafetensorsCheckpoint(path: dense + "/model.safetensors")
    #expect(restored.tensors.map(\.name) == original.tensors.map(\.name))
    for info in original.tensors {
      let a = try original.withBytes(of: info.name) { Tensor(decoding: $0, dtype: .f32, shape: info.shape) }
      let b = try restored.withBytes(of: info.name) { Tensor(decoding: $0, dtype: .f32, shape: info.shape) }
      #expect(restored[info.name]?.shape == info.shape)
      #expect(relativeError(a, b) < 0.01, "\(info.name)")
    }
    let restoredConfig = try String(contentsOfFile: dense + "/config.json", encoding: .utf8)
    #expect(!restoredConfig.contains("quantization_config"))
  }

  @Test func singleFileWithZstdAndShards() throws {
    let model = try TinyCheckpoint.writeBERTFolder(at: folder.appendingPathComponent("bert"))
    let input = model.path + "/model.safetensors"
    let zst = folder.appendingPathComponent("m.safetensors").path
    let run = try CommandRunner.run([input, "--pass", "cast:dtype=bf16", "-o", zst, "--zstd", "--quiet"])
    #expect(run.status == 0, "\(run.standardError)")
    #expect(run.standardOutput.isEmpty)
    #expect(FileManager.default.fileExists(atPath: zst + ".zst"))
    let inspect = try CommandRunner.run(["inspect", zst + ".zst", "--json"])
    #expect(inspect.status == 0, "\(inspect.standardError)")
    #expect(inspect.standardOutput.contains("\"BF16\""))

    let sharded = folder.appendingPathComponent("s.safetensors").path
    let shards = try CommandRunner.run(["decompress", zst + ".zst", "-o", sharded, "--max-shard-size", "40kB"])
    #expect(shards.status == 0, "\(shards.standardError)")
    let index = folder.appendingPathComponent("s.safetensors.index.json").path
    #expect(FileManager.default.fileExists(atPath: index))
    let checkpoint = try SafetensorsCheckpoint(path: index)
    #expect(checkpoint.files.count > 1)
    #expect(checkpoint.tensors.allSatisfy { $0.dtype == .f32 })
  }

  @Test func refusesToWriteOverItsInput() throws {
    let model = try TinyCheckpoint.writeBERTFolder(at: folder.appendingPathComponent("bert"))
    let input = model.path + "/model.safetensors"
    let before = try SHA256.hexDigest(ofFileAt: input)
    let run = try CommandRunner.run([input, "--pass", "rtn", "-o", input])
    #expect(run.status == 2)
    #expect(run.standardError.contains("is the input"))
    #expect(try SHA256.hexDigest(ofFileAt: input) == before)
  }

  @Test(arguments: [
    (["--pass", "gptx"], 2, "unknown pass `gptx`"),
    (["--pass", "rtn:bits=9"], 2, "bits=9 is invalid; expected an integer in 2...8"),
    (["--pass", "rtn:group_size=64"], 2, "has no parameter `group_size`"),
    (["--pass", "rtn:targets=nothing.weight"], 2, "selector `nothing.weight` matches no tensor"),
    (["--pass", "rtn:targets=embeddings.LayerNorm.weight"], 1, "expected a 2-D weight matrix"),
  ])
  func badRequestsExitWithAMessageAndNoOutput(arguments: [String], status: Int32, message: String) throws {
    let model = try TinyCheckpoint.writeBERTFolder(at: folder.appendingPathComponent("bert"))
    let output = folder.appendingPathComponent("out.safetensors").path
    let run = try CommandRunner.run([model.path + "/model.safetensors", "-o", output] + arguments)
    #expect(run.status == status)
    #expect(run.standardError.hasPrefix("error: ") && run.standardError.contains(message), "\(run.standardError)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["bert"])
  }

  @Test func nonFiniteWeightsAreNamed() throws {
    let model = try TinyCheckpoint.writeBERTFolder(at: folder.appendingPathComponent("bert"), nonFinite: true)
    let output = folder.appendingPathComponent("out").path
    let run = try CommandRunner.run([model.path, "--pass", "rtn", "-o", output])
    #expect(run.status == 1)
    #expect(run.standardError.contains("holds nan at element 5"), "\(run.standardError)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["bert"])
  }

  @Test func aFullDiskLeavesNothingBehind() throws {
    let model = try TinyCheckpoint.writeBERTFolder(at: folder.appendingPathComponent("bert"))
    let output = folder.appendingPathComponent("out.safetensors").path
    // ulimit -f counts 1024-byte blocks: 32 kB is less than the ~100 kB output.
    let run = try CommandRunner.run(
      [model.path + "/model.safetensors", "--pass", "cast", "-o", output], shellPrefix: "ulimit -f 32;")
    #expect(run.status == 74, "\(run.standardError)")
    #expect(run.standardError.contains("out.safetensors"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["bert"])
  }

  @Test func passesListsEveryPass() throws {
    let run = try CommandRunner.run(["passes", "--json"])
    #expect(run.status == 0)
    let passes = try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as! [[String: Any]]
    #expect(passes.map { $0["name"] as! String } == ["binarize", "cast", "gptq", "low-rank", "prune", "rtn"])
  }
}
