/// Why a quantization scheme, a quantized matrix or a packed GPTQ tensor set was rejected.
///
/// One case per rule; each message names the numbers involved.
public enum QuantizationError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The bit width lies outside `2...8`.
  case bitsOutOfRange(bits: Int)
  /// A group size was given but is smaller than 1 (use `nil` for one group per row).
  case groupSizeNotPositive(groupSize: Int)
  /// The input dimension (columns) is not a multiple of what the GPTQ `qweight` packing needs.
  case columnsNotMultiple(columns: Int, multiple: Int, bits: Int)
  /// The output dimension (rows) is not a multiple of what the GPTQ `qzeros` packing needs.
  case rowsNotMultiple(rows: Int, multiple: Int, bits: Int)
  /// An asymmetric zero point of 0 cannot be stored in the v1 "gptq" format (stored as zero − 1).
  case zeroPointNotStorable(zero: Int32, group: Int, row: Int)
  /// A packed tensor does not have the shape that `(rows, columns, scheme)` imply.
  case packedShapeMismatch(tensor: String, expected: [Int], actual: [Int])
  /// A packed tensor's element count does not match its declared shape.
  case packedCountMismatch(tensor: String, shape: [Int], count: Int)
  /// A `g_idx` entry names a group outside `0..<groupCount`.
  case groupIndexOutOfRange(column: Int, groupIndex: Int32, groupCount: Int)
  /// A stored F16 scale is NaN, infinite, zero or negative.
  case scaleNotPositiveFinite(group: Int, row: Int, bitPattern: UInt16)

  /// A one-line message naming the tensor or setting and the numbers involved.
  public var description: String {
    switch self {
    case .bitsOutOfRange(let bits):
      return "quantization: bits \(bits) is outside 2...8"
    case .groupSizeNotPositive(let groupSize):
      return "quantization: group size \(groupSize) is < 1 (use nil for one group per row)"
    case .columnsNotMultiple(let columns, let multiple, let bits):
      return "GPTQ layout: \(columns) input columns is not a multiple of \(multiple) (\(bits)-bit qweight)"
    case .rowsNotMultiple(let rows, let multiple, let bits):
      return "GPTQ layout: \(rows) output rows is not a multiple of \(multiple) (\(bits)-bit qzeros)"
    case .zeroPointNotStorable(let zero, let group, let row):
      return "GPTQ v1 layout: zero point \(zero) at group \(group), row \(row) underflows zero − 1 "
        + "(quantize with minimumZero: 1)"
    case .packedShapeMismatch(let tensor, let expected, let actual):
      return "GPTQ layout: \(tensor) has shape \(actual), expected \(expected)"
    case .packedCountMismatch(let tensor, let shape, let count):
      return "GPTQ layout: \(tensor) holds \(count) elements, shape \(shape) needs \(shape.reduce(1, *))"
    case .groupIndexOutOfRange(let column, let groupIndex, let groupCount):
      return "GPTQ layout: g_idx[\(column)] = \(groupIndex) is outside 0..<\(groupCount)"
    case .scaleNotPositiveFinite(let group, let row, let bitPattern):
      let hex = String(bitPattern, radix: 16)
      return "GPTQ layout: scales[\(group), \(row)] = 0x\(hex) is not a positive finite F16"
    }
  }
}
