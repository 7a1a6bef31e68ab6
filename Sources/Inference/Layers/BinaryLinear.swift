// A linear weight stored as signs, the runtime form of the `binary` encoding (docs/binarize.md).
//
// Legend: O = out = rows, I = in = columns, N = tokens, k = the residual's rank,
// s[r, c] = +1 where bit c of row r is set, else −1.
//
//   W[r, c] = α_r·s[r, c] + μ_r          (α, μ per row, or one of each for the matrix)
//           = m_r + q_i·d_r               at a salient position i of row r (8-bit codes q_i)
//           + (B·A)[r, c]                 the low-rank estimate of the binarization residual
//
// The engine keeps the packed signs (1 bit per weight) and decodes one block of rows at a time
// into a scratch buffer for sgemm; the residual runs as two thin products.
import TensorCore

/// A binarized linear weight `(out, in)`, held packed.
public struct BinaryLinear: Sendable, Equatable {
  /// Weights kept at 8 bits (PB-LLM's salient weights), by row (CSR): row `r`'s positions are
  /// `columns[rowOffsets[r]..<rowOffsets[r + 1]]`, each holding `minimum[r] + codes[i]·scale[r]`.
  public struct Salient: Sendable, Equatable {
    /// `(out + 1)`, non-decreasing, from 0 to the number of salient weights.
    public var rowOffsets: [Int32]
    /// Column of each salient weight, ascending within a row.
    public var columns: [Int32]
    public var codes: [UInt8]
    /// Per row. // (O)
    public var scale: [Float]
    public var minimum: [Float]

    public init(rowOffsets: [Int32], columns: [Int32], codes: [UInt8], scale: [Float], minimum: [Float]) {
      self.rowOffsets = rowOffsets
      self.columns = columns
      self.codes = codes
      self.scale = scale
      self.minimum = minimum
    }

    public var count: Int { columns.count }
  }

  public let out: Int
  public let inputs: Int
  /// Row-major, `⌈in/8⌉` bytes per row, bit `c % 8` of byte `c / 8` set where s = +1. // (O, ⌈I/8⌉)
  public let bits: [UInt8]
  /// One per row, or one for the matrix.
  public let alpha: [Float]
  public let mu: [Float]
  public let salient: Salient?
  /// The residual's factors: A `(k, in)`, B `(out, k)`.
  public let residualA: Tensor?
  public let residualB: Tensor?

  public init(
    out: Int, inputs: Int, bits: [UInt8], alpha: [Float], mu: [Float], salient: Salient? = nil,
    residualA: Tensor? = nil, residualB: Tensor? = nil
  ) {
    precondition(bits.count == out * Self.bytesPerRow(inputs), "BinaryLinear: \(bits.count) bytes of signs for \(out) × \(inputs)")
    precondition(alpha.count == mu.count && (alpha.count == out || alpha.count == 1), "BinaryLinear: \(alpha.count) scales for \(out) rows")
    precondition((residualA == nil) == (residualB == nil), "BinaryLinear: one residual factor without the other")
    if let a = residualA, let b = residualB {
      precondition(a.shape == [b.shape[1], inputs] && b.shape[0] == out, "BinaryLinear: residual A \(a.shape), B \(b.shape)")
    }
    if let salient {
      precondition(salient.rowOffsets.count == out + 1 && salient.scale.count == out && salient.minimum.count == out
        && salient.codes.count == salient.columns.count && Int(salient.rowOffsets[out]) == salient.columns.count,
        "BinaryLinear: inconsistent salient weights")
    }
    self.out = out
    self.inputs = inputs
    self.bits = bits
    self.alpha = alpha
    self.mu = mu
    self.salient = salient
    self.residualA = residualA
    self.residualB = residualB
  }

  /// Bytes of packed signs per row.
  public static func bytesPerRow(_ columns: Int) -> Int { (columns + 7) / 8 }

  /// Packs row-major flags `(rows, columns)` into `⌈columns/8⌉` bytes per row, lowest bit first
  /// (numpy's `packbits(…, axis=1, bitorder="little")`); padding bits are 0.
  public static func pack(_ flags: [Bool], rows: Int, columns: Int) -> [UInt8] {
    precondition(flags.count == rows * columns, "BinaryLinear.pack: \(flags.count) flags for \(rows) × \(columns)")
    let width = bytesPerRow(columns)
    var bytes = [UInt8](repeating: 0, count: rows * width)
    for r in 0..<rows {
      for c in 0..<columns where flags[r * columns + c] { bytes[r * width + c / 8] |= 1 << UInt8(c % 8) }
    }
    return bytes
  }

