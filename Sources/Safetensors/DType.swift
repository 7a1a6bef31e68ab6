/// The element types of the safetensors format, spelled as in the header's `dtype` field.
public enum DType: String, Sendable, CaseIterable, Codable {
  /// IEEE 754 binary64.
  case f64 = "F64"
  /// IEEE 754 binary32.
  case f32 = "F32"
  /// IEEE 754 binary16.
  case f16 = "F16"
  /// bfloat16: the top half of a binary32.
  case bf16 = "BF16"
  /// 8-bit float, 4 exponent and 3 mantissa bits (OCP E4M3FN).
  case f8E4M3 = "F8_E4M3"
  /// 8-bit float, 5 exponent and 2 mantissa bits (OCP E5M2).
  case f8E5M2 = "F8_E5M2"
  /// Signed 64-bit integer.
  case i64 = "I64"
  /// Signed 32-bit integer.
  case i32 = "I32"
  /// Signed 16-bit integer.
  case i16 = "I16"
  /// Signed 8-bit integer.
  case i8 = "I8"
  /// Unsigned 64-bit integer.
  case u64 = "U64"
  /// Unsigned 32-bit integer.
  case u32 = "U32"
  /// Unsigned 16-bit integer.
  case u16 = "U16"
  /// Unsigned 8-bit integer.
  case u8 = "U8"
  /// Boolean, one byte per element (0 or 1).
  case bool = "BOOL"

  /// The size of one element in bytes.
  public var byteSize: Int {
    switch self {
    case .f64, .i64, .u64: 8
    case .f32, .i32, .u32: 4
    case .f16, .bf16, .i16, .u16: 2
    case .f8E4M3, .f8E5M2, .i8, .u8, .bool: 1
    }
  }

  /// Whether the elements are floating-point numbers.
  public var isFloatingPoint: Bool {
    switch self {
    case .f64, .f32, .f16, .bf16, .f8E4M3, .f8E5M2: true
    default: false
    }
  }
}

/// One tensor's entry in a safetensors header.
public struct TensorInfo: Sendable, Equatable {
  /// The tensor's name, the key of its header entry.
  public let name: String
  /// The element type.
  public let dtype: DType
  /// The dimensions, outermost first; empty for a scalar.
  public let shape: [Int]
  /// The byte range of the tensor's data, relative to the start of the data section.
  public let dataOffsets: Range<Int>

  /// Creates an entry; the header parser and the writer guarantee its consistency.
  public init(name: String, dtype: DType, shape: [Int], dataOffsets: Range<Int>) {
    self.name = name
    self.dtype = dtype
    self.shape = shape
    self.dataOffsets = dataOffsets
  }

  /// The number of elements (1 for a scalar, 0 when a dimension is 0).
  public var elementCount: Int { shape.reduce(1, *) }

  /// The number of data bytes, `elementCount × dtype.byteSize`.
  public var byteCount: Int { dataOffsets.count }
}

/// Checked `shape × dtype` byte count: `nil` when the product overflows `Int`.
func checkedByteCount(shape: [Int], dtype: DType) -> Int? {
  var count = dtype.byteSize
  for dimension in shape {
    let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
    if overflow { return nil }
    count = product
  }
  return count
}

/// Checked element count: `nil` when the product overflows `Int`.
func checkedElementCount(shape: [Int]) -> Int? {
  var count = 1
  for dimension in shape {
    let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
    if overflow { return nil }
    count = product
  }
  return count
}
