import Foundation

/// A byte-pair-encoding model: a word starts as one symbol per character (or per byte, for
/// byte-level pieces) and the adjacent pair with the lowest merge rank is merged until none is left.
struct BPE: Sendable {
  /// One merge rule: the pair's rank (its line in `merges`) and the id it produces.
  struct Merge: Sendable {
    var rank: Int32
    var newID: Int32
  }

  let vocabulary: Vocabulary
  let merges: [UInt64: Merge]
  let unknownToken: String?
  let continuingSubwordPrefix: String?
  let endOfWordSuffix: String?
  let fuseUnknown: Bool
  let byteFallback: Bool
  let ignoreMerges: Bool
  /// The id of each byte's byte-level character (-1 when the vocabulary lacks it).
  let byteIDs: [Int32]
  let cache = WordCache()

  static func key(_ left: Int32, _ right: Int32) -> UInt64 {
    UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
  }

  init(_ node: JSONNode, vocabulary: Vocabulary) throws(TokenizerError) {
    if let dropout = try node["dropout"].optionalDouble(), dropout != 0 {
      throw .unsupportedOption(path: "\(node.path).dropout", value: "\(dropout)")
    }
    self.vocabulary = vocabulary
    unknownToken = try node["unk_token"].optionalString()
    continuingSubwordPrefix = try node["continuing_subword_prefix"].optionalString()
    endOfWordSuffix = try node["end_of_word_suffix"].optionalString()
    fuseUnknown = try node["fuse_unk"].bool(default: false)
    byteFallback = try node["byte_fallback"].bool(default: false)
    ignoreMerges = try node["ignore_merges"].bool(default: false)
    if let unknownToken, vocabulary[unknownToken] == nil {
      throw .unknownTokenNotInVocabulary(path: "\(node.path).unk_token", token: unknownToken)
    }
    merges = try Self.parseMerges(
      node["merges"], vocabulary: vocabulary, prefixLength: continuingSubwordPrefix?.utf8.count ?? 0)
    byteIDs = ByteLevel.byteToScalar.map { scalar in
      vocabulary[String(scalar)].map { Int32($0) } ?? -1
    }
  }

  private static func parseMerges(
    _ node: JSONNode, vocabulary: Vocabulary, prefixLength: Int
  ) throws(TokenizerError) -> [UInt64: Merge] {
    var merges: [UInt64: Merge] = [:]
    let elements = try node.array()
    merges.reserveCapacity(elements.count)
    var rank = 0
    for element in elements {
      let left: String
      let right: String
      if case .string(let line) = element.value {
        if line.hasPrefix("#version") { continue }
        let parts = line.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw .malformedMerge(rank: rank, line: line) }
        (left, right) = (String(parts[0]), String(parts[1]))
      } else {
        let pair = try element.array()
        guard pair.count == 2 else {
          throw .invalidValue(path: element.path, value: "\(pair.count) elements", reason: "a merge is a pair")
        }
        (left, right) = (try pair[0].string(), try pair[1].string())
      }
      guard let leftID = vocabulary[left] else { throw .mergeTokenNotInVocabulary(rank: rank, token: left) }
      guard let rightID = vocabulary[right] else { throw .mergeTokenNotInVocabulary(rank: rank, token: right) }
      let merged = left + String(decoding: Array(right.utf8).dropFirst(prefixLength), as: UTF8.self)
      guard let newID = vocabulary[merged] else { throw .mergeTokenNotInVocabulary(rank: rank, token: merged) }
      // A repeated pair keeps its last rank, as the Rust hash map does.
      merges[key(Int32(leftID), Int32(rightID))] = Merge(rank: Int32(rank), newID: Int32(newID))
      rank += 1
    }
    return merges
  }

  /// The ids of one piece.
  func tokenize(_ piece: Piece, into output: inout [Int]) {
    if piece.text.isEmpty { return }
    if ignoreMerges, let id = vocabulary[piece.materialized().text] {
      output.append(id)
      return
    }
    if let cached = cache.lookup(piece) {
      output.append(contentsOf: cached)
      return
    }
    var symbols = fastByteLevelSymbols(piece) ?? initialSymbols(piece.materialized().text)
    mergeAll(&symbols)
    let ids = symbols.map { Int($0) }
    cache.store(piece, ids)
    output.append(contentsOf: ids)
  }

  /// One symbol per byte, when the piece is byte level and every byte has a vocabulary entry.
  private func fastByteLevelSymbols(_ piece: Piece) -> [Int32]? {
    guard piece.byteLevel, continuingSubwordPrefix == nil, endOfWordSuffix == nil else { return nil }
    var symbols: [Int32] = []
    symbols.reserveCapacity(piece.text.utf8.count)
    for byte in piece.text.utf8 {
      let id = byteIDs[Int(byte)]
      if id < 0 { return nil }
      symbols.append(id)
    }
    return symbols
  }

  /// `merge_word`'s symbols: one per character, with prefix/suffix, byte fallback and unknowns.
  private func initialSymbols(_ word: String) -> [Int32] {
    var symbols: [Int32] = []
    var pendingUnknown = false
    let scalars = Array(word.unicodeScalars)
    for (index, scalar) in scalars.enumerated() {
      var text = String(scalar)
      if index > 0, let prefix = continuingSubwordPrefix { text = prefix + text }
      if index == scalars.count - 1, let suffix = endOfWordSuffix { text += suffix }
      if let id = vocabulary[text] {
        if pendingUnknown, let unknownToken { symbols.append(Int32(vocabulary[unknownToken]!)) }
        pendingUnknown = false
        symbols.append(Int32(id))
        continue
      }
      if byteFallback {
        let bytes = text.utf8.map { vocabulary[String(format: "<0x%02X>", $0)] }
        if bytes.allSatisfy({ $0 != nil }) {
          symbols.append(contentsOf: bytes.map { Int32($0!) })
          continue
        }
      }
      guard let unknownToken else { continue }
      if pendingUnknown && !fuseUnknown { symbols.append(Int32(vocabulary[unknownToken]!)) }
      pendingUnknown = true
    }
    if pendingUnknown, let unknownToken { symbols.append(Int32(vocabulary[unknownToken]!)) }
    return symbols
  }

  /// Merges the best-ranked adjacent pair until no pair has a merge, with a priority queue over
  /// (rank, position) like the Rust `Word::merge_all`.
  func mergeAll(_ symbols: inout [Int32]) {
    let count = symbols.count
    if count < 2 { return }
    var previous = (0..<count).map { Int32($0) - 1 }
    var next = (0..<count).map { $0 + 1 < count ? Int32($0 + 1) : -1 }
    var alive = [Bool](repeating: true, count: count)
    var queue = MergeQueue()
    for position in 0..<(count - 1) {
      if let merge = merges[Self.key(symbols[position], symbols[position + 1])] {
        queue.push(.init(rank: merge.rank, position: Int32(position), newID: merge.newID))
      }
    }
    while let top = queue.pop() {
      let position = Int(top.position)
      guard alive[position], next[position] >= 0 else { continue }
      let right = Int(next[position])
      guard let merge = merges[Self.key(symbols[position], symbols[right])], merge.newID == top.newID
      else { continue }
      symbols[position] = top.newID
      alive[right] = false
      next[position] = next[right]
      if next[right] >= 0 { previous[Int(next[right])] = Int32(position) }
      if previous[position] >= 0 {
        let left = Int(previous[position])
        if let merge = merges[Self.key(symbols[left], symbols[position])] {
          queue.push(.init(rank: merge.rank, position: Int32(left), newID: merge.newID))
        }
      }
      if next[position] >= 0, let merge = merges[Self.key(symbols[position], symbols[Int(next[position])])] {
        queue.push(.init(rank: merge.rank, position: Int32(position), newID: merge.newID))
      }
    }
    var kept: [Int32] = []
    kept.reserveCapacity(count)
    var index = 0
    while index >= 0 {
      kept.append(symbols[index])
      index = Int(next[index])
    }
    symbols = kept
  }
}