  /// The flags `pack` stored, `(rows, columns)` row-major.
  public static func unpack(_ bytes: [UInt8], rows: Int, columns: Int) -> [Bool] {
    precondition(bytes.count == rows * bytesPerRow(columns), "BinaryLinear.unpack: \(bytes.count) bytes for \(rows) × \(columns)")
    let width = bytesPerRow(columns)
    return (0..<(rows * columns)).map { i in
      let (r, c) = (i / columns, i % columns)
      return bytes[r * width + c / 8] & (1 << UInt8(c % 8)) != 0
    }
  }

  /// Writes rows `rows` of α·s + μ, with the salient weights in place (no residual), into
  /// `buffer` `(rows.count, in)`.
  public func decodeRows(_ rows: Range<Int>, into buffer: UnsafeMutablePointer<Float>) {
    let width = Self.bytesPerRow(inputs)
    let full = inputs / 8
    bits.withUnsafeBufferPointer { bits in
      for r in rows {
        let a = alpha.count == 1 ? alpha[0] : alpha[r]
        let m = mu.count == 1 ? mu[0] : mu[r]
        let (plus, minus) = (m + a, m - a)
        let row = buffer + (r - rows.lowerBound) * inputs
        let packed = bits.baseAddress! + r * width
        for byte in 0..<full {
          let value = packed[byte]
          let target = row + byte * 8
          for bit in 0..<8 { target[bit] = value & (1 << UInt8(bit)) != 0 ? plus : minus }
        }
        for c in (full * 8)..<inputs { row[c] = packed[c / 8] & (1 << UInt8(c % 8)) != 0 ? plus : minus }
        if let salient {
          let (d, low) = (salient.scale[r], salient.minimum[r])
          for i in Int(salient.rowOffsets[r])..<Int(salient.rowOffsets[r + 1]) {
            row[Int(salient.columns[i])] = low + Float(salient.codes[i]) * d
          }
        }
      }
    }
  }

  /// The dense weight `(out, in)`, residual included.
  public func dense() -> Tensor {
    var w = Tensor(shape: [out, inputs])
    w.withUnsafeMutableBufferPointer { decodeRows(0..<out, into: $0.baseAddress!) }
    if let a = residualA, let b = residualB { gemm(b, a, into: &w, alpha: 1, beta: 1) }
    return w
  }

  /// `x · Wᵀ + bias` for `x` `(N, in)`: the signs are decoded block of rows by block of rows into a
  /// scratch buffer of about 1 MiB and multiplied by sgemm; the residual adds `(x·Aᵀ)·Bᵀ`.
  public func apply(_ x: Tensor, bias: Tensor?) -> Tensor {
    precondition(x.rank == 2 && x.shape[1] == inputs, "BinaryLinear: input \(x.shape) for (\(out), \(inputs))")
    let n = x.shape[0]
    var y = Tensor(shape: [n, out])  // (N, O)
    let blockRows = max(8, min(out, (1 << 18) / max(inputs, 1)))
    var scratch = [Float](repeating: 0, count: blockRows * inputs)  // (rows, I)
    x.withUnsafeBufferPointer { x in
      y.withUnsafeMutableBufferPointer { y in
        scratch.withUnsafeMutableBufferPointer { scratch in
          for r0 in stride(from: 0, to: out, by: blockRows) {
            let rows = r0..<min(r0 + blockRows, out)
            decodeRows(rows, into: scratch.baseAddress!)
            gemm(
              m: n, n: rows.count, k: inputs, alpha: 1, a: x.baseAddress!, lda: inputs,
              b: scratch.baseAddress!, ldb: inputs, transposeB: true, beta: 0, c: y.baseAddress! + r0, ldc: out)
          }
        }
      }
    }
    if let a = residualA, let b = residualB {
      let inner = matmul(x, a, transposeB: true)  // (N, k)
      gemm(inner, b, into: &y, alpha: 1, beta: 1, transposeB: true)
    }
    if let bias { addRowVector(&y, bias) }
    return y
  }
}
