import CompressionTestSupport
import Foundation
import GGUF
import Safetensors
import Testing

/// The tiny llama of `Fixtures/gguf/make_fixtures.py` (part b) against what transformers' own
/// GGUF loader makes of it.
@Suite final class ImportTests {
  let temporary = Fixtures.temporaryDirectory("gguf-import")
  let source = Fixtures.path("gguf/tiny_llama.gguf")

  deinit { try? FileManager.default.removeItem(at: temporary) }

  func importTiny() throws -> (folder: String, summary: ImportSummary) {
    let folder = temporary.appendingPathComponent("tiny").path
    return (folder, try GGUFImporter.importModel(from: source, to: folder))
  }

  @Test func everyTensorEqualsTransformersBitForBit() throws {
    let (folder, summary) = try importTiny()
    let ours = try SafetensorsCheckpoint(path: folder + "/model.safetensors")
    let theirs = try SafetensorsCheckpoint(path: Fixtures.path("gguf/tiny_expected.safetensors"))
    #expect(ours.tensors.map(\.name) == theirs.tensors.map(\.name))
    #expect(summary.tensorCount == 2 + 1 + 2 * 9)
    #expect(summary.parameterCount == theirs.tensors.reduce(0) { $0 + $1.elementCount })
    #expect(summary.typeCounts == [.q8_0: 9, .q4_1: 5, .f16: 2, .f32: 5])
    #expect(ours.metadata == ["format": "pt"])
    for info in theirs.tensors {
      #expect(ours[info.name]?.shape == info.shape, "\(info.name)")
      #expect(ours[info.name]?.dtype == .f32, "\(info.name)")
      #expect(firstBitDifference(try floats(ours, info.name), try floats(theirs, info.name)) == nil, "\(info.name)")
    }
  }

  @Test func configMatchesTransformers() throws {
    let (folder, _) = try importTiny()
    let config = try jsonObject(folder + "/config.json")
    let facts = try jsonObject(Fixtures.path("gguf/tiny_expected.json"))
    let reference = facts["config"] as! [String: Any]
    for key in [
      "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
      "max_position_embeddings", "vocab_size", "bos_token_id", "eos_token_id", "pad_token_id", "head_dim",
      "tie_word_embeddings", "model_type", "hidden_act",
    ] {
      #expect("\(config[key]!)" == "\(reference[key]!)", "\(key)")
    }
    #expect(Float(config["rms_norm_eps"] as! Double) == Float(reference["rms_norm_eps"] as! Double))
    let rope = reference["rope_parameters"] as! [String: Any]
    #expect(config["rope_theta"] as? Double == rope["rope_theta"] as? Double)
    #expect(config["architectures"] as? [String] == ["LlamaForCausalLM"])
    #expect(config["torch_dtype"] as? String == "float32")
    let generation = try jsonObject(folder + "/generation_config.json")
    #expect(generation["eos_token_id"] as? Int == 2 && generation["bos_token_id"] as? Int == 1)
  }

  /// The tokenizer.json is SmolLM2's layout (Digits then ByteLevel), which is where we
  /// deliberately differ from transformers' converter (plain ByteLevel).
  @Test func tokenizerIsTheSmolLM2Layout() throws {
    let (folder, _) = try importTiny()
    let ours = try jsonObject(folder + "/tokenizer.json") as NSDictionary
    let expected = try jsonObject(Fixtures.path("gguf/tiny_expected_tokenizer.json")) as NSDictionary
    #expect(ours == expected)
    let facts = try jsonObject(Fixtures.path("gguf/tiny_expected.json"))
    let transformers = facts["tokenizer"] as! [String: Any]
    #expect((ours["added_tokens"] as! NSArray) == (transformers["added_tokens"] as! NSArray))
    let model = ours["model"] as! [String: Any]
    #expect((model["vocab"] as! [String: Any]).count == transformers["vocab_size"] as? Int)
    #expect((model["merges"] as! [Any]).count == transformers["merge_count"] as? Int)
  }

  @Test func tokenizerConfigNamesTheSpecialTokens() throws {
    let (folder, _) = try importTiny()
    let config = try jsonObject(folder + "/tokenizer_config.json")
    let facts = (try jsonObject(Fixtures.path("gguf/tiny_expected.json")))["tokenizer"] as! [String: Any]
    for key in ["bos_token", "eos_token", "pad_token", "unk_token"] {
      #expect(config[key] as? String == facts[key] as? String, "\(key)")
    }
    #expect(config["add_bos_token"] as? Bool == false)
    #expect((config["chat_template"] as? String)?.hasPrefix("{% for message in messages %}") == true)
    #expect((config["added_tokens_decoder"] as? [String: Any])?.keys.sorted() == ["0", "1", "2", "299"])
  }

  @Test func refusesANonEmptyDestinationAndLeavesNothingBehind() throws {
    let folder = temporary.appendingPathComponent("occupied")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try Data("x".utf8).write(to: folder.appendingPathComponent("keep.txt"))
    #expect(throws: GGUFError.destinationNotEmpty(path: folder.path)) {
      try GGUFImporter.importModel(from: source, to: folder.path)
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path) == ["occupied"])
  }

  @Test func importsIntoAnEmptyFolder() throws {
    let folder = temporary.appendingPathComponent("empty")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    _ = try GGUFImporter.importModel(from: source, to: folder.path + "/")
    let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    #expect(files == ["config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"])
    #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path) == ["empty"])
  }

  @Test func refusesOtherArchitecturesWithoutWriting() throws {
    let folder = temporary.appendingPathComponent("out").path
    let dequant = Fixtures.path("gguf/dequant.gguf")
    #expect(throws: GGUFError.file(path: dequant, .unsupportedArchitecture("dequant-fixture"))) {
      try GGUFImporter.importModel(from: dequant, to: folder)
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path).isEmpty)
  }
}
