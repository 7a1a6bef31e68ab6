import TensorCore

// Legend: R = rows = out (output features), C = columns = in (input features),
// G = groups along the input dimension = ceil(C / groupSize) (1 when per row).

/// A linear weight `(out, in)` quantized to `bits`-bit codes with one F16 scale and one zero point per
/// (group, row); `W[r, c] ≈ scales[g, r] · (codes[r, c] − zeros[g, r])` with `g = gIdx[c]`.
///
/// Group `g` normally covers columns `[g·gs, min((g+1)·gs, in))`, so the last group may be narrower
/// (576 inputs, group 128 → four groups of 128 and one of 64) and `gIdx[c] = c / gs`. Any `gIdx`
/// with entries in `0..<groupCount` is allowed: GPTQ act-order produces non-monotone ones.
public struct QuantizedMatrix: Sendable, Equatable {
  /// Output features (rows of the weight).
  public let rows: Int
  /// Input features (columns of the weight).
  public let columns: Int
  /// Bit width, grouping and symmetry the codes were made with.
  public let scheme: QuantizationScheme
  /// Codes in `0...scheme.maxCode`, row-major like the weight. // (R, C)
  public let codes: [UInt8]
  /// Scales, group-major: `scales[g * rows + r]`; each positive, finite, F16-representable. // (G, R)
  public let scales: [Float]
  /// True zero points (not GPTQ v1's zero − 1), `zeros[g * rows + r]` in `0...maxCode`. // (G, R)
  public let zeros: [Int32]
  /// The group of each input column, in `0..<groupCount`. // (C)
  public let gIdx: [Int32]

  /// Creates a quantized matrix; every count and range is checked (caller misuse traps).
  public init(
    rows: Int, columns: Int, scheme: QuantizationScheme, codes: [UInt8], scales: [Float],
    zeros: [Int32], gIdx: [Int32]
  ) {
    let groups = scheme.groupCount(columns: columns)
    precondition(
      rows >= 0 && columns >= 0 && codes.count == rows * columns,
      "QuantizedMatrix: \(codes.count) codes for shape (\(rows), \(columns))")
    precondition(
      scales.count == groups * rows && zeros.count == groups * rows,
      "QuantizedMatrix: \(scales.count) scales / \(zeros.count) zeros for (\(groups) groups, \(rows) rows)")
    precondition(gIdx.count == columns, "QuantizedMatrix: \(gIdx.count) g_idx for \(columns) columns")
    precondition(
      gIdx.allSatisfy { $0 >= 0 && Int($0) < groups },
      "QuantizedMatrix: g_idx entry outside 0..<\(groups)")
    let maxCode = scheme.maxCode
    precondition(Int(largest(codes)) <= maxCode, "QuantizedMatrix: code above \(maxCode)")
    precondition(
      zeros.allSatisfy { $0 >= 0 && Int($0) <= maxCode },
      "QuantizedMatrix: zero point outside 0...\(maxCode)")
    precondition(
      scales.allSatisfy(QuantizationGrid.isStorableScale),
      "QuantizedMatrix: scale not positive, finite and F16-representable")
    self.rows = rows
    self.columns = columns
    self.scheme = scheme
    self.codes = codes
    self.scales = scales
    self.zeros = zeros
    self.gIdx = gIdx
  }

  /// The number of groups along the input dimension.
  public var groupCount: Int { scheme.groupCount(columns: columns) }

  /// The grid of group `group` of row `row`.
  public func grid(group: Int, row: Int) -> QuantizationGrid {
    QuantizationGrid(
      scale: scales[group * rows + row], zero: zeros[group * rows + row],
      maxCode: Int32(scheme.maxCode))
  }

  /// The weight the codes stand for: `scales[g, r] · (codes[r, c] − zeros[g, r])`, `g = gIdx[c]`,
  /// computed in Float32. // (R, C)
  public func dequantized() -> Tensor {
    var out = [Float](repeating: 0, count: rows * columns)  // (R, C)
    codes.withUnsafeBufferPointer { codes in
      scales.withUnsafeBufferPointer { scales in
        zeros.withUnsafeBufferPointer { zeros in
          gIdx.withUnsafeBufferPointer { gIdx in
            out.withUnsafeMutableBufferPointer { out in
              for r in 0..<rows {
                let base = r * columns
                for c in 0..<columns {
                  let g = Int(gIdx[c]) * rows + r
                  out[base + c] = scales[g] * Float(Int32(codes[base + c]) - zeros[g])
                }
              }
            }
          }
        }
      }
    }
    return Tensor(shape: [rows, columns], scalars: out)
  }

  /// The default `gIdx` of `columns` inputs in groups of `groupWidth`: `gIdx[c] = c / groupWidth`.
  public static func sequentialGroupIndex(columns: Int, groupWidth: Int) -> [Int32] {
    precondition(groupWidth >= 1, "QuantizedMatrix: group width \(groupWidth) < 1")
    return (0..<columns).map { Int32($0 / groupWidth) }
  }
}

/// The largest of `codes` (0 when empty), in a loop that vectorizes: codes are checked on every
/// matrix, and a closure per byte costs more than the check is worth.
private func largest(_ codes: [UInt8]) -> UInt8 {
  codes.withUnsafeBufferPointer { codes in
    var largest: UInt8 = 0
    for code in codes { largest = max(largest, code) }
    return largest
  }
}
