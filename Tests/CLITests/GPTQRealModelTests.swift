import CompressionTestSupport
import Foundation
import ModelCompression
import Testing

/// The accuracy the `gptq` pass must keep on the real models (issue 4), through the command line:
/// each test quantizes with GPTQ and with round-to-nearest on the same grid and scores both with
/// `compress eval` on held-out text (docs/gptq.md has the larger runs these are cut from).
@Suite(.serialized) final class GPTQRealModelTests: CommandSuite {
  let folder = Fixtures.temporaryDirectory("gptq-real")

  deinit { try? FileManager.default.removeItem(at: folder) }

  static let texts = Fixtures.repositoryRoot.appendingPathComponent(".cache/text/shakespeare")

  /// The lines of a play longer than 25 characters, trimmed.
  static func lines(_ play: String) throws -> [String] {
    try String(contentsOf: texts.appendingPathComponent("\(play)_gut.txt"), encoding: .utf8)
      .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.count > 25 }
  }

  /// all-MiniLM-L6-v2 at 4 bits (group 64, asymmetric, act-order with groups fitted as they come,
  /// not the default static groups: 0.988 with those), calibrated on 512 single lines of four
  /// comedies, keeps the sentence embeddings of 200 held-out sonnet lines within mean cosine 0.99
  /// of the original, well above round-to-nearest on the same grid (measured 0.992 and 0.962 in
  /// docs/gptq.md).
  @Test func miniLM4BitKeepsSentenceEmbeddingsAbove099() throws {
    #expect(RealModelTests.fetched, "scripts/fetch-models.sh could not fetch the models")
    let calibration = try comedyLines(512)
    let held = try heldOutSonnets()

    let scheme = "bits=4,group-size=64,sym=false"
    let eval = ["--data", held.path, "--reference", RealModelTests.miniLM]
    let gptq = try compressAndEvaluate(
      RealModelTests.miniLM, "gptq:\(scheme),act-order=true,static-groups=false",
      ["--calibration", calibration.path, "--samples", "512", "--seq-len", "128"], eval: eval)["mean_cosine"] as! Double
    let rtn = try compressAndEvaluate(RealModelTests.miniLM, "rtn:\(scheme)", [], eval: eval)["mean_cosine"] as! Double
    #expect(gptq >= 0.99, "GPTQ mean cosine \(gptq)")
    #expect(gptq > rtn + 0.01, "GPTQ \(gptq) against RTN \(rtn)")
  }

  /// SmolLM2-135M at 3 bits (group 128, asymmetric), calibrated on 16 × 256 tokens of two
  /// comedies: perplexity on Julius Caesar well below round-to-nearest's (at 32 × 512 tokens
  /// docs/gptq.md measured 82–96 against 151, the dense model 33.7).
  @Test func smolLM3BitIsFarBetterThanRoundToNearest() throws {
    let model = try #require(EngineRealModelTests.folder, "SmolLM2 could not be fetched and imported")
    let calibration = folder.appendingPathComponent("comedies.txt")
    let text = try ["tempest", "twelfth_night"].map {
      try String(contentsOf: Self.texts.appendingPathComponent("\($0)_gut.txt"), encoding: .utf8)
    }.joined(separator: "\n")
    try text.write(to: calibration, atomically: true, encoding: .utf8)
    let eval = ["--data", Self.texts.appendingPathComponent("julius_caesar_gut.txt").path, "--context", "256", "--max-windows", "8"]
    let scheme = "bits=3,group-size=128,sym=false"
    let gptq = try compressAndEvaluate(
      model, "gptq:\(scheme)", ["--calibration", calibration.path, "--samples", "16", "--seq-len", "256"],
      eval: eval)["value"] as! Double
    let rtn = try compressAndEvaluate(model, "rtn:\(scheme)", [], eval: eval)["value"] as! Double
    #expect(gptq < 0.75 * rtn, "GPTQ perplexity \(gptq) against RTN \(rtn)")
  }
}
