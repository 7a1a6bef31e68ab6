import CompressionTestSupport
import Foundation
import GGUF
import Safetensors
import Testing

/// The real SmolLM2-135M-Instruct Q4_1 GGUF (fetched by `scripts/fetch-models.sh` into `.cache/`)
/// imported and compared with the SHA-256 of every tensor transformers' GGUF loader produces
/// (`Fixtures/gguf/real_smollm2.json`, part c of the fixture script).
@Suite(.serialized) final class RealModelTests {
  let temporary = Fixtures.temporaryDirectory("gguf-real")

  deinit { try? FileManager.default.removeItem(at: temporary) }

  static let gguf = Fixtures.repositoryRoot.appendingPathComponent(".cache/models/SmolLM2-135M-Instruct.Q4_1.gguf").path

  static let fetched: Bool = {
    if FileManager.default.fileExists(atPath: gguf) { return true }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = [Fixtures.repositoryRoot.appendingPathComponent("scripts/fetch-models.sh").path]
    try? process.run()
    process.waitUntilExit()
    return FileManager.default.fileExists(atPath: gguf)
  }()

  @Test func headerIsTheKnownFile() throws {
    try #require(Self.fetched, "scripts/fetch-models.sh could not fetch the model")
    let file = try GGUFFile(path: Self.gguf)
    #expect(file.header.version == 3 && file.header.metadata.count == 33 && file.tensors.count == 272)
    let types = Dictionary(grouping: file.tensors, by: \.type).mapValues(\.count)
    #expect(types == [.q4_1: 210, .q8_0: 1, .f32: 61])
    #expect(file["tokenizer.ggml.pre"]?.string == "smollm")
    #expect(file.header.tensor(named: "token_embd.weight")?.shape == [49152, 576])
  }

  @Test func importIsBitIdenticalToTransformers() throws {
    try #require(Self.fetched, "scripts/fetch-models.sh could not fetch the model")
    let folder = temporary.appendingPathComponent("smollm2").path
    let summary = try GGUFImporter.importModel(from: Self.gguf, to: folder)
    let facts = try jsonObject(Fixtures.path("gguf/real_smollm2.json"))
    let digests = facts["tensors"] as! [String: [String: Any]]
    #expect(summary.tensorCount == 272 && digests.count == 272)
    #expect(summary.parameterCount == facts["parameter_count"] as? Int)
    #expect(summary.typeCounts == [.q4_1: 210, .q8_0: 1, .f32: 61])
    let checkpoint = try SafetensorsCheckpoint(path: folder + "/model.safetensors")
    #expect(Set(checkpoint.tensors.map(\.name)) == Set(digests.keys))
    for info in checkpoint.tensors {
      let expected = try #require(digests[info.name])
      #expect(info.shape == expected["shape"] as? [Int], "\(info.name)")
      let digest = try checkpoint.withBytes(of: info.name) { SHA256.hex($0) }
      #expect(digest == expected["sha256"] as? String, "\(info.name)")
    }
    let slices = facts["slices"] as! [String: [String: Any]]
    for (name, slice) in slices {
      let values = try floats(checkpoint, name)
      let columns = checkpoint[name]!.shape[1]
      for (row, first8) in zip(slice["rows"] as! [Int], slice["first8"] as! [[Double]]) {
        #expect(Array(values[(row * columns)..<(row * columns + 8)]) == first8.map { Float($0) }, "\(name) row \(row)")
      }
    }
    let config = try jsonObject(folder + "/config.json")
    #expect(config["tie_word_embeddings"] as? Bool == true && config["num_key_value_heads"] as? Int == 3)
    let tokenizer = try jsonObject(folder + "/tokenizer_config.json")
    #expect(tokenizer["eos_token"] as? String == "<|im_end|>" && tokenizer["bos_token"] as? String == "<|im_start|>")
  }
}
