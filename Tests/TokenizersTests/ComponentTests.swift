import CompressionTestSupport
import Foundation
import Testing

@testable import Tokenizers

/// `Fixtures/tokenizers/components.json`: single components and small tokenizers, with what the
/// Python `tokenizers` library does with them.
/// (Read once, never mutated: `nonisolated(unsafe)` only because `Any` is not `Sendable`.)
enum Components {
  nonisolated(unsafe) static let root: [String: Any] = {
    let data = try! Data(contentsOf: URL(fileURLWithPath: Fixtures.path("tokenizers/components.json")))
    return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
  }()

  static func groups(_ key: String) -> [[String: Any]] { root[key] as! [[String: Any]] }

  /// The component's JSON as this module's parser reads it.
  static func node(_ object: Any) -> JSONNode {
    let data = try! JSONSerialization.data(withJSONObject: object)
    return JSONNode(try! JSON.parse([UInt8](data)), path: "component")
  }

  static func describe(_ object: Any) -> String {
    String(decoding: try! JSONSerialization.data(withJSONObject: object, options: .sortedKeys), as: UTF8.self)
  }
}

@Suite struct ComponentTests {
  @Test func normalizers() throws {
    for group in Components.groups("normalizers") {
      let normalizer = try #require(try Normalizer.parse(Components.node(group["json"]!)))
      for case let pair as [String] in group["cases"] as! [Any] {
        #expect(normalizer(pair[0]) == pair[1], "\(Components.describe(group["json"]!)) on \(String(reflecting: pair[0]))")
      }
    }
  }

  @Test func preTokenizers() throws {
    for group in Components.groups("pre_tokenizers") {
      let preTokenizer = try #require(try PreTokenizer.parse(Components.node(group["json"]!)))
      for case let pair as [Any] in group["cases"] as! [Any] {
        let input = pair[0] as! String
        let pieces = preTokenizer([Piece(text: input, byteLevel: false)]).map { $0.materialized().text }
        #expect(pieces == pair[1] as! [String], "\(Components.describe(group["json"]!)) on \(String(reflecting: input))")
      }
    }
  }

  @Test func decoders() throws {
    for group in Components.groups("decoders") {
      let decoder = try #require(try Decoder.parse(Components.node(group["json"]!)))
      for case let pair as [Any] in group["cases"] as! [Any] {
        let tokens = pair[0] as! [String]
        #expect(decoder.decodeChain(tokens).joined() == pair[1] as! String, "\(Components.describe(group["json"]!)) on \(tokens)")
      }
    }
  }

  /// WordPiece unknowns and max_input_chars_per_word, added-token flags (lstrip, rstrip,
  /// single_word, normalized), BPE with a subword prefix, end-of-word suffix, fused unknowns and
  /// legacy "a b" merges, byte fallback; Bert/Roberta/Template post-processors.
  @Test(arguments: ["wordpiece_tokenizer", "added_flags_tokenizer", "bpe_options_tokenizer", "bpe_byte_fallback_tokenizer"])
  func smallTokenizer(name: String) throws {
    let group = try #require(Components.groups("tokenizers").first { $0["name"] as? String == name })
    let tokenizer = try Tokenizer(data: Data((group["json"] as! String).utf8))
    for case let entry as [String: Any] in group["cases"] as! [Any] {
      let text = entry["text"] as! String
      let ids = entry["ids"] as! [Int]
      #expect(tokenizer.encode(text) == ids, "\(String(reflecting: text))")
      #expect(tokenizer.encode(text, addSpecialTokens: false) == entry["ids_no_special"] as! [Int], "\(String(reflecting: text))")
      #expect(tokenizer.decode(ids) == entry["decoded"] as! String, "\(String(reflecting: text))")
      #expect(tokenizer.decode(ids, skipSpecialTokens: false) == entry["decoded_keep_special"] as! String, "\(String(reflecting: text))")
    }
  }
}
