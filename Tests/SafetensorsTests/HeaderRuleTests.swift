import Safetensors
import Testing

/// One test per validation rule of the header, with hand-built byte literals.
@Suite struct HeaderRuleTests {
  @Test func fileShorterThanEightBytes() {
    #expect(parse([1, 0, 0]) == .failure(.fileTooSmall(size: 3)))
    #expect(parse([]) == .failure(.fileTooSmall(size: 0)))
  }

  @Test func headerLengthOverLimit() {
    let bytes = fileBytes("{}", length: 100_000_001)
    #expect(parse(bytes) == .failure(.headerTooLarge(length: 100_000_001, limit: 100_000_000)))
    let huge = fileBytes("{}", length: UInt64.max)
    #expect(parse(huge) == .failure(.headerTooLarge(length: .max, limit: 100_000_000)))
  }

  @Test func headerLengthPastEndOfFile() {
    #expect(parse(fileBytes("{}", length: 3)) == .failure(.headerPastEnd(length: 3, fileSize: 10)))
  }

  @Test func headerNotUTF8() {
    var bytes = fileBytes("{\"ab\":1}")
    bytes[10] = 0xFF
    #expect(parse(bytes) == .failure(.headerNotUTF8(offset: 2)))
    var overlong = fileBytes("{\"ab\":1}")
    overlong[10] = 0xC0
    overlong[11] = 0x80
    #expect(parse(overlong) == .failure(.headerNotUTF8(offset: 2)))
  }

  @Test func headerNotJSON() {
    #expect(parseError("{\"a\" 1}") == .invalidJSON(offset: 5, reason: "expected `:` after an object key"))
    #expect(parseError("") == .invalidJSON(offset: 0, reason: "unexpected end of text, expected a value"))
    #expect(parseError("{\"a\":tru}") == .invalidJSON(offset: 5, reason: "expected `true`"))
    #expect(parseError("{\"a\":\"\\ud800\"}") == .invalidJSON(offset: 12, reason: "lone surrogate in \\u escape"))
  }

  @Test func headerLeadingGarbage() {
    #expect(parseError("x{}") == .invalidJSON(offset: 0, reason: "unexpected byte 0x78, expected a value"))
    #expect(parseError("\u{0}{}") == .invalidJSON(offset: 0, reason: "unexpected byte 0x00, expected a value"))
  }

  @Test func headerTrailingGarbage() {
    #expect(parseError("{}x") == .headerTrailingBytes(offset: 2, byte: 0x78))
    #expect(parseError("{}\u{0}") == .headerTrailingBytes(offset: 2, byte: 0))
    #expect(parseError("{}{}") == .headerTrailingBytes(offset: 2, byte: 0x7B))
  }

  @Test func whitespacePaddingIsAllowed() {
    #expect(parseError("{}      ") == nil)
    #expect(parseError("  {} \n\t\r") == nil)
  }

  @Test func headerNotAnObject() {
    #expect(parseError("[1, 2]") == .headerNotObject(found: "[1, 2]"))
    #expect(parseError("\"x\"") == .headerNotObject(found: "\"x\""))
  }

  @Test func duplicateKeys() {
    let data = [UInt8](repeating: 0, count: 4)
    #expect(parseError("{\"a\":\(entry()),\"a\":\(entry())}", data: data) == .duplicateKey(key: "a", parent: nil))
    let field = "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"
    #expect(parseError(field, data: data) == .duplicateKey(key: "dtype", parent: "a"))
    #expect(parseError("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}") == .duplicateKey(key: "k", parent: "__metadata__"))
  }

  @Test func deeplyNestedJSON() {
    let deep = "{\"a\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
    #expect(parseError(deep) == .jsonTooDeep(offset: 36, limit: 32))
  }

  @Test func entryNotAnObject() {
    #expect(parseError("{\"a\":[1]}") == .entryNotObject(tensor: "a", found: "[1]"))
  }

  @Test func missingField() {
    #expect(parseError("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}") == .missingField(tensor: "a", field: "data_offsets"))
    #expect(parseError("{\"a\":{\"shape\":[],\"data_offsets\":[0,4]}}") == .missingField(tensor: "a", field: "dtype"))
    #expect(parseError("{\"a\":{\"dtype\":\"U8\",\"data_offsets\":[0,4]}}") == .missingField(tensor: "a", field: "shape"))
  }

  @Test func extraField() {
    let text = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"offsets\":[0,4]}}"
    #expect(parseError(text, data: [0, 0, 0, 0]) == .unknownField(tensor: "a", field: "offsets"))
  }

  @Test func unknownDType() {
    #expect(parseError("{\"a\":\(entry("F4"))}") == .unknownDType(tensor: "a", dtype: "\"F4\""))
    #expect(parseError("{\"a\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}") == .unknownDType(tensor: "a", dtype: "4"))
    #expect(parseError("{\"a\":\(entry("f32"))}") == .unknownDType(tensor: "a", dtype: "\"f32\""))
  }

  @Test func shapeNotAnArrayOfIntegers() {
    #expect(parseError("{\"a\":\(entry("F32", "4"))}") == .invalidShape(tensor: "a", found: "4"))
    #expect(parseError("{\"a\":\(entry("F32", "[1,\"2\"]"))}") == .invalidShape(tensor: "a", found: "[1,\"2\"]"))
    #expect(parseError("{\"a\":\(entry("F32", "[null]"))}") == .invalidShape(tensor: "a", found: "[null]"))
  }

  @Test func negativeNumbers() {
    #expect(parseError("{\"a\":\(entry("F32", "[-1]"))}") == .negativeNumber(tensor: "a", field: "shape", literal: "-1"))
    #expect(parseError("{\"a\":\(entry("F32", "[1]", "[-4,0]"))}") == .negativeNumber(tensor: "a", field: "data_offsets", literal: "-4"))
  }

