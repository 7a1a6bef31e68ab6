import Safetensors
import TensorCore

extension DType {
  /// The float encoding of a floating-point dtype; `nil` for integers and booleans.
  public var floatEncoding: FloatEncoding? {
    switch self {
    case .f64: .f64
    case .f32: .f32
    case .f16: .f16
    case .bf16: .bf16
    case .f8E4M3: .f8E4M3
    case .f8E5M2: .f8E5M2
    default: nil
    }
  }
}

extension Tensor {
  /// Decodes a stored floating-point tensor into Float32 values.
  public init(decoding bytes: UnsafeRawBufferPointer, dtype: DType, shape: [Int]) {
    guard let encoding = dtype.floatEncoding else {
      preconditionFailure("Tensor(decoding:): \(dtype.rawValue) is not a floating-point dtype")
    }
    self.init(shape: shape, scalars: decodeFloats(bytes, as: encoding))
  }

  /// The little-endian bytes of these values stored as `dtype` (a floating-point dtype).
  public func encoded(as dtype: DType) -> [UInt8] {
    guard let encoding = dtype.floatEncoding else {
      preconditionFailure("Tensor.encoded(as:): \(dtype.rawValue) is not a floating-point dtype")
    }
    return encodeFloats(scalars, as: encoding)
  }
}

extension Array where Element: FixedWidthInteger {
  /// The little-endian bytes of these integers.
  public var littleEndianBytes: [UInt8] {
    var bytes = [UInt8]()
    bytes.reserveCapacity(count * MemoryLayout<Element>.size)
    for value in self {
      Swift.withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
    return bytes
  }

  /// Integers read from little-endian bytes.
  public init(littleEndianBytes bytes: UnsafeRawBufferPointer) {
    let size = MemoryLayout<Element>.size
    self = (0..<(bytes.count / size)).map { index in
      Element(littleEndian: bytes.loadUnaligned(fromByteOffset: index * size, as: Element.self))
    }
  }
}
