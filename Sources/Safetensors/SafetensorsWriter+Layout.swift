/// One file the writer produced.
public struct WrittenFile: Sendable, Equatable {
  /// Where the file now is.
  public let path: String
  /// Its size on disk (compressed size for `.zst`).
  public let byteCount: Int

  /// Creates a record of a written file.
  public init(path: String, byteCount: Int) {
    self.path = path
    self.byteCount = byteCount
  }
}

/// A tensor added to the writer: its entry and where its bytes sit in the spool file.
struct SpooledTensor {
  let name: String
  let dtype: DType
  let shape: [Int]
  let spoolOffset: Int
  let byteCount: Int
}

/// The deterministic layout decisions of the writer: data order, shards, header and index text.
enum WriterLayout {
  /// Data order: dtype size descending, then name (bytewise), so every tensor is naturally
  /// aligned once the data section starts at a multiple of 8.
  static func dataOrder(_ tensors: [SpooledTensor]) -> [SpooledTensor] {
    tensors.sorted { a, b in
      if a.dtype.byteSize != b.dtype.byteSize { return a.dtype.byteSize > b.dtype.byteSize }
      return a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
    }
  }

  /// Splits tensors (in data order) greedily into shards of at most `maxSize` data bytes; a
  /// single larger tensor gets a shard of its own. Always at least one shard.
  static func shards(_ ordered: [SpooledTensor], maxSize: Int?) -> [[SpooledTensor]] {
    guard let maxSize else { return [ordered] }
    var shards: [[SpooledTensor]] = [[]]
    var size = 0
    for tensor in ordered {
      if !shards[shards.count - 1].isEmpty && size + tensor.byteCount > maxSize {
        shards.append([])
        size = 0
      }
      shards[shards.count - 1].append(tensor)
      size += tensor.byteCount
    }
    return shards
  }

  /// `8 + N` header bytes for `tensors` laid out in the given order: compact JSON with
  /// `__metadata__` first and entries sorted by name, padded with spaces to a multiple of 8.
  static func headerBytes(_ tensors: [SpooledTensor], metadata: [String: String]?) -> [UInt8] {
    var offsets: [String: Range<Int>] = [:]
    var position = 0
    for tensor in tensors {
      offsets[tensor.name] = position..<(position + tensor.byteCount)
      position += tensor.byteCount
    }
    var members: [String] = []
    if let metadata {
      let pairs = sortedKeys(metadata).map { quoted($0) + ":" + quoted(metadata[$0]!) }
      members.append(quoted("__metadata__") + ":{" + pairs.joined(separator: ",") + "}")
    }
    for tensor in tensors.sorted(by: { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }) {
      let range = offsets[tensor.name]!
      let shape = tensor.shape.map(String.init).joined(separator: ",")
      members.append(
        quoted(tensor.name) + ":{\"dtype\":" + quoted(tensor.dtype.rawValue) + ",\"shape\":[" + shape
          + "],\"data_offsets\":[\(range.lowerBound),\(range.upperBound)]}")
    }
    var json = Array(("{" + members.joined(separator: ",") + "}").utf8)
    json += [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8)
    return withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) } + json
  }

  /// The Hugging Face index: `{"metadata": {"total_size": …}, "weight_map": {…}}`, sorted
  /// keys, two-space indentation and a final newline, as `save_pretrained` writes it.
  static func indexBytes(totalSize: Int, weightMap: [String: String]) -> [UInt8] {
    var lines = ["{", "  \"metadata\": {", "    \"total_size\": \(totalSize)", "  },", "  \"weight_map\": {"]
    let names = sortedKeys(weightMap)
    for (i, name) in names.enumerated() {
      lines.append("    " + quoted(name) + ": " + quoted(weightMap[name]!) + (i + 1 < names.count ? "," : ""))
    }
    lines += ["  }", "}"]
    return Array((lines.joined(separator: "\n") + "\n").utf8)
  }

  /// Output names for `count` shards beside `path`: `stem-00001-of-0000N.safetensors[.zst]`,
  /// and the index `stem.safetensors.index.json`.
  static func shardPaths(for path: String, count: Int, zstd: Bool) -> (shards: [String], index: String) {
    let folder = POSIXFile.folderName(path)
    var stem = POSIXFile.baseName(path)
    for suffix in [".zst", ".safetensors"] where stem.hasSuffix(suffix) {
      stem.removeLast(suffix.count)
    }
    let ext = ".safetensors" + (zstd ? ".zst" : "")
    let shards = (1...count).map { folder + "/" + stem + "-\(pad5($0))-of-\(pad5(count))" + ext }
    return (shards, folder + "/" + stem + ".safetensors.index.json")
  }

  private static func pad5(_ n: Int) -> String {
    let digits = String(n)
    return String(repeating: "0", count: max(0, 5 - digits.count)) + digits
  }

  static func sortedKeys(_ map: [String: String]) -> [String] {
    map.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
  }

  /// A JSON string literal; escapes `"`, `\` and control characters, keeps other UTF-8 as is.
  static func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20:
        let hexText = String(scalar.value, radix: 16, uppercase: false)
        out += "\\u" + String(repeating: "0", count: 4 - hexText.count) + hexText
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }
}
