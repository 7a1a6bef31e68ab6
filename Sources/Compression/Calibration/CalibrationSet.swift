import Foundation
import Safetensors

/// The token sequences a data-aware pass runs through the model, in a fixed order.
///
/// Built from a text file (random windows of `sequenceLength` tokens from the whole text,
/// tokenized once, as the GPTQ reference samples C4/WikiText), a JSONL file of `{"text": …}`
/// records (each record one sample, cut to `sequenceLength`), or a safetensors file holding
/// `input_ids` [N, L] (used as is).
public struct CalibrationSet: Sendable, Equatable {
  /// The samples, each at most `sequenceLength` token ids.
  public var samples: [[Int]]

  public init(samples: [[Int]]) {
    self.samples = samples
  }

  /// The number of tokens over all samples.
  public var tokenCount: Int { samples.reduce(0) { $0 + $1.count } }

  /// How to cut calibration data into samples.
  public struct Options: Sendable, Equatable {
    public var samples: Int
    public var sequenceLength: Int
    public var seed: UInt64

    public init(samples: Int = 128, sequenceLength: Int = 512, seed: UInt64 = 0) {
      self.samples = samples
      self.sequenceLength = sequenceLength
      self.seed = seed
    }
  }

  /// Loads calibration data from `path`, choosing the format by extension (`.jsonl`,
  /// `.safetensors`, anything else is text).
  ///
  /// - Parameters:
  ///   - tokenize: turns text into token ids (without special tokens).
  ///   - vocabularySize: ids must lie in `0..<vocabularySize`.
  ///   - wrapping: the special tokens the model's tokenizer puts around every text (BERT's
  ///     `[CLS]` … `[SEP]`; none for SmolLM2): text samples are wrapped the same way, within
  ///     `sequenceLength`, so calibration sees the activations those tokens cause.
  public static func load(
    path: String, options: Options, vocabularySize: Int, tokenize: (String) -> [Int],
    wrapping: SpecialTokenWrapping = .init()
  ) throws(CompressionError) -> CalibrationSet {
    var set: CalibrationSet
    if path.hasSuffix(".safetensors") {
      set = try tokenIDs(path: path, options: options)
    } else {
      let text = try readText(path)
      var inner = options
      inner.sequenceLength -= wrapping.prefix.count + wrapping.suffix.count
      guard inner.sequenceLength >= 1 else {
        throw .invalidCalibration(path: path, reason: "--seq-len \(options.sequenceLength) leaves no room beside the special tokens")
      }
      if path.hasSuffix(".jsonl") {
        set = try jsonLines(text, path: path, options: inner, tokenize: tokenize)
      } else {
        set = try windows(of: tokenize(text), path: path, options: inner)
      }
      set.samples = set.samples.map { wrapping.prefix + $0 + wrapping.suffix }
    }
    for (index, sample) in set.samples.enumerated() {
      if let bad = sample.first(where: { $0 < 0 || $0 >= vocabularySize }) {
        throw .invalidCalibration(
          path: path, reason: "sample \(index) holds token id \(bad), outside the vocabulary 0..<\(vocabularySize)")
      }
    }
    return set
  }

  /// `options.samples` windows of `options.sequenceLength` tokens at seeded random offsets.
  public static func windows(of tokens: [Int], path: String, options: Options) throws(CompressionError)
    -> CalibrationSet
  {
    let length = options.sequenceLength
    guard tokens.count > length else {
      throw .invalidCalibration(
        path: path, reason: "\(tokens.count) tokens cannot give windows of --seq-len \(length); give more text or a shorter --seq-len")
    }
    var generator = SplitMix64(seed: options.seed)
    let samples = (0..<options.samples).map { _ in
      let start = Int.random(in: 0..<(tokens.count - length), using: &generator)
      return Array(tokens[start..<(start + length)])
    }
    return CalibrationSet(samples: samples)
  }

  private static func readText(_ path: String) throws(CompressionError) -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw .invalidCalibration(path: path, reason: "cannot be read")
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw .invalidCalibration(path: path, reason: "is not UTF-8 text")
    }
    guard !text.allSatisfy(\.isWhitespace) else {
      throw .invalidCalibration(path: path, reason: "is empty")
    }
    return text
  }

  private static func jsonLines(
    _ text: String, path: String, options: Options, tokenize: (String) -> [Int]
  ) throws(CompressionError) -> CalibrationSet {
    var samples: [[Int]] = []
    for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
    where !line.allSatisfy(\.isWhitespace) {
      guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
        let record = object["text"] as? String
      else {
        throw .invalidCalibration(path: path, reason: "line \(number + 1) is not a JSON object with a \"text\" string")
      }
      let ids = tokenize(record)
      if !ids.isEmpty { samples.append(Array(ids.prefix(options.sequenceLength))) }
      if samples.count == options.samples { break }
    }
    guard !samples.isEmpty else { throw .invalidCalibration(path: path, reason: "holds no text") }
    return CalibrationSet(samples: samples)
  }

  private static func tokenIDs(path: String, options: Options) throws(CompressionError) -> CalibrationSet {
    let file = try withSafetensorsErrors { () throws(SafetensorsError) in try SafetensorsFile(path: path) }
    guard let info = file.header["input_ids"], info.shape.count == 2,
      [.i64, .i32].contains(info.dtype)
    else {
      throw .invalidCalibration(path: path, reason: "expected a tensor `input_ids` of I64 or I32 [N, L]")
    }
    let ids: [Int] = file.withBytes(of: info) { bytes in
      info.dtype == .i64
        ? [Int64](littleEndianBytes: bytes).map { Int($0) } : [Int32](littleEndianBytes: bytes).map { Int($0) }
    }
    let length = info.shape[1]
    guard length > 0 else { throw .invalidCalibration(path: path, reason: "`input_ids` has no columns") }
    let rows = min(info.shape[0], options.samples)
    return CalibrationSet(samples: (0..<rows).map { Array(ids[($0 * length)..<(($0 + 1) * length)]) })
  }
}

/// The special tokens a tokenizer adds before and after every text.
public struct SpecialTokenWrapping: Sendable, Equatable {
  public var prefix: [Int]
  public var suffix: [Int]

  public init(prefix: [Int] = [], suffix: [Int] = []) {
    self.prefix = prefix
    self.suffix = suffix
  }

  /// Finds the wrapping by encoding a one-word text with and without special tokens.
  public init(encodeWithSpecialTokens: (String) -> [Int], encodePlain: (String) -> [Int]) {
    let plain = encodePlain("hello")
    let wrapped = encodeWithSpecialTokens("hello")
    guard !plain.isEmpty, let start = (0...max(0, wrapped.count - plain.count)).first(where: {
      Array(wrapped[$0..<min(wrapped.count, $0 + plain.count)]) == plain
    }) else {
      self.init()
      return
    }
    self.init(prefix: Array(wrapped[..<start]), suffix: Array(wrapped[(start + plain.count)...]))
  }
}

/// SplitMix64: a small, fixed, portable generator, so calibration windows are the same on every
/// platform and Swift version for a given seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  private var state: UInt64

  public init(seed: UInt64) { state = seed }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
