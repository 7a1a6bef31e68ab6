extension SafetensorsError {
  /// A one-line message naming the tensor or file and the numbers.
  public var description: String {
    if let message = framingDescription ?? entryDescription ?? layoutDescription {
      return message
    }
    return otherDescription
  }

  private var framingDescription: String? {
    switch self {
    case .fileTooSmall(let size):
      "file is \(size) bytes, shorter than the 8-byte header length field"
    case .headerTooLarge(let length, let limit):
      "header length \(length) exceeds the limit of \(limit) bytes"
    case .headerPastEnd(let length, let fileSize):
      "header length \(length) runs past the end of the \(fileSize)-byte file"
    case .headerNotUTF8(let offset):
      "JSON text is not UTF-8: invalid byte at offset \(offset)"
    case .invalidJSON(let offset, let reason):
      "invalid JSON at byte \(offset): \(reason)"
    case .jsonTooDeep(let offset, let limit):
      "JSON nests deeper than \(limit) levels at byte \(offset)"
    case .duplicateKey(let key, let parent):
      "duplicate key `\(key)` in " + (parent.map { "`\($0)`" } ?? "the top-level object")
    case .headerTrailingBytes(let offset, let byte):
      "header has byte \(hex(byte)) at offset \(offset) after its JSON object; only whitespace may pad it"
    case .headerNotObject(let found):
      "header is \(found), not a JSON object"
    default: nil
    }
  }

  private var entryDescription: String? {
    switch self {
    case .entryNotObject(let tensor, let found):
      "tensor `\(tensor)`: entry is \(found), not an object"
    case .missingField(let tensor, let field):
      "tensor `\(tensor)`: missing field `\(field)`"
    case .unknownField(let tensor, let field):
      "tensor `\(tensor)`: unknown field `\(field)`"
    case .unknownDType(let tensor, let dtype):
      "tensor `\(tensor)`: unknown dtype \(dtype)"
    case .invalidShape(let tensor, let found):
      "tensor `\(tensor)`: shape \(found) is not an array of non-negative integers"
    case .invalidDataOffsets(let tensor, let found):
      "tensor `\(tensor)`: data_offsets \(found) are not two non-negative integers"
    case .negativeNumber(let tensor, let field, let literal):
      "tensor `\(tensor)`: \(field) holds the negative number \(literal)"
    case .fractionalNumber(let tensor, let field, let literal):
      "tensor `\(tensor)`: \(field) holds \(literal), which is not an integer"
    case .numberTooLarge(let tensor, let field, let literal):
      "tensor `\(tensor)`: \(field) holds \(literal), which exceeds \(Int.max)"
    case .offsetsReversed(let tensor, let begin, let end):
      "tensor `\(tensor)`: data_offsets [\(begin), \(end)) begin after they end"
    case .sizeOverflow(let tensor, let dtype, let shape):
      "tensor `\(tensor)`: the size of \(dtype.rawValue) \(shape) overflows"
    case .sizeMismatch(let tensor, let dtype, let shape, let begin, let end, let needed):
      "tensor `\(tensor)`: data_offsets [\(begin), \(end)) hold \(end - begin) bytes "
        + "but \(dtype.rawValue) \(shape) needs \(needed)"
    default: nil
    }
  }

  private var layoutDescription: String? {
    switch self {
    case .offsetsPastEnd(let tensor, let end, let dataSize):
      "tensor `\(tensor)`: data ends at \(end), past the end of the \(dataSize)-byte data section"
    case .dataNotAtZero(let tensor, let begin):
      "tensor `\(tensor)`: the first tensor's data begins at \(begin), not 0"
    case .overlap(let tensor, let begin, let previous, let previousEnd):
      "tensor `\(tensor)`: data begins at \(begin), inside `\(previous)` which ends at \(previousEnd)"
    case .gap(let tensor, let begin, let previous, let previousEnd):
      "tensor `\(tensor)`: data begins at \(begin), leaving a hole after `\(previous)` which ends at \(previousEnd)"
    case .trailingData(let covered, let dataSize):
      "tensors cover \(covered) bytes of the \(dataSize)-byte data section"
    case .metadataNotObject(let found):
      "__metadata__ is \(found), not an object of strings"
    case .metadataValueNotString(let key, let found):
      "__metadata__ `\(key)` is \(found), not a string"
    default: nil
    }
  }

  private var otherDescription: String {
    switch self {
    case .file(let path, .io(let ioPath, let reason)) where ioPath == path: "\(path): \(reason)"
    case .file(let path, let inner): "\(path): \(inner)"
    case .io(let path, let reason): "\(path): \(reason)"
    case .missingTensor(let name): "no tensor named `\(name)`"
    case .zstd(let reason): "zstd: \(reason)"
    case .duplicateTensor(let name): "tensor `\(name)` was added twice"
    case .reservedName(let name): "tensor name `\(name)` is reserved"
    case .byteCountMismatch(let tensor, let dtype, let shape, let expected, let actual):
      "tensor `\(tensor)`: \(dtype.rawValue) \(shape) needs \(expected) bytes but \(actual) were given"
    case .indexTooLarge(let size, let limit):
      "index is \(size) bytes, over the limit of \(limit)"
    case .indexNotObject(let found): "index is \(found), not a JSON object"
    case .indexMissingWeightMap: "index has no `weight_map`"
    case .indexUnknownField(let field): "index has unknown field `\(field)`"
    case .indexWeightMapNotObject(let found): "index `weight_map` is \(found), not an object"
    case .indexMetadataNotObject(let found): "index `metadata` is \(found), not an object"
    case .shardNameNotString(let tensor, let found):
      "tensor `\(tensor)`: weight_map value \(found) is not a string"
    case .shardOutsideFolder(let tensor, let shard):
      "tensor `\(tensor)`: shard `\(shard)` is outside the index's folder"
    case .shardNotFound(let shard): "shard `\(shard)` does not exist"
    case .tensorNotInShard(let tensor, let shard):
      "tensor `\(tensor)` is listed in weight_map but absent from shard `\(shard)`"
    case .tensorInTwoShards(let tensor, let first, let second):
      "tensor `\(tensor)` is stored in both `\(first)` and `\(second)`"
    case .tensorNotListed(let tensor, let shard, let listed):
      "tensor `\(tensor)` in shard `\(shard)` is "
        + (listed.map { "assigned to `\($0)` by weight_map" } ?? "not listed in weight_map")
    case .noCheckpointInFolder(let path):
      "folder `\(path)` has no model.safetensors.index.json, model.safetensors or model.safetensors.zst"
    default: "unknown safetensors error"
    }
  }
}

/// `0xAB` spelling of a byte.
func hex(_ byte: UInt8) -> String {
  let digits = Array("0123456789ABCDEF")
  return "0x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 15)])
}
