import Safetensors
import Testing

/// Exact one-line messages for a table of errors.
@Suite struct ErrorMessageTests {
  static let table: [(SafetensorsError, String)] = [
    (.fileTooSmall(size: 3), "file is 3 bytes, shorter than the 8-byte header length field"),
    (.headerTooLarge(length: 200_000_000, limit: 100_000_000), "header length 200000000 exceeds the limit of 100000000 bytes"),
    (.headerPastEnd(length: 100, fileSize: 50), "header length 100 runs past the end of the 50-byte file"),
    (.invalidJSON(offset: 5, reason: "expected `:` after an object key"), "invalid JSON at byte 5: expected `:` after an object key"),
    (.duplicateKey(key: "a", parent: nil), "duplicate key `a` in the top-level object"),
    (.duplicateKey(key: "dtype", parent: "w"), "duplicate key `dtype` in `w`"),
    (.headerTrailingBytes(offset: 2, byte: 0x78), "header has byte 0x78 at offset 2 after its JSON object; only whitespace may pad it"),
    (.missingField(tensor: "w", field: "shape"), "tensor `w`: missing field `shape`"),
    (.unknownDType(tensor: "w", dtype: "\"F4\""), "tensor `w`: unknown dtype \"F4\""),
    (.negativeNumber(tensor: "w", field: "shape", literal: "-1"), "tensor `w`: shape holds the negative number -1"),
    (.fractionalNumber(tensor: "w", field: "shape", literal: "1.5"), "tensor `w`: shape holds 1.5, which is not an integer"),
    (.sizeMismatch(tensor: "a.weight", dtype: .f32, shape: [2, 2], begin: 0, end: 12, needed: 16),
     "tensor `a.weight`: data_offsets [0, 12) hold 12 bytes but F32 [2, 2] needs 16"),
    (.sizeOverflow(tensor: "w", dtype: .f64, shape: [1 << 61]), "tensor `w`: the size of F64 [2305843009213693952] overflows"),
    (.offsetsPastEnd(tensor: "w", end: 16, dataSize: 8), "tensor `w`: data ends at 16, past the end of the 8-byte data section"),
    (.overlap(tensor: "b", begin: 4, previous: "a", previousEnd: 8), "tensor `b`: data begins at 4, inside `a` which ends at 8"),
    (.gap(tensor: "b", begin: 8, previous: "a", previousEnd: 4),
     "tensor `b`: data begins at 8, leaving a hole after `a` which ends at 4"),
    (.trailingData(covered: 4, dataSize: 6), "tensors cover 4 bytes of the 6-byte data section"),
    (.metadataValueNotString(key: "k", found: "1"), "__metadata__ `k` is 1, not a string"),
    (.file(path: "/m.safetensors", .missingTensor(name: "w")), "/m.safetensors: no tensor named `w`"),
    (.io(path: "/out", reason: "write: No space left on device (ENOSPC)"), "/out: write: No space left on device (ENOSPC)"),
    (.byteCountMismatch(tensor: "w", dtype: .f16, shape: [3], expected: 6, actual: 4),
     "tensor `w`: F16 [3] needs 6 bytes but 4 were given"),
    (.tensorInTwoShards(tensor: "w", first: "a.safetensors", second: "b.safetensors"),
     "tensor `w` is stored in both `a.safetensors` and `b.safetensors`"),
    (.tensorNotListed(tensor: "w", shard: "b.safetensors", listed: nil), "tensor `w` in shard `b.safetensors` is not listed in weight_map"),
  ]

  @Test(arguments: table.indices) func message(_ row: Int) {
    let (error, message) = Self.table[row]
    #expect(error.description == message)
    #expect(!error.description.contains("\n"))
  }

  @Test func realParseMessage() {
    let error = parseError("{\"a.weight\":\(entry("F32", "[2, 2]", "[0, 12]"))}", data: Array(repeating: 0, count: 12))
    #expect(error?.description == "tensor `a.weight`: data_offsets [0, 12) hold 12 bytes but F32 [2, 2] needs 16")
  }
}
