import CompressionTestSupport
import Foundation
import Testing
import Tokenizers

/// The golden file written by `Fixtures/tokenizers/make_fixtures.py` (Python `tokenizers`).
struct Golden: Decodable {
  struct Entry: Decodable {
    var ids: [Int]
    var idsNoSpecial: [Int]
    var decoded: String
    var decodedKeepSpecial: String

    enum CodingKeys: String, CodingKey {
      case ids
      case idsNoSpecial = "ids_no_special"
      case decoded
      case decodedKeepSpecial = "decoded_keep_special"
    }
  }

  struct PerTokenizer: Decodable {
    var vocabularySize: Int
    var specialTokenIDs: [Int]
    var entries: [Entry]

    enum CodingKeys: String, CodingKey {
      case vocabularySize = "vocabulary_size"
      case specialTokenIDs = "special_token_ids"
      case entries
    }
  }

  var texts: [String]
  var miniLM: PerTokenizer
  var smolLM2: PerTokenizer

  enum CodingKeys: String, CodingKey {
    case texts
    case miniLM = "all-MiniLM-L6-v2"
    case smolLM2 = "SmolLM2-135M-Instruct"
  }

  static let shared: Golden = {
    let data = try! Data(contentsOf: URL(fileURLWithPath: Fixtures.path("tokenizers/golden.json")))
    return try! JSONDecoder().decode(Golden.self, from: data)
  }()
}

/// The two committed tokenizers, loaded once.
enum Tokenizers {
  static let miniLM = try! Tokenizer.load(folder: Fixtures.path("tokenizers/all-MiniLM-L6-v2"))
  static let smolLM2 = try! Tokenizer.load(folder: Fixtures.path("tokenizers/SmolLM2-135M-Instruct"))
}

/// Lists the texts where `actual` differs from `expected` (at most `limit`), or `nil`.
func mismatches<T: Equatable>(
  _ texts: [String], limit: Int = 8, _ body: (Int, String) -> (actual: T, expected: T)
) -> String? {
  var lines: [String] = []
  var count = 0
  for (index, text) in texts.enumerated() {
    let (actual, expected) = body(index, text)
    if actual != expected {
      count += 1
      if lines.count < limit {
        lines.append("#\(index) \(String(reflecting: String(text.prefix(60)))): got \(actual), expected \(expected)")
      }
    }
  }
  return count == 0 ? nil : "\(count) of \(texts.count) differ:\n" + lines.joined(separator: "\n")
}

@Suite struct GoldenTests {
  let golden = Golden.shared

  @Test(arguments: [true, false])
  func miniLMIDs(addSpecialTokens: Bool) {
    let entries = golden.miniLM.entries
    let report = mismatches(golden.texts) { index, text in
      (Tokenizers.miniLM.encode(text, addSpecialTokens: addSpecialTokens),
       addSpecialTokens ? entries[index].ids : entries[index].idsNoSpecial)
    }
    #expect(report == nil, "\(report ?? "")")
  }

  @Test(arguments: [true, false])
  func smolLM2IDs(addSpecialTokens: Bool) {
    let entries = golden.smolLM2.entries
    let report = mismatches(golden.texts) { index, text in
      (Tokenizers.smolLM2.encode(text, addSpecialTokens: addSpecialTokens),
       addSpecialTokens ? entries[index].ids : entries[index].idsNoSpecial)
    }
    #expect(report == nil, "\(report ?? "")")
  }

  @Test(arguments: [true, false])
  func decodedStrings(skipSpecialTokens: Bool) {
    for (tokenizer, perTokenizer) in [(Tokenizers.miniLM, golden.miniLM), (Tokenizers.smolLM2, golden.smolLM2)] {
      let report = mismatches(golden.texts) { index, _ in
        let entry = perTokenizer.entries[index]
        return (tokenizer.decode(entry.ids, skipSpecialTokens: skipSpecialTokens),
                skipSpecialTokens ? entry.decoded : entry.decodedKeepSpecial)
      }
      #expect(report == nil, "\(report ?? "")")
    }
  }

  /// Byte-level BPE loses nothing: decoding the ids gives the text back.
  @Test func byteLevelRoundTrip() {
    let report = mismatches(golden.texts) { _, text in
      (Tokenizers.smolLM2.decode(Tokenizers.smolLM2.encode(text), skipSpecialTokens: false), text)
    }
    #expect(report == nil, "\(report ?? "")")
  }

  @Test func vocabularyAndSpecialTokens() {
    #expect(Tokenizers.miniLM.vocabularySize == golden.miniLM.vocabularySize)
    #expect(Tokenizers.smolLM2.vocabularySize == golden.smolLM2.vocabularySize)
    #expect(Tokenizers.miniLM.specialTokenIDs == Set(golden.miniLM.specialTokenIDs))
    #expect(Tokenizers.smolLM2.specialTokenIDs == Set(golden.smolLM2.specialTokenIDs))
  }
}
