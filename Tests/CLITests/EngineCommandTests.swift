import CompressionTestSupport
import Foundation
import ModelCompression
import Testing

/// `import`, `eval`, `embed` and `calibrate` on the tiny LLaMA GGUF fixture, and their errors.
@Suite final class EngineCommandTests {
  let folder = Fixtures.temporaryDirectory("engine-cli")

  deinit { try? FileManager.default.removeItem(at: folder) }

  func importTinyLlama() throws -> String {
    let output = folder.appendingPathComponent("tiny").path
    let run = try CommandRunner.run(["import", Fixtures.path("gguf/tiny_llama.gguf"), "-o", output])
    #expect(run.status == 0, "\(run.standardError)")
    return output
  }

  func write(_ text: String, _ name: String) throws -> String {
    let path = folder.appendingPathComponent(name).path
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
  }

  static let text = String(repeating: "to be or not to be, that is the question 1234. ", count: 40)

  @Test func importEvalAndCalibrate() throws {
    let model = try importTinyLlama()
    for name in ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"] {
      #expect(FileManager.default.fileExists(atPath: model + "/" + name), "\(name)")
    }
    let data = try write(Self.text, "text.txt")
    let eval = try CommandRunner.run(["eval", model, "--data", data, "--context", "32", "--json"])
    #expect(eval.status == 0, "\(eval.standardError)")
    let result = try JSONSerialization.jsonObject(with: Data(eval.standardOutput.utf8)) as! [String: Any]
    #expect(result["metric"] as? String == "perplexity")
    #expect((result["value"] as? Double).map { $0 > 1 && $0.isFinite } == true)
    // Perplexity counts context − 1 predictions per window.
    #expect((result["tokens"] as! Int) % 31 == 0)

    let hessians = folder.appendingPathComponent("h.safetensors").path
    let calibrate = try CommandRunner.run([
      "calibrate", model, "--calibration", data, "--samples", "4", "--seq-len", "16", "-o", hessians, "--quiet",
    ])
    #expect(calibrate.status == 0, "\(calibrate.standardError)")
    let file = try SafetensorsFile(path: hessians)
    #expect(file.header.tensors.count == 14)  // 2 blocks × 7 linears
    #expect(file.header.metadata?["samples"] == "4" && file.header.metadata?["tokens"] == "64")
    #expect(file.header.tensors.allSatisfy { $0.shape.count == 2 && $0.shape[0] == $0.shape[1] })
  }

  @Test func quantizedCheckpointsRunDirectly() throws {
    let model = try importTinyLlama()
    let quantized = folder.appendingPathComponent("tiny-rtn8").path
    let rtn = try CommandRunner.run([model, "--pass", "rtn:bits=8,group-size=32", "-o", quantized, "--quiet"])
    #expect(rtn.status == 0, "\(rtn.standardError)")
    let data = try write(Self.text, "text.txt")
    func perplexity(_ path: String) throws -> Double {
      let run = try CommandRunner.run(["eval", path, "--data", data, "--context", "32", "--json"])
      #expect(run.status == 0, "\(run.standardError)")
      let object = try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as! [String: Any]
      return object["value"] as! Double
    }
    let dense = try perplexity(model)
    let eightBit = try perplexity(quantized)
    #expect(abs(eightBit - dense) / dense < 0.05, "8-bit perplexity \(eightBit) vs dense \(dense)")
  }

  @Test(arguments: [
    ("empty", "   \n", ["--context", "32"], "is empty"),
    ("short", "to be", ["--context", "32"], "do not fill one window of --context 32"),
    ("long context", "x", ["--context", "100000"], "must lie in 2..."),
  ])
  func badEvaluationInput(label: String, text: String, options: [String], message: String) throws {
    let model = try importTinyLlama()
    let data = try write(text, "\(label).txt")
    let run = try CommandRunner.run(["eval", model, "--data", data] + options)
    #expect(run.status == 1, "\(label): \(run.standardError)")
    #expect(run.standardError.hasPrefix("error: ") && run.standardError.contains(message), "\(run.standardError)")
  }

  @Test func corruptGGUFIsRefusedWithNothingLeftBehind() throws {
    var bytes = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("gguf/tiny_llama.gguf")))
    bytes = bytes.prefix(bytes.count / 2)
    let input = folder.appendingPathComponent("cut.gguf")
    try bytes.write(to: input)
    let output = folder.appendingPathComponent("out").path
    let run = try CommandRunner.run(["import", input.path, "-o", output])
    #expect(run.status == 1, "\(run.standardError)")
    #expect(run.standardError.hasPrefix("error: ") && run.standardError.contains("cut.gguf"), "\(run.standardError)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["cut.gguf"])
  }
}
