/// The parsed, fully validated header of a safetensors file.
///
/// Layout: 8 bytes little-endian `N`, then `N` bytes of UTF-8 JSON, then the data section.
public struct SafetensorsHeader: Sendable, Equatable {
  /// The reference implementation's limit on `N`.
  public static let maxHeaderLength = 100_000_000

  /// Every tensor, sorted by data offset (ties: by end, then by name).
  public let tensors: [TensorInfo]
  /// The `__metadata__` map, or `nil` when the header has none.
  public let metadata: [String: String]?
  /// `N`, the value of the 8-byte length field.
  public let headerLength: Int
  private let indexByName: [String: Int]

  /// The file offset of the data section.
  public var dataStart: Int { 8 + headerLength }

  /// The tensor named `name`, or `nil`.
  public subscript(name: String) -> TensorInfo? {
    indexByName[name].map { tensors[$0] }
  }

  init(tensors: [TensorInfo], metadata: [String: String]?, headerLength: Int) {
    self.tensors = tensors
    self.metadata = metadata
    self.headerLength = headerLength
    var index: [String: Int] = [:]
    for (i, tensor) in tensors.enumerated() { index[tensor.name] = i }
    indexByName = index
  }

  /// Headers are equal when their tensors, metadata and length field are.
  public static func == (lhs: SafetensorsHeader, rhs: SafetensorsHeader) -> Bool {
    lhs.tensors == rhs.tensors && lhs.metadata == rhs.metadata
      && lhs.headerLength == rhs.headerLength
  }

  /// Parses and validates every rule of the format.
  ///
  /// - Parameters:
  ///   - bytes: the whole file, or at least its first `8 + N` bytes.
  ///   - fileSize: the size of the whole file, which fixes the size of the data section.
  public static func parse(
    _ bytes: UnsafeRawBufferPointer, fileSize: Int
  ) throws(SafetensorsError) -> SafetensorsHeader {
    try parse(bytes, knownFileSize: fileSize)
  }

  /// Reads the length field: checks the file holds it and the limit; returns `N`.
  static func headerLength(
    _ prefix: UnsafeRawBufferPointer, fileSize: Int?
  ) throws(SafetensorsError) -> Int {
    if let fileSize, fileSize < 8 { throw .fileTooSmall(size: fileSize) }
    guard prefix.count >= 8 else { throw .fileTooSmall(size: prefix.count) }
    let length = UInt64(littleEndian: prefix.loadUnaligned(as: UInt64.self))
    guard length <= UInt64(maxHeaderLength) else {
      throw .headerTooLarge(length: length, limit: maxHeaderLength)
    }
    if let fileSize, Int(length) > fileSize - 8 {
      throw .headerPastEnd(length: length, fileSize: fileSize)
    }
    return Int(length)
  }

  /// `parse` that may skip the checks needing the file size (`nil`: a `.zst` read header-only).
  static func parse(
    _ bytes: UnsafeRawBufferPointer, knownFileSize fileSize: Int?
  ) throws(SafetensorsError) -> SafetensorsHeader {
    let length = try headerLength(bytes, fileSize: fileSize)
    guard bytes.count >= 8 + length else {
      if fileSize == nil { throw .headerPastEnd(length: UInt64(length), fileSize: bytes.count) }
      preconditionFailure("parse needs the first \(8 + length) bytes, got \(bytes.count)")
    }
    let json = UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + length)])
    let (entries, metadata) = try HeaderSchema.parse(json)
    let tensors = entries.sorted { a, b in
      if a.dataOffsets.lowerBound != b.dataOffsets.lowerBound {
        return a.dataOffsets.lowerBound < b.dataOffsets.lowerBound
      }
      if a.dataOffsets.upperBound != b.dataOffsets.upperBound {
        return a.dataOffsets.upperBound < b.dataOffsets.upperBound
      }
      return a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
    }
    try checkLayout(tensors, dataSize: fileSize.map { $0 - 8 - length })
    return SafetensorsHeader(tensors: tensors, metadata: metadata, headerLength: length)
  }

  /// Contiguity from 0, no overlap, no hole, and (when known) exact cover of the data section.
  static func checkLayout(_ tensors: [TensorInfo], dataSize: Int?) throws(SafetensorsError) {
    var previous: TensorInfo?
    for tensor in tensors {
      let range = tensor.dataOffsets
      if let dataSize, range.upperBound > dataSize {
        throw .offsetsPastEnd(tensor: tensor.name, end: range.upperBound, dataSize: dataSize)
      }
      let expectedBegin = previous?.dataOffsets.upperBound ?? 0
      if let previous {
        if range.lowerBound < expectedBegin {
          throw .overlap(
            tensor: tensor.name, begin: range.lowerBound,
            previous: previous.name, previousEnd: expectedBegin)
        }
        if range.lowerBound > expectedBegin {
          throw .gap(
            tensor: tensor.name, begin: range.lowerBound,
            previous: previous.name, previousEnd: expectedBegin)
        }
      } else if range.lowerBound != 0 {
        throw .dataNotAtZero(tensor: tensor.name, begin: range.lowerBound)
      }
      previous = tensor
    }
    let covered = previous?.dataOffsets.upperBound ?? 0
    if let dataSize, covered != dataSize {
      throw .trailingData(covered: covered, dataSize: dataSize)
    }
  }
}
