// Speed check: SmolLM2's tokenizer over the six Shakespeare comedies, each file encoded as one
// string without special tokens. Build and run from the repository root:
//   swiftc -O -parse-as-library -module-name Tokenizers Sources/Tokenizers/*.swift \
//     Fixtures/tokenizers/benchmark/main.swift -o /tmp/tokenizer-benchmark
//   /tmp/tokenizer-benchmark .cache/text/shakespeare
import Foundation

@main
enum Benchmark {
  static let comedies = [
    "tempest", "twelfth_night", "midsummer_nights_dream", "merchant_of_venice", "as_you_like_it",
    "much_ado_about_nothing",
  ]

  static func main() throws {
    let arguments = CommandLine.arguments
    let textFolder = arguments.count > 1 ? arguments[1] : ".cache/text/shakespeare"
    let texts = try comedies.map {
      try String(contentsOfFile: "\(textFolder)/\($0)_gut.txt", encoding: .utf8)
    }
    let bytes = texts.reduce(0) { $0 + $1.utf8.count }
    var start = Date()
    let tokenizer = try Tokenizer.load(folder: "Fixtures/tokenizers/SmolLM2-135M-Instruct")
    print(String(format: "load: %.3f s", Date().timeIntervalSince(start)))
    for round in 1...3 {
      start = Date()
      var count = 0
      for text in texts { count += tokenizer.encode(text, addSpecialTokens: false).count }
      let seconds = Date().timeIntervalSince(start)
      print(String(format: "round %d: %d bytes -> %d tokens in %.3f s", round, bytes, count, seconds))
    }
  }
}
