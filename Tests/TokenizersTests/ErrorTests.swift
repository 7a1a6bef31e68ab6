import CompressionTestSupport
import Foundation
import Testing
import Tokenizers

/// A small valid tokenizer.json with `replacing` spliced over its parts.
func tinyJSON(_ parts: [String: String] = [:]) -> String {
  var fields: [String: String] = [
    "added_tokens": #"[{"id":0,"content":"[UNK]","special":true}]"#,
    "normalizer": "null", "pre_tokenizer": "null", "post_processor": "null", "decoder": "null",
    "model": #"{"type":"BPE","unk_token":"[UNK]","vocab":{"[UNK]":0,"a":1,"b":2,"ab":3},"merges":[["a","b"]]}"#,
  ]
  for (key, value) in parts { fields[key] = value }
  return "{" + fields.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
}

func loadError(_ text: String) -> TokenizerError? {
  do {
    _ = try Tokenizer(data: Data(text.utf8))
    return nil
  } catch {
    return error
  }
}

@Suite struct ErrorTests {
  @Test func tinyTokenizerLoads() throws {
    let tokenizer = try Tokenizer(data: Data(tinyJSON().utf8))
    #expect(tokenizer.encode("abba") == [3, 2, 1])  // one word: a b b a → ab b a
    #expect(tokenizer.encode("ab") == [3])
    #expect(tokenizer.encode("abc") == [3, 0])
  }

  /// One case per rule, each with the exact error.
  @Test(arguments: [
    ("{", TokenizerError.invalidJSON(offset: 1, reason: "expected a string key")),
    (#"{"a": tru}"#, .invalidJSON(offset: 6, reason: "unknown literal")),
    ("[]", .wrongType(path: "(root)", expected: "an object", found: "an array")),
    (tinyJSON(["model": "null"]), .missingField(path: "model")),
    (tinyJSON(["model": #"{"type":"BPE","vocab":[],"merges":[]}"#]),
     .wrongType(path: "model.vocab", expected: "an object", found: "an array")),
    (tinyJSON(["model": #"{"type":"BPE","vocab":{"a":-1},"merges":[]}"#]),
     .invalidValue(path: "model.vocab.a", value: "-1.0", reason: "not a non-negative integer")),
    (tinyJSON(["normalizer": #"{"type":"Precompiled"}"#]),
     .unsupportedNormalizer(path: "normalizer.type", type: "Precompiled")),
    (tinyJSON(["pre_tokenizer": #"{"type":"Sequence","pretokenizers":[{"type":"Metaspace"}]}"#]),
     .unsupportedPreTokenizer(path: "pre_tokenizer.pretokenizers[0].type", type: "Metaspace")),
    (tinyJSON(["model": #"{"type":"Unigram","vocab":{}}"#]), .unsupportedModel(path: "model.type", type: "Unigram")),
    (tinyJSON(["post_processor": #"{"type":"Pair"}"#]),
     .unsupportedPostProcessor(path: "post_processor.type", type: "Pair")),
    (tinyJSON(["decoder": #"{"type":"CTC"}"#]), .unsupportedDecoder(path: "decoder.type", type: "CTC")),
    (tinyJSON(["model": #"{"type":"BPE","dropout":0.1,"vocab":{"a":0},"merges":[]}"#]),
     .unsupportedOption(path: "model.dropout", value: "0.1")),
    (tinyJSON(["pre_tokenizer": #"{"type":"Split","pattern":{"String":"-"},"behavior":"Merged","invert":false}"#]),
     .unknownSplitBehavior(path: "pre_tokenizer.behavior", behavior: "Merged")),
    (tinyJSON(["pre_tokenizer": #"{"type":"Split","pattern":{"Regex":"(a"},"behavior":"Isolated"}"#]),
     .invalidRegex(path: "pre_tokenizer.pattern.Regex", pattern: "(a", reason: "")),
    (tinyJSON(["model": #"{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":["a b c"]}"#]),
     .malformedMerge(rank: 0, line: "a b c")),
    (tinyJSON(["model": #"{"type":"BPE","vocab":{"a":0,"b":1},"merges":[["a","b"]]}"#]),
     .mergeTokenNotInVocabulary(rank: 0, token: "ab")),
    (tinyJSON(["model": #"{"type":"WordPiece","unk_token":"[UNK]","vocab":{"a":0}}"#]),
     .unknownTokenNotInVocabulary(path: "model.unk_token", token: "[UNK]")),
    (tinyJSON(["model": #"{"type":"WordPiece","unk_token":"a","vocab":{"a":0,"b":0}}"#]),
     .duplicateVocabularyID(path: "model.vocab", id: 0, tokens: ["a", "b"])),
    (tinyJSON(["post_processor": #"{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"[CLS]","type_id":0}},{"Sequence":{"id":"A","type_id":0}}],"special_tokens":{}}"#]),
     .undefinedSpecialToken(path: "post_processor.single[0].SpecialToken", token: "[CLS]")),
    (tinyJSON(["post_processor": #"{"type":"TemplateProcessing","single":[{"Sequence":{"id":"B","type_id":0}}],"special_tokens":{}}"#]),
     .invalidTemplateSequence(path: "post_processor.single[0]", id: "B")),
  ])
  func refusal(json: String, expected: TokenizerError) {
    let error = loadError(json)
    if case .invalidRegex(let path, let pattern, _) = expected {
      guard case .invalidRegex(path, pattern, _)? = error else {
        Issue.record("got \(String(describing: error)), expected \(expected)")
        return
      }
      return
    }
    #expect(error == expected, "\(json)")
  }

  @Test func unreadableFile() {
    #expect(throws: TokenizerError.self) { try Tokenizer(contentsOf: "/nonexistent/tokenizer.json") }
    do {
      _ = try Tokenizer(contentsOf: "/nonexistent/tokenizer.json")
    } catch {
      guard case .unreadableFile(let path, _) = error else {
        Issue.record("\(error)")
        return
      }
      #expect(path == "/nonexistent/tokenizer.json")
    }
  }

  @Test func configTokenNotInVocabulary() throws {
    let folder = Fixtures.temporaryDirectory("tokenizer-config")
    defer { try? FileManager.default.removeItem(at: folder) }
    try tinyJSON().write(to: folder.appendingPathComponent("tokenizer.json"), atomically: true, encoding: .utf8)
    try #"{"eos_token": {"content": "</s>"}}"#.write(
      to: folder.appendingPathComponent("tokenizer_config.json"), atomically: true, encoding: .utf8)
    #expect(throws: TokenizerError.configTokenNotInVocabulary(field: "eos_token", token: "</s>")) {
      try Tokenizer.load(folder: folder.path)
    }
  }

  /// Every message names the place and the value.
  @Test func messages() {
    #expect(
      TokenizerError.unsupportedNormalizer(path: "normalizer.type", type: "Precompiled").description
        == "unsupported normalizer type Precompiled at normalizer.type")
    #expect(
      TokenizerError.mergeTokenNotInVocabulary(rank: 7, token: "ab").description
        == "merge 7 uses ab, which is not in the vocabulary")
  }
}
