/// One metadata key/value pair, in file order.
public struct GGUFMetadataEntry: Sendable, Equatable {
  /// The key, such as `general.architecture`.
  public let key: String
  /// The value.
  public let value: GGUFValue
}

/// One tensor's entry in the header.
public struct GGUFTensorInfo: Sendable, Equatable, Hashable {
  /// The tensor's name, such as `blk.0.attn_q.weight`.
  public let name: String
  /// ggml's `ne`: innermost (row length) first, i.e. the row-major shape reversed.
  public let dimensions: [Int]
  /// The element type.
  public let type: GGMLType
  /// The data offset relative to the start of the data section.
  public let offset: Int
  /// The number of elements (the product of `dimensions`).
  public let elementCount: Int
  /// The number of data bytes.
  public let byteCount: Int

  /// The row-major shape (outermost first), as PyTorch and safetensors write it.
  public var shape: [Int] { dimensions.reversed() }
}

/// The parsed and validated header of a GGUF file: everything before the tensor data.
///
/// Layout (little-endian): magic `GGUF`, uint32 version, uint64 tensor count, uint64 key/value
/// count, the key/value pairs, the tensor infos, padding to `alignment`, then the data section.
/// Every length and count is checked against the bytes left before anything is allocated.
public struct GGUFHeader: Sendable, Equatable {
  /// The format version (2 or 3).
  public let version: UInt32
  /// The metadata in file order.
  public let metadata: [GGUFMetadataEntry]
  /// The tensor infos in file order.
  public let tensors: [GGUFTensorInfo]
  /// The data alignment: `general.alignment`, or 32.
  public let alignment: Int
  /// The absolute file offset of the data section.
  public let dataStart: Int
  private let keyIndex: [String: Int]
  private let tensorIndex: [String: Int]

  /// The deepest nesting of arrays accepted.
  public static let maximumArrayDepth = 8
  /// llama.cpp's `GGML_MAX_NAME` (64) less the terminating zero.
  public static let maximumNameLength = 63
  /// ggml's `GGML_MAX_DIMS`.
  public static let maximumDimensions = 4

  /// The value for `key`, if present.
  public subscript(key: String) -> GGUFValue? {
    keyIndex[key].map { metadata[$0].value }
  }

  /// The tensor named `name`, if present.
  public func tensor(named name: String) -> GGUFTensorInfo? {
    tensorIndex[name].map { tensors[$0] }
  }

  /// Parses and validates the header at the start of `bytes`, which hold the whole file.
  public static func parse(_ bytes: UnsafeRawBufferPointer) throws(GGUFError) -> GGUFHeader {
    var reader = ByteReader(bytes: bytes)
    guard bytes.count >= 4 else {
      throw .truncated(what: "magic", offset: 0, needed: 4, fileSize: bytes.count)
    }
    let magic = Array(bytes[0..<4])
    guard magic == Array("GGUF".utf8) else { throw .badMagic(found: magic) }
    reader.offset = 4
    let version = try reader.read(UInt32.self, "version")
    guard version == 2 || version == 3 else { throw .unsupportedVersion(version) }
    let tensorCount = try reader.count("tensor count", minimumItemSize: 24)
    let keyCount = try reader.count("metadata count", minimumItemSize: 13)
    var metadata: [GGUFMetadataEntry] = []
    var keyIndex: [String: Int] = [:]
    for _ in 0..<keyCount {
      let key = try reader.string("metadata key")
      let value = try reader.value(key: key)
      guard keyIndex[key] == nil else { throw .duplicateKey(key) }
      keyIndex[key] = metadata.count
      metadata.append(GGUFMetadataEntry(key: key, value: value))
    }
    let alignment = try Self.alignment(keyIndex["general.alignment"].map { metadata[$0].value })
    var infos: [GGUFTensorInfo] = []
    var tensorIndex: [String: Int] = [:]
    for _ in 0..<tensorCount {
      let info = try reader.tensorInfo(alignment: alignment)
      guard tensorIndex[info.name] == nil else { throw .duplicateTensor(info.name) }
      tensorIndex[info.name] = infos.count
      infos.append(info)
    }
    let (dataStart, overflow) = reader.offset.addingReportingOverflow(alignment - 1)
    precondition(!overflow, "header end \(reader.offset) overflows")  // offset <= bytes.count
    let header = GGUFHeader(
      version: version, metadata: metadata, tensors: infos, alignment: alignment,
      dataStart: dataStart / alignment * alignment, keyIndex: keyIndex, tensorIndex: tensorIndex)
    try header.validateLayout(fileSize: bytes.count)
    return header
  }

  private static func alignment(_ value: GGUFValue?) throws(GGUFError) -> Int {
    guard let value else { return 32 }
    guard case .uint32(let v) = value, v > 0, v & (v - 1) == 0 else {
      throw .invalidAlignment(found: value.summary)
    }
    return Int(v)
  }

  /// Every tensor's data lies inside the file, and no two overlap.
  private func validateLayout(fileSize: Int) throws(GGUFError) {
    for info in tensors {
      let end = UInt64(dataStart) + UInt64(info.offset) + UInt64(info.byteCount)  // each < 2^63
      guard end <= UInt64(fileSize) else {
        throw .dataPastEnd(tensor: info.name, end: end, fileSize: fileSize)
      }
    }
    let ordered = tensors.filter { $0.byteCount > 0 }.sorted { ($0.offset, $0.name) < ($1.offset, $1.name) }
    for (previous, next) in zip(ordered, ordered.dropFirst()) where next.offset < previous.offset + previous.byteCount {
      throw .overlappingTensors(
        tensor: next.name, begin: next.offset, previous: previous.name,
        previousEnd: previous.offset + previous.byteCount)
    }
  }
}
