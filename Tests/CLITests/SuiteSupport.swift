import CompressionTestSupport
import Foundation
import ModelCompression
import Testing

/// What the command-line suites share: each has its own temporary `folder`, and builds its inputs
/// and reads its outputs there.
protocol CommandSuite {
  var folder: URL { get }
}

extension CommandSuite {
  /// The tiny LLaMA GGUF fixture imported into `folder/tiny` (once per suite instance).
  func tinyModel() throws -> String {
    let output = folder.appendingPathComponent("tiny").path
    if FileManager.default.fileExists(atPath: output + "/model.safetensors") { return output }
    let run = try CommandRunner.run(["import", Fixtures.path("gguf/tiny_llama.gguf"), "-o", output])
    #expect(run.status == 0, "\(run.standardError)")
    return output
  }

  /// A short calibration text.
  func text() throws -> String {
    let path = folder.appendingPathComponent("calibration.txt").path
    try Data(String(repeating: "Now is the winter of our discontent 1592. ", count: 60).utf8)
      .write(to: URL(fileURLWithPath: path))
    return path
  }

  /// The perplexity `compress eval` gives the model at `path` on the short calibration text
  /// (context 32): a compressed checkpoint against its decompressed twin.
  func perplexity(_ path: String) throws -> Double {
    let eval = try CommandRunner.run(["eval", path, "--data", try text(), "--context", "32", "--json"])
    #expect(eval.status == 0, "\(eval.standardError)")
    return try #require((try JSONSerialization.jsonObject(with: Data(eval.standardOutput.utf8)) as? [String: Any])?["value"] as? Double)
  }

  /// Runs `compress MODEL --pass P… -o folder/NAME` (with the short calibration text unless
  /// `calibrated` is false) and expects success; returns the output path.
  @discardableResult
  func compress(_ model: String, _ passes: [String], _ name: String, calibrated: Bool = true) throws -> String {
    let output = folder.appendingPathComponent(name).path
    let calibration = calibrated ? ["--calibration", try text(), "--samples", "8", "--seq-len", "32"] : []
    let run = try CommandRunner.run([model] + passes.flatMap { ["--pass", $0] } + calibration + ["-o", output, "--quiet"])
    #expect(run.status == 0, "\(run.standardError)")
    return output
  }

  /// The text of two comedies (The Tempest, Twelfth Night) in `folder/comedies.txt`: calibration
  /// text for SmolLM2.
  func twoComedies() throws -> URL {
    let calibration = folder.appendingPathComponent("comedies.txt")
    let text = try ["tempest", "twelfth_night"].map {
      try String(contentsOf: GPTQRealModelTests.texts.appendingPathComponent("\($0)_gut.txt"), encoding: .utf8)
    }.joined(separator: "\n")
    try text.write(to: calibration, atomically: true, encoding: .utf8)
    return calibration
  }

  /// Runs `compress` on the tiny model with `arguments` and expects a refusal naming `message`,
  /// with nothing written at `folder/NAME` or beside it.
  func expectRefused(_ arguments: [String], _ message: String, name: String) throws {
    let output = folder.appendingPathComponent(name).path
    let run = try CommandRunner.run([try tinyModel()] + arguments + ["-o", output, "--quiet"])
    #expect(run.status != 0)
    #expect(run.standardError.contains(message), "\(run.standardError)")
    #expect(!FileManager.default.fileExists(atPath: output) && !FileManager.default.fileExists(atPath: output + ".report.json"))
  }

  /// The report written beside `output`.
  func report(_ output: String) throws -> CompressionReport {
    try CompressionReport.decode(Data(contentsOf: URL(fileURLWithPath: output + ".report.json")))
  }

  /// Runs `compress MODEL --pass PASS -o OUT` and then `eval OUT`; returns eval's JSON object. OUT
  /// is named after the pass (`:` becomes `-`).
  func compressAndEvaluate(_ model: String, _ pass: String, _ options: [String], eval: [String]) throws -> [String: Any] {
    let output = folder.appendingPathComponent(pass.replacingOccurrences(of: ":", with: "-")).path
    let run = try CommandRunner.run([model, "--pass", pass, "-o", output, "--quiet"] + options)
    #expect(run.status == 0, "\(run.standardError)")
    let scored = try CommandRunner.run(["eval", output, "--json"] + eval)
    #expect(scored.status == 0, "\(scored.standardError)")
    return try JSONSerialization.jsonObject(with: Data(scored.standardOutput.utf8)) as! [String: Any]
  }

  /// `count` evenly spaced lines (over 25 characters) of four comedies as JSONL records, the
  /// sentence-sized calibration for all-MiniLM-L6-v2, written to `folder/lines.jsonl`.
  func comedyLines(_ count: Int) throws -> URL {
    let comedies = try ["tempest", "twelfth_night", "midsummer_nights_dream", "as_you_like_it"].flatMap(GPTQRealModelTests.lines)
    let calibration = folder.appendingPathComponent("lines.jsonl")
    let records = stride(from: 0, to: comedies.count, by: comedies.count / count).prefix(count).map { index in
      String(decoding: try! JSONSerialization.data(withJSONObject: ["text": comedies[index]]), as: UTF8.self)
    }
    try records.joined(separator: "\n").write(to: calibration, atomically: true, encoding: .utf8)
    return calibration
  }

  /// The all-MiniLM-L6-v2 protocol of the real-model suites: the calibration options (256 lines of
  /// four comedies, seq-len 128) and the `eval` options (mean cosine to the original model on 200
  /// held-out sonnet lines).
  func miniLMProtocol() throws -> (calibration: [String], eval: [String]) {
    (
      ["--calibration", try comedyLines(256).path, "--samples", "256", "--seq-len", "128"],
      ["--data", try heldOutSonnets().path, "--reference", RealModelTests.miniLM]
    )
  }

  /// 200 held-out sonnet lines, one per line, in `folder/sonnets.txt`.
  func heldOutSonnets() throws -> URL {
    let held = folder.appendingPathComponent("sonnets.txt")
    try GPTQRealModelTests.lines("sonnets")[100..<300].joined(separator: "\n").write(to: held, atomically: true, encoding: .utf8)
    return held
  }
}
