#if canImport(Glibc)
  import Glibc
#endif

/// A parsed `*.safetensors.index.json`: which shard file holds each tensor.
struct ShardIndex {
  /// Index files larger than this are refused (real ones are well under 1 MB).
  static let maxSize = 100_000_000

  /// Tensor name → shard file name, relative to the index's folder.
  let weightMap: [String: String]
  /// The distinct shard names, sorted.
  var shards: [String] { Set(weightMap.values).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } }

  /// Reads and validates the index at `path` (errors are not wrapped with the path).
  static func read(_ path: String) throws(SafetensorsError) -> ShardIndex {
    let fd = try POSIXFile.open(path, O_RDONLY)
    defer { POSIXFile.close(fd) }
    let size = try POSIXFile.regularFileSize(fd, path: path)
    guard size <= maxSize else { throw .indexTooLarge(size: size, limit: maxSize) }
    let bytes = try POSIXFile.readBytes(fd, count: size, at: 0, path: path)
    return try withTypedBytes(bytes) { (json) throws(SafetensorsError) in try parse(json) }
  }

  /// Validates the JSON text of an index.
  static func parse(_ json: UnsafeRawBufferPointer) throws(SafetensorsError) -> ShardIndex {
    let start = try HeaderSchema.validateDocument(json) { offset, _ in
      .invalidJSON(offset: offset, reason: "unexpected text after the JSON value")
    }
    var reader = JSONReader(json, position: start)
    guard reader.current == UInt8(ascii: "{") else { throw .indexNotObject(found: reader.valueText()) }
    var weightMap: [String: String]?
    try reader.readObject { (reader, key) throws(SafetensorsError) in
      switch key {
      case "weight_map": weightMap = try readWeightMap(&reader)
      case "metadata":
        guard reader.current == UInt8(ascii: "{") else {
          throw .indexMetadataNotObject(found: reader.valueText())
        }
        try reader.skipValue(depth: 0, parent: key)
      default: throw .indexUnknownField(field: key)
      }
    }
    guard let weightMap else { throw .indexMissingWeightMap }
    return ShardIndex(weightMap: weightMap)
  }

  private static func readWeightMap(_ reader: inout JSONReader) throws(SafetensorsError) -> [String: String] {
    guard reader.current == UInt8(ascii: "{") else {
      throw .indexWeightMapNotObject(found: reader.valueText())
    }
    var map: [String: String] = [:]
    try reader.readObject { (reader, tensor) throws(SafetensorsError) in
      guard reader.current == UInt8(ascii: "\"") else {
        throw .shardNameNotString(tensor: tensor, found: reader.valueText())
      }
      let shard = try reader.readString()
      let parts = shard.split(separator: "/", omittingEmptySubsequences: false)
      guard !shard.hasPrefix("/"), !parts.contains(".."), !shard.isEmpty else {
        throw .shardOutsideFolder(tensor: tensor, shard: shard)
      }
      map[tensor] = shard
    }
    return map
  }

  /// Checks the shards' headers against the map: no tensor in two shards, none a shard holds
  /// without the map assigning it there, none listed but absent.
  func validate(_ headers: [(shard: String, header: SafetensorsHeader)]) throws(SafetensorsError) {
    var owner: [String: String] = [:]
    for (shard, header) in headers {
      for tensor in header.tensors {
        if let first = owner[tensor.name] {
          throw .tensorInTwoShards(tensor: tensor.name, first: first, second: shard)
        }
        owner[tensor.name] = shard
        guard weightMap[tensor.name] == shard else {
          throw .tensorNotListed(tensor: tensor.name, shard: shard, listed: weightMap[tensor.name])
        }
      }
    }
    for name in weightMap.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    where owner[name] == nil {
      throw .tensorNotInShard(tensor: name, shard: weightMap[name]!)
    }
  }
}
