/// The type id of a GGUF metadata value (`enum gguf_type`).
public enum GGUFValueType: UInt32, Sendable, Hashable, CaseIterable {
  case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6, bool = 7
  case string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

  /// The fewest bytes one value of this type takes in a file (a string's length field, an
  /// array's element type and count).
  var minimumEncodedSize: Int {
    switch self {
    case .uint8, .int8, .bool: 1
    case .uint16, .int16: 2
    case .uint32, .int32, .float32: 4
    case .uint64, .int64, .float64, .string: 8
    case .array: 12
    }
  }
}

/// A metadata value.
public enum GGUFValue: Sendable, Equatable {
  case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
  case uint64(UInt64), int64(Int64), float32(Float), float64(Double), bool(Bool), string(String)
  case array(GGUFArray)

  /// The value's type id.
  public var type: GGUFValueType {
    switch self {
    case .uint8: .uint8
    case .int8: .int8
    case .uint16: .uint16
    case .int16: .int16
    case .uint32: .uint32
    case .int32: .int32
    case .uint64: .uint64
    case .int64: .int64
    case .float32: .float32
    case .float64: .float64
    case .bool: .bool
    case .string: .string
    case .array: .array
    }
  }

  /// The value as an integer, for any integer type (nil otherwise).
  public var integer: Int? {
    switch self {
    case .uint8(let v): Int(v)
    case .int8(let v): Int(v)
    case .uint16(let v): Int(v)
    case .int16(let v): Int(v)
    case .uint32(let v): Int(v)
    case .int32(let v): Int(v)
    case .uint64(let v): Int(exactly: v)
    case .int64(let v): Int(exactly: v)
    default: nil
    }
  }

  /// The value as a Double, for float and integer types (nil otherwise).
  public var number: Double? {
    switch self {
    case .float32(let v): Double(v)
    case .float64(let v): v
    default: integer.map(Double.init)
    }
  }

  /// The string, for a string value.
  public var string: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  /// The boolean, for a bool value.
  public var bool: Bool? {
    if case .bool(let b) = self { return b }
    return nil
  }

  /// A short description for messages: `uint32 30`, `string "llama"`, `array of 49152 string`.
  public var summary: String {
    switch self {
    case .string(let s): "string \"\(s.count > 40 ? String(s.prefix(40)) + "…" : s)\""
    case .array(let a): "array of \(a.count) \(a.elementType)"
    case .bool(let b): "bool \(b)"
    case .float32(let v): "float32 \(v)"
    case .float64(let v): "float64 \(v)"
    default: "\(type) \(integer.map(String.init) ?? "?")"
    }
  }
}

/// A metadata array, stored compactly by element type.
public indirect enum GGUFArray: Sendable, Equatable {
  case uint8([UInt8]), int8([Int8]), uint16([UInt16]), int16([Int16]), uint32([UInt32]), int32([Int32])
  case uint64([UInt64]), int64([Int64]), float32([Float]), float64([Double]), bool([Bool])
  case string([String])
  case array([GGUFArray])

  /// The number of elements.
  public var count: Int {
    switch self {
    case .uint8(let a): a.count
    case .int8(let a): a.count
    case .uint16(let a): a.count
    case .int16(let a): a.count
    case .uint32(let a): a.count
    case .int32(let a): a.count
    case .uint64(let a): a.count
    case .int64(let a): a.count
    case .float32(let a): a.count
    case .float64(let a): a.count
    case .bool(let a): a.count
    case .string(let a): a.count
    case .array(let a): a.count
    }
  }

  /// The element type id.
  public var elementType: GGUFValueType {
    switch self {
    case .uint8: .uint8
    case .int8: .int8
    case .uint16: .uint16
    case .int16: .int16
    case .uint32: .uint32
    case .int32: .int32
    case .uint64: .uint64
    case .int64: .int64
    case .float32: .float32
    case .float64: .float64
    case .bool: .bool
    case .string: .string
    case .array: .array
    }
  }

  /// The elements as integers, for integer element types (nil otherwise, or if one does not fit).
  public var integers: [Int]? {
    switch self {
    case .uint8(let a): a.map(Int.init)
    case .int8(let a): a.map(Int.init)
    case .uint16(let a): a.map(Int.init)
    case .int16(let a): a.map(Int.init)
    case .uint32(let a): a.map(Int.init)
    case .int32(let a): a.map(Int.init)
    case .int64(let a): a.map(Int.init)
    case .uint64(let a): a.allSatisfy { $0 <= UInt64(Int.max) } ? a.map { Int($0) } : nil
    default: nil
    }
  }

  /// The elements, for a string array.
  public var strings: [String]? {
    if case .string(let a) = self { return a }
    return nil
  }
}
