/// How a weight matrix is quantized: bit width, grouping along the input dimension, symmetry.
///
/// Values are validated on creation (also when decoded), so a scheme in hand is always usable.
public struct QuantizationScheme: Sendable, Equatable, Codable {
  /// Bits per code, `2...8`; codes lie in `0...2^bits − 1`.
  public let bits: Int
  /// Columns per group along the input dimension; `nil` means one group per row.
  public let groupSize: Int?
  /// Symmetric grid (zero point fixed at `2^(bits−1)`) or asymmetric (zero point from the minimum).
  public let symmetric: Bool

  /// Creates a validated scheme.
  /// - Throws: `.bitsOutOfRange` unless `2...8`; `.groupSizeNotPositive` for a group size < 1.
  public init(bits: Int, groupSize: Int?, symmetric: Bool) throws(QuantizationError) {
    guard (2...8).contains(bits) else { throw .bitsOutOfRange(bits: bits) }
    if let groupSize, groupSize < 1 { throw .groupSizeNotPositive(groupSize: groupSize) }
    self.bits = bits
    self.groupSize = groupSize
    self.symmetric = symmetric
  }

  /// The largest code, `2^bits − 1`.
  public var maxCode: Int { (1 << bits) - 1 }

  /// The number of groups a row of `columns` inputs splits into: `ceil(columns / groupSize)`,
  /// 1 when `groupSize` is nil (0 for an empty row).
  public func groupCount(columns: Int) -> Int {
    guard columns > 0 else { return 0 }
    guard let groupSize else { return 1 }
    return (columns + groupSize - 1) / groupSize
  }

  /// The effective group width for `columns` inputs: `groupSize`, or `columns` when per-row.
  public func groupWidth(columns: Int) -> Int {
    groupSize ?? max(columns, 1)
  }

  private enum CodingKeys: String, CodingKey {
    case bits, groupSize, symmetric
  }

  /// Decodes `{bits, groupSize (null or absent = per row), symmetric}` and validates it; a rule
  /// violation becomes `DecodingError.dataCorrupted` whose underlying error is the `QuantizationError`.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let bits = try container.decode(Int.self, forKey: .bits)
    let groupSize = try container.decodeIfPresent(Int.self, forKey: .groupSize)
    let symmetric = try container.decode(Bool.self, forKey: .symmetric)
    do {
      try self.init(bits: bits, groupSize: groupSize, symmetric: symmetric)
    } catch {
      throw DecodingError.dataCorrupted(
        DecodingError.Context(
          codingPath: container.codingPath, debugDescription: error.description,
          underlyingError: error))
    }
  }

  /// Encodes `{bits, groupSize, symmetric}` (`groupSize` null when per row).
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(bits, forKey: .bits)
    try container.encode(groupSize, forKey: .groupSize)
    try container.encode(symmetric, forKey: .symmetric)
  }
}