  @Test func floatNumbers() {
    #expect(parseError("{\"a\":\(entry("F32", "[1.0]"))}") == .fractionalNumber(tensor: "a", field: "shape", literal: "1.0"))
    #expect(parseError("{\"a\":\(entry("F32", "[1]", "[0,4e0]"))}") == .fractionalNumber(tensor: "a", field: "data_offsets", literal: "4e0"))
  }

  @Test func numbersTooLarge() {
    let big = "9223372036854775808"
    #expect(parseError("{\"a\":\(entry("F32", "[\(big)]"))}") == .numberTooLarge(tensor: "a", field: "shape", literal: big))
  }

  @Test func dataOffsetsNotTwoIntegers() {
    #expect(parseError("{\"a\":\(entry("F32", "[1]", "[0,4,8]"))}") == .invalidDataOffsets(tensor: "a", found: "[0,4,8]"))
    #expect(parseError("{\"a\":\(entry("F32", "[1]", "[4]"))}") == .invalidDataOffsets(tensor: "a", found: "[4]"))
    #expect(parseError("{\"a\":\(entry("F32", "[1]", "{}"))}") == .invalidDataOffsets(tensor: "a", found: "{}"))
  }

  @Test func offsetsBeginAfterEnd() {
    #expect(parseError("{\"a\":\(entry("F32", "[1]", "[4,0]"))}") == .offsetsReversed(tensor: "a", begin: 4, end: 0))
  }

  @Test func sizeOverflow() {
    let shape = "[4294967296,4294967296]"
    #expect(parseError("{\"a\":\(entry("F32", shape))}") == .sizeOverflow(tensor: "a", dtype: .f32, shape: [1 << 32, 1 << 32]))
    let bytes = "[2305843009213693952]"  // 2^61 elements of 8 bytes
    #expect(parseError("{\"a\":\(entry("F64", bytes))}") == .sizeOverflow(tensor: "a", dtype: .f64, shape: [1 << 61]))
  }

  @Test func sizeMismatch() {
    let error = parseError("{\"a\":\(entry("F32", "[2,2]", "[0,12]"))}", data: Array(repeating: 0, count: 12))
    #expect(error == .sizeMismatch(tensor: "a", dtype: .f32, shape: [2, 2], begin: 0, end: 12, needed: 16))
  }

  @Test func offsetsPastEndOfData() {
    #expect(parseError("{\"a\":\(entry())}", data: [0, 0]) == .offsetsPastEnd(tensor: "a", end: 4, dataSize: 2))
  }

  @Test func dataNotStartingAtZero() {
    #expect(parseError("{\"a\":\(entry("F32", "[1]", "[4,8]"))}", data: Array(repeating: 0, count: 8)) == .dataNotAtZero(tensor: "a", begin: 4))
  }

  @Test func overlappingTensors() {
    let text = "{\"a\":\(entry("F32", "[2]", "[0,8]")),\"b\":\(entry("F32", "[1]", "[4,8]"))}"
    #expect(parseError(text, data: Array(repeating: 0, count: 8)) == .overlap(tensor: "b", begin: 4, previous: "a", previousEnd: 8))
  }

  @Test func holeBetweenTensors() {
    let text = "{\"a\":\(entry()),\"b\":\(entry("F32", "[1]", "[8,12]"))}"
    #expect(parseError(text, data: Array(repeating: 0, count: 12)) == .gap(tensor: "b", begin: 8, previous: "a", previousEnd: 4))
  }

  @Test func trailingBytesAfterLastTensor() {
    #expect(parseError("{\"a\":\(entry())}", data: Array(repeating: 0, count: 6)) == .trailingData(covered: 4, dataSize: 6))
    #expect(parseError("{}", data: [1]) == .trailingData(covered: 0, dataSize: 1))
  }

  @Test func metadataNotAnObjectOfStrings() {
    #expect(parseError("{\"__metadata__\":[\"a\"]}") == .metadataNotObject(found: "[\"a\"]"))
    #expect(parseError("{\"__metadata__\":{\"a\":1}}") == .metadataValueNotString(key: "a", found: "1"))
  }

  @Test func zeroRankAndZeroSizedTensorsAreLegal() throws {
    let text = "{\"z\":\(entry("F32", "[0,3]", "[4,4]")),\"s\":\(entry("I32", "[]", "[0,4]")),\"e\":\(entry("U8", "[0]", "[4,4]"))}"
    let header = try parse(fileBytes(text, data: [1, 0, 0, 0])).get()
    #expect(header.tensors.map(\.name) == ["s", "e", "z"])
    #expect(header["s"]?.elementCount == 1)
    #expect(header["z"]?.elementCount == 0)
  }

  @Test func entriesAreSortedByOffsetWhateverTheirJSONOrder() throws {
    let text = "{\"b\":\(entry("F32", "[1]", "[4,8]")),\"__metadata__\":{\"k\":\"v\"},\"a\":\(entry())}"
    let header = try parse(fileBytes(text, data: Array(repeating: 0, count: 8))).get()
    #expect(header.tensors.map(\.name) == ["a", "b"])
    #expect(header.metadata == ["k": "v"])
    #expect(header.dataStart == 8 + text.utf8.count)
  }

  @Test func escapedNamesAreDecoded() throws {
    let text = "{\"a\\u00e9\\ud83d\\ude00\\n\":\(entry())}"
    let header = try parse(fileBytes(text, data: [0, 0, 0, 0])).get()
    #expect(header.tensors.first?.name == "aé😀\n")
  }
}