/// A binary min-heap of pending merges, ordered by rank then position.
struct MergeQueue {
  struct Entry {
    var rank: Int32
    var position: Int32
    var newID: Int32

    @inline(__always)
    static func < (a: Entry, b: Entry) -> Bool {
      a.rank != b.rank ? a.rank < b.rank : a.position < b.position
    }
  }

  private var heap: [Entry] = []

  mutating func push(_ entry: Entry) {
    heap.append(entry)
    var child = heap.count - 1
    while child > 0 {
      let parent = (child - 1) / 2
      guard heap[child] < heap[parent] else { break }
      heap.swapAt(child, parent)
      child = parent
    }
  }

  mutating func pop() -> Entry? {
    guard let last = heap.popLast() else { return nil }
    guard !heap.isEmpty else { return last }
    let top = heap[0]
    heap[0] = last
    var parent = 0
    while true {
      let left = 2 * parent + 1
      if left >= heap.count { break }
      var smallest = left
      if left + 1 < heap.count && heap[left + 1] < heap[left] { smallest = left + 1 }
      guard heap[smallest] < heap[parent] else { break }
      heap.swapAt(smallest, parent)
      parent = smallest
    }
    return top
  }
}

/// A bounded, thread-safe cache from a piece to its ids (the Rust BPE keeps 10,000 words).
final class WordCache: @unchecked Sendable {
  static let capacity = 10_000
  /// Longer pieces are not cached (as in Rust).
  static let maximumLength = 256
  private let lock = NSLock()
  private var plain: [ExactString: [Int]] = [:]
  private var byteLevel: [ExactString: [Int]] = [:]

  func lookup(_ piece: Piece) -> [Int]? {
    lock.lock()
    defer { lock.unlock() }
    let key = ExactString(piece.text)
    return piece.byteLevel ? byteLevel[key] : plain[key]
  }

  func store(_ piece: Piece, _ ids: [Int]) {
    guard piece.text.utf8.count < Self.maximumLength else { return }
    lock.lock()
    defer { lock.unlock() }
    let key = ExactString(piece.text)
    if piece.byteLevel {
      if byteLevel.count < Self.capacity { byteLevel[key] = ids }
    } else if plain.count < Self.capacity {
      plain[key] = ids
    }
  }
}
