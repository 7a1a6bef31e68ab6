/// A bounds-checked little-endian cursor over the header bytes.
struct ByteReader {
  let bytes: UnsafeRawBufferPointer
  var offset = 0

  var remaining: Int { bytes.count - offset }

  func need(_ count: Int, _ what: @autoclosure () -> String) throws(GGUFError) {
    guard count <= remaining else {
      throw .truncated(what: what(), offset: offset, needed: count, fileSize: bytes.count)
    }
  }

  mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws(GGUFError) -> T {
    try need(MemoryLayout<T>.size, what())
    let value = T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    offset += MemoryLayout<T>.size
    return value
  }

  /// A uint64 count of items that each take at least `minimumItemSize` bytes of what is left.
  mutating func count(_ what: String, minimumItemSize: Int) throws(GGUFError) -> Int {
    let at = offset
    let count = try read(UInt64.self, what)
    guard count <= UInt64(remaining / minimumItemSize) else {
      throw .countTooLarge(what: what, count: count, offset: at, remaining: remaining)
    }
    return Int(count)
  }

  /// A uint64 length, then that many bytes of UTF-8.
  mutating func string(_ what: @autoclosure () -> String) throws(GGUFError) -> String {
    let length = try read(UInt64.self, what() + " length")
    guard length <= UInt64(remaining) else {
      throw .truncated(what: what(), offset: offset, needed: Int(clamping: length), fileSize: bytes.count)
    }
    let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + Int(length)])
    guard let string = String(validating: slice, as: UTF8.self) else {
      throw .invalidUTF8(what: what(), offset: offset)
    }
    offset += Int(length)
    return string
  }

  /// A value type id, then the value.
  mutating func value(key: String) throws(GGUFError) -> GGUFValue {
    let at = offset
    let raw = try read(UInt32.self, "value type of `\(key)`")
    guard let type = GGUFValueType(rawValue: raw) else {
      throw .unknownValueType(key: key, type: raw, offset: at)
    }
    let what = "value of `\(key)`"
    switch type {
    case .uint8: return .uint8(try read(UInt8.self, what))
    case .int8: return .int8(try read(Int8.self, what))
    case .uint16: return .uint16(try read(UInt16.self, what))
    case .int16: return .int16(try read(Int16.self, what))
    case .uint32: return .uint32(try read(UInt32.self, what))
    case .int32: return .int32(try read(Int32.self, what))
    case .uint64: return .uint64(try read(UInt64.self, what))
    case .int64: return .int64(try read(Int64.self, what))
    case .float32: return .float32(Float(bitPattern: try read(UInt32.self, what)))
    case .float64: return .float64(Double(bitPattern: try read(UInt64.self, what)))
    case .bool: return .bool(try bool(key: key))
    case .string: return .string(try string(what))
    case .array: return .array(try array(key: key, depth: 1))
    }
  }

  mutating func bool(key: String) throws(GGUFError) -> Bool {
    let at = offset
    let byte = try read(UInt8.self, "value of `\(key)`")
    guard byte <= 1 else { throw .invalidBool(key: key, byte: byte, offset: at) }
    return byte == 1
  }

  /// An element type id, a uint64 count, then the elements.
  mutating func array(key: String, depth: Int) throws(GGUFError) -> GGUFArray {
    guard depth <= GGUFHeader.maximumArrayDepth else {
      throw .arrayTooDeep(key: key, limit: GGUFHeader.maximumArrayDepth)
    }
    let at = offset
    let raw = try read(UInt32.self, "array type of `\(key)`")
    guard let type = GGUFValueType(rawValue: raw) else {
      throw .unknownValueType(key: key, type: raw, offset: at)
    }
    let n = try count("array `\(key)`", minimumItemSize: type.minimumEncodedSize)
    switch type {
    case .uint8: return .uint8(scalars(n, UInt8.self))
    case .int8: return .int8(scalars(n, Int8.self))
    case .uint16: return .uint16(scalars(n, UInt16.self))
    case .int16: return .int16(scalars(n, Int16.self))
    case .uint32: return .uint32(scalars(n, UInt32.self))
    case .int32: return .int32(scalars(n, Int32.self))
    case .uint64: return .uint64(scalars(n, UInt64.self))
    case .int64: return .int64(scalars(n, Int64.self))
    case .float32: return .float32(scalars(n, UInt32.self).map(Float.init(bitPattern:)))
    case .float64: return .float64(scalars(n, UInt64.self).map(Double.init(bitPattern:)))
    case .bool:
      var values: [Bool] = []
      values.reserveCapacity(n)
      for _ in 0..<n { values.append(try bool(key: key)) }
      return .bool(values)
    case .string:
      var values: [String] = []
      values.reserveCapacity(n)
      for _ in 0..<n { values.append(try string("element of `\(key)`")) }
      return .string(values)
    case .array:
      var values: [GGUFArray] = []
      values.reserveCapacity(n)
      for _ in 0..<n { values.append(try array(key: key, depth: depth + 1)) }
      return .array(values)
    }
  }

  /// `n` fixed-size values; the caller has checked that they fit.
  mutating func scalars<T: FixedWidthInteger>(_ n: Int, _: T.Type) -> [T] {
    let size = MemoryLayout<T>.size
    let base = offset
    offset += n * size
    return (0..<n).map { T(littleEndian: bytes.loadUnaligned(fromByteOffset: base + $0 * size, as: T.self)) }
  }
}
