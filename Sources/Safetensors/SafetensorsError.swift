/// Every way a safetensors file, a sharded index or a write can be refused: one case per rule.
///
/// Byte offsets in JSON errors are relative to the JSON text (a header starts at file byte 8).
public indirect enum SafetensorsError: Error, Equatable, Sendable, CustomStringConvertible {
  // MARK: File framing

  /// The file is shorter than the 8-byte header length field.
  case fileTooSmall(size: Int)
  /// The header length field exceeds the 100 MB limit of the reference implementation.
  case headerTooLarge(length: UInt64, limit: Int)
  /// The header length field runs past the end of the file.
  case headerPastEnd(length: UInt64, fileSize: Int)
  /// The header bytes are not valid UTF-8.
  case headerNotUTF8(offset: Int)

  // MARK: JSON syntax

  /// The text is not well-formed JSON (this includes leading garbage).
  case invalidJSON(offset: Int, reason: String)
  /// Arrays and objects nest deeper than the limit.
  case jsonTooDeep(offset: Int, limit: Int)
  /// An object holds the same key twice; `parent` is the enclosing key (`nil`: the top level).
  case duplicateKey(key: String, parent: String?)
  /// Bytes other than whitespace padding follow the header's JSON object.
  case headerTrailingBytes(offset: Int, byte: UInt8)
  /// The header's JSON value is not an object.
  case headerNotObject(found: String)

  // MARK: Tensor entries

  /// A tensor's entry is not a JSON object.
  case entryNotObject(tensor: String, found: String)
  /// A tensor's entry lacks `dtype`, `shape` or `data_offsets`.
  case missingField(tensor: String, field: String)
  /// A tensor's entry has a field other than `dtype`, `shape` and `data_offsets`.
  case unknownField(tensor: String, field: String)
  /// The `dtype` is not one of the format's type names.
  case unknownDType(tensor: String, dtype: String)
  /// The `shape` is not an array of integers.
  case invalidShape(tensor: String, found: String)
  /// The `data_offsets` are not an array of exactly two integers.
  case invalidDataOffsets(tensor: String, found: String)
  /// A number in `shape` or `data_offsets` is negative.
  case negativeNumber(tensor: String, field: String, literal: String)
  /// A number in `shape` or `data_offsets` has a fraction or an exponent.
  case fractionalNumber(tensor: String, field: String, literal: String)
  /// A number in `shape` or `data_offsets` does not fit in `Int`.
  case numberTooLarge(tensor: String, field: String, literal: String)
  /// `data_offsets` begin after they end.
  case offsetsReversed(tensor: String, begin: Int, end: Int)
  /// The element count or byte count of `shape × dtype` overflows `Int`.
  case sizeOverflow(tensor: String, dtype: DType, shape: [Int])
  /// The byte range does not hold exactly `shape × dtype` bytes.
  case sizeMismatch(tensor: String, dtype: DType, shape: [Int], begin: Int, end: Int, needed: Int)

  // MARK: Data layout

  /// A tensor's data ends past the end of the data section.
  case offsetsPastEnd(tensor: String, end: Int, dataSize: Int)
  /// The first tensor's data does not begin at offset 0 of the data section.
  case dataNotAtZero(tensor: String, begin: Int)
  /// A tensor's data begins before the previous tensor's data ends.
  case overlap(tensor: String, begin: Int, previous: String, previousEnd: Int)
  /// Unused bytes lie between two tensors.
  case gap(tensor: String, begin: Int, previous: String, previousEnd: Int)
  /// Bytes after the last tensor: the data section is not fully covered.
  case trailingData(covered: Int, dataSize: Int)

  // MARK: Metadata

  /// `__metadata__` is not a JSON object.
  case metadataNotObject(found: String)
  /// A `__metadata__` value is not a string.
  case metadataValueNotString(key: String, found: String)

  // MARK: Files, lookups and compression

  /// Wraps an error with the path of the file it concerns.
  case file(path: String, SafetensorsError)
  /// A system call failed; `reason` names the call and the errno text.
  case io(path: String, reason: String)
  /// A lookup named a tensor that is not in the file or checkpoint.
  case missingTensor(name: String)
  /// The zstd stream is corrupt or truncated.
  case zstd(reason: String)

  // MARK: Writer

  /// The writer was given the same tensor name twice.
  case duplicateTensor(name: String)
  /// The name `__metadata__` is reserved for the metadata map.
  case reservedName(name: String)
  /// The writer was given a byte count that is not `shape × dtype`.
  case byteCountMismatch(tensor: String, dtype: DType, shape: [Int], expected: Int, actual: Int)

  // MARK: Sharded checkpoints

  /// The index file exceeds the size limit.
  case indexTooLarge(size: Int, limit: Int)
  /// The index's JSON value is not an object.
  case indexNotObject(found: String)
  /// The index has no `weight_map`.
  case indexMissingWeightMap
  /// The index has a top-level field other than `metadata` and `weight_map`.
  case indexUnknownField(field: String)
  /// `weight_map` is not an object.
  case indexWeightMapNotObject(found: String)
  /// The index's `metadata` is not an object.
  case indexMetadataNotObject(found: String)
  /// A `weight_map` value is not a string.
  case shardNameNotString(tensor: String, found: String)
  /// A shard path is absolute or leaves the index's folder.
  case shardOutsideFolder(tensor: String, shard: String)
  /// A shard file named in `weight_map` does not exist.
  case shardNotFound(shard: String)
  /// A tensor listed in `weight_map` is absent from its shard.
  case tensorNotInShard(tensor: String, shard: String)
  /// The same tensor is stored in two shards.
  case tensorInTwoShards(tensor: String, first: String, second: String)
  /// A shard holds a tensor that `weight_map` does not assign to it (`listed`: where it points).
  case tensorNotListed(tensor: String, shard: String, listed: String?)
  /// A folder holds neither `model.safetensors.index.json` nor `model.safetensors[.zst]`.
  case noCheckpointInFolder(path: String)

  /// Wraps `self` with a file path unless it already carries that path.
  func inFile(_ path: String) -> SafetensorsError {
    if case .file(let existing, _) = self, existing == path { return self }
    return .file(path: path, self)
  }
}
