/// The schema pass over a header's JSON text: tensor entries and `__metadata__`.
enum HeaderSchema {
  /// Validates the JSON text and reads its entries (unsorted) and metadata.
  static func parse(
    _ json: UnsafeRawBufferPointer
  ) throws(SafetensorsError) -> (entries: [TensorInfo], metadata: [String: String]?) {
    let start = try validateDocument(json, trailing: { offset, byte in
      .headerTrailingBytes(offset: offset, byte: byte)
    })
    var reader = JSONReader(json, position: start)
    guard reader.current == UInt8(ascii: "{") else {
      throw .headerNotObject(found: reader.valueText())
    }
    var entries: [TensorInfo] = []
    var metadata: [String: String]?
    try reader.readObject { (reader, key) throws(SafetensorsError) in
      if key == "__metadata__" {
        metadata = try readMetadata(&reader)
      } else {
        entries.append(try readEntry(&reader, name: key))
      }
    }
    return (entries, metadata)
  }

  /// Checks UTF-8, the JSON syntax, depth and unique keys, and that only whitespace surrounds
  /// the value; returns the offset where the value begins.
  static func validateDocument(
    _ json: UnsafeRawBufferPointer,
    trailing: (Int, UInt8) -> SafetensorsError
  ) throws(SafetensorsError) -> Int {
    if let offset = firstInvalidUTF8Offset(json) { throw .headerNotUTF8(offset: offset) }
    var reader = JSONReader(json)
    reader.skipWhitespace()
    let start = reader.position
    try reader.skipValue(depth: 0, parent: nil)
    reader.skipWhitespace()
    if let byte = reader.current { throw trailing(reader.position, byte) }
    return start
  }

  private static func readMetadata(
    _ reader: inout JSONReader
  ) throws(SafetensorsError) -> [String: String] {
    guard reader.current == UInt8(ascii: "{") else {
      throw .metadataNotObject(found: reader.valueText())
    }
    var map: [String: String] = [:]
    try reader.readObject { (reader, key) throws(SafetensorsError) in
      guard reader.current == UInt8(ascii: "\"") else {
        throw .metadataValueNotString(key: key, found: reader.valueText())
      }
      map[key] = try reader.readString()
    }
    return map
  }

  private static func readEntry(
    _ reader: inout JSONReader, name: String
  ) throws(SafetensorsError) -> TensorInfo {
    guard reader.current == UInt8(ascii: "{") else {
      throw .entryNotObject(tensor: name, found: reader.valueText())
    }
    var dtype: DType?
    var shape: [Int]?
    var offsets: [Int]?
    try reader.readObject { (reader, field) throws(SafetensorsError) in
      switch field {
      case "dtype":
        let text = reader.valueText()
        guard reader.current == UInt8(ascii: "\""), let type = DType(rawValue: try reader.readString())
        else { throw .unknownDType(tensor: name, dtype: text) }
        dtype = type
      case "shape":
        shape = try readIntegers(&reader, tensor: name, field: field) { .invalidShape(tensor: name, found: $0) }
      case "data_offsets":
        let text = reader.valueText()
        let values = try readIntegers(&reader, tensor: name, field: field) {
          .invalidDataOffsets(tensor: name, found: $0)
        }
        guard values.count == 2 else { throw .invalidDataOffsets(tensor: name, found: text) }
        offsets = values
      default:
        throw .unknownField(tensor: name, field: field)
      }
    }
    guard let dtype else { throw .missingField(tensor: name, field: "dtype") }
    guard let shape else { throw .missingField(tensor: name, field: "shape") }
    guard let offsets else { throw .missingField(tensor: name, field: "data_offsets") }
    return try checkedEntry(name: name, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
  }

  private static func checkedEntry(
    name: String, dtype: DType, shape: [Int], begin: Int, end: Int
  ) throws(SafetensorsError) -> TensorInfo {
    guard begin <= end else { throw .offsetsReversed(tensor: name, begin: begin, end: end) }
    guard let needed = checkedByteCount(shape: shape, dtype: dtype),
      checkedElementCount(shape: shape) != nil
    else { throw .sizeOverflow(tensor: name, dtype: dtype, shape: shape) }
    guard needed == end - begin else {
      throw .sizeMismatch(
        tensor: name, dtype: dtype, shape: shape, begin: begin, end: end, needed: needed)
    }
    return TensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: begin..<end)
  }

  /// Reads an array of non-negative integers; `invalid` builds the error for a non-array or a
  /// non-number element from the array's text.
  private static func readIntegers(
    _ reader: inout JSONReader, tensor: String, field: String,
    invalid: (String) -> SafetensorsError
  ) throws(SafetensorsError) -> [Int] {
    let text = reader.valueText()
    guard reader.current == UInt8(ascii: "[") else { throw invalid(text) }
    var values: [Int] = []
    try reader.readArray { (reader) throws(SafetensorsError) in
      guard let byte = reader.current, byte == UInt8(ascii: "-") || (0x30...0x39).contains(byte)
      else { throw invalid(text) }
      let literal = try reader.readNumberLiteral()
      values.append(try integer(literal, tensor: tensor, field: field))
    }
    return values
  }

  /// A JSON number literal as a non-negative `Int`.
  static func integer(
    _ literal: String, tensor: String, field: String
  ) throws(SafetensorsError) -> Int {
    if literal.hasPrefix("-") {
      throw .negativeNumber(tensor: tensor, field: field, literal: literal)
    }
    if literal.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) {
      throw .fractionalNumber(tensor: tensor, field: field, literal: literal)
    }
    guard let value = Int(literal) else {
      throw .numberTooLarge(tensor: tensor, field: field, literal: literal)
    }
    return value
  }
}
