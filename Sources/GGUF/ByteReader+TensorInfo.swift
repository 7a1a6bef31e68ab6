extension ByteReader {
  /// One tensor info: name, uint32 n_dims, int64 ne[n_dims], uint32 type, uint64 offset.
  /// Validates the name, the dimensions, the type, the block alignment of rows, the sizes and
  /// the offset's alignment; the caller checks uniqueness and the data range.
  mutating func tensorInfo(alignment: Int) throws(GGUFError) -> GGUFTensorInfo {
    let name = try string("tensor name")
    guard (1...GGUFHeader.maximumNameLength).contains(name.utf8.count) else {
      throw .invalidTensorName(name: name, length: name.utf8.count)
    }
    let rank = try read(UInt32.self, "dimension count of `\(name)`")
    guard rank <= GGUFHeader.maximumDimensions else { throw .tooManyDimensions(tensor: name, count: rank) }
    var raw: [Int64] = []
    for _ in 0..<rank { raw.append(try read(Int64.self, "dimensions of `\(name)`")) }
    let rawType = try read(UInt32.self, "type of `\(name)`")
    let offset = try read(UInt64.self, "data offset of `\(name)`")
    guard raw.allSatisfy({ $0 >= 0 }) else { throw .negativeDimension(tensor: name, dimensions: raw) }
    guard let type = GGMLType(rawValue: rawType) else { throw .unknownTensorType(tensor: name, type: rawType) }
    let dimensions = raw.map { Int($0) }
    let rowLength = dimensions.first ?? 1
    guard rowLength % type.blockSize == 0 else {
      throw .rowNotBlockAligned(tensor: name, type: type, rowLength: rowLength, blockSize: type.blockSize)
    }
    var elements = 1
    for dimension in dimensions {
      let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
      guard !overflow else { throw .sizeOverflow(tensor: name, dimensions: raw) }
      elements = product
    }
    let (bytes, overflow) = (elements / type.blockSize).multipliedReportingOverflow(by: type.blockBytes)
    guard !overflow, offset <= UInt64(Int.max) else { throw .sizeOverflow(tensor: name, dimensions: raw) }
    guard offset % UInt64(alignment) == 0 else {
      throw .misalignedOffset(tensor: name, offset: offset, alignment: alignment)
    }
    return GGUFTensorInfo(
      name: name, dimensions: dimensions, type: type, offset: Int(offset), elementCount: elements,
      byteCount: bytes)
  }
}
