import Inference
import Safetensors
import TensorCore

/// A binarized linear (`BinaryLinear`) as an `EncodedTensor`, for module `M` (the weight's name
/// without `.weight`), in `nn.Linear` orientation `(out, in)` whatever the checkpoint's layout (the
/// manifest's `layout` says how to turn it back into the stored shape):
///
/// - `M.binary.bits` U8 `[out, ⌈in/8⌉]`: bit `c % 8` of byte `c / 8` of row `r` set where
///   W[r, c] = μ + α (numpy's `packbits(…, axis=1, bitorder="little")`);
/// - `M.binary.alpha`, `M.binary.mu` F16 `[out]` (`scale=row`) or `[1]` (`scale=matrix`);
/// - with a residual, `M.binary.residual.A` F16 `[k, in]` and `M.binary.residual.B` F16 `[out, k]`,
///   added as B·A;
/// - with salient weights (CSR by row), `M.binary.salient.row_offsets` I32 `[out + 1]`,
///   `M.binary.salient.columns` U16 (I32 when in > 65536) `[n]`, `M.binary.salient.codes` U8 `[n]`,
///   `M.binary.salient.scale` and `M.binary.salient.minimum` F16 `[out]`: the weight at a salient
///   position is `minimum[r] + code·scale[r]` (its sign bit is 0 and unused).
///
/// The bias is not touched. See docs/binarize.md.
public enum BinaryEncoding {
  /// The manifest's encoding name.
  public static let name = "binary"

  public static func encode(
    _ matrix: BinaryLinear, scale: BinaryScale, originalDType: DType, originalShape: [Int], layout: WeightLayout
  ) -> EncodedTensor {
    let (out, inputs) = (matrix.out, matrix.inputs)
    func half(_ suffix: String, _ values: [Float], shape: [Int]) -> EncodedTensor.Part {
      .init(suffix: suffix, dtype: .f16, shape: shape, bytes: Tensor(shape: shape, scalars: values).encoded(as: .f16))
    }
    var parts: [EncodedTensor.Part] = [
      .init(suffix: "binary.bits", dtype: .u8, shape: [out, BinaryLinear.bytesPerRow(inputs)], bytes: matrix.bits),
      half("binary.alpha", matrix.alpha, shape: [matrix.alpha.count]),
      half("binary.mu", matrix.mu, shape: [matrix.mu.count]),
    ]
    let parameters = [
      "layout": layout.rawValue, "scale": scale.rawValue, "residual_rank": "\(matrix.residualA?.shape[0] ?? 0)",
      "salient": "\(matrix.salient?.count ?? 0)",
    ]
    if let a = matrix.residualA, let b = matrix.residualB {
      parts.append(half("binary.residual.A", a.scalars, shape: a.shape))
      parts.append(half("binary.residual.B", b.scalars, shape: b.shape))
    }
    if let salient = matrix.salient {
      let n = salient.count
      let columns: EncodedTensor.Part =
        inputs <= 1 << 16
        ? .init(suffix: "binary.salient.columns", dtype: .u16, shape: [n], bytes: salient.columns.map { UInt16($0) }.littleEndianBytes)
        : .init(suffix: "binary.salient.columns", dtype: .i32, shape: [n], bytes: salient.columns.littleEndianBytes)
      parts += [
        .init(suffix: "binary.salient.row_offsets", dtype: .i32, shape: [out + 1], bytes: salient.rowOffsets.littleEndianBytes),
        columns,
        .init(suffix: "binary.salient.codes", dtype: .u8, shape: [n], bytes: salient.codes),
        half("binary.salient.scale", salient.scale, shape: [out]),
        half("binary.salient.minimum", salient.minimum, shape: [out]),
      ]
    }
    let entry = ManifestEntry(encoding: name, dtype: originalDType.rawValue, shape: originalShape, parameters: parameters)
    return EncodedTensor(entry: entry, parts: parts)
  }

  /// The stored matrix, checked part by part against the manifest's shape.
  static func matrix(_ parts: StoredParts, entry: ManifestEntry) throws(CompressionError) -> BinaryLinear {
    func invalid(_ reason: String) -> CompressionError {
      .invalidManifest(path: parts.path, reason: "binary `\(parts.tensor)`: \(reason)")
    }
    guard entry.shape.count == 2, let layout = WeightLayout(rawValue: entry.parameters["layout"] ?? "") else {
      throw invalid("the entry lacks a layout or a 2-D shape")
    }
    let (out, inputs) = layout == .outIn ? (entry.shape[0], entry.shape[1]) : (entry.shape[1], entry.shape[0])
    func expect(_ suffix: String, _ shape: [Int]) throws(CompressionError) {
      let found = try parts.shape(suffix)
      guard found == shape else { throw invalid("`\(suffix)` is \(found), expected \(shape)") }
    }
    try expect("binary.bits", [out, BinaryLinear.bytesPerRow(inputs)])
    let bits = try parts.integers("binary.bits", as: UInt8.self)
    let alpha = try parts.floats("binary.alpha")
    let mu = try parts.floats("binary.mu")
    guard (alpha.count == out || alpha.count == 1), mu.count == alpha.count else {
      throw invalid("\(alpha.count) scales and \(mu.count) means for \(out) rows (expected \(out) or 1 of each)")
    }
    var a: Tensor?
    var b: Tensor?
    if parts.has("binary.residual.A") || parts.has("binary.residual.B") {
      let k = try parts.shape("binary.residual.A").first ?? 0
      try expect("binary.residual.A", [k, inputs])
      try expect("binary.residual.B", [out, k])
      a = Tensor(shape: [k, inputs], scalars: try parts.floats("binary.residual.A"))
      b = Tensor(shape: [out, k], scalars: try parts.floats("binary.residual.B"))
    }
    var salient: BinaryLinear.Salient?
    if parts.has("binary.salient.row_offsets") {
      let offsets = try parts.integers("binary.salient.row_offsets", as: Int32.self)
      let columns: [Int32]
      if try parts.dtype("binary.salient.columns") == .u16 {
        columns = try parts.integers("binary.salient.columns", as: UInt16.self).map { Int32($0) }
      } else {
        columns = try parts.integers("binary.salient.columns", as: Int32.self)
      }
      let codes = try parts.integers("binary.salient.codes", as: UInt8.self)
      let scale = try parts.floats("binary.salient.scale")
      let minimum = try parts.floats("binary.salient.minimum")
      guard offsets.count == out + 1, offsets.first == 0, zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 }),
        Int(offsets[out]) == columns.count, codes.count == columns.count, scale.count == out, minimum.count == out
      else { throw invalid("the salient weights' row offsets, columns, codes and grids do not agree") }
      for r in 0..<out {
        let row = columns[Int(offsets[r])..<Int(offsets[r + 1])]
        guard row.allSatisfy({ 0 <= $0 && Int($0) < inputs }), zip(row, row.dropFirst()).allSatisfy({ $0 < $1 }) else {
          throw invalid("row \(r)'s salient columns are not ascending inside 0..<\(inputs)")
        }
      }
      salient = .init(rowOffsets: offsets, columns: columns, codes: codes, scale: scale, minimum: minimum)
    }
    return BinaryLinear(
      out: out, inputs: inputs, bits: bits, alpha: alpha, mu: mu, salient: salient, residualA: a, residualB: b)
  }

  /// The dense weight in its stored orientation.
  static func decode(_ parts: StoredParts, entry: ManifestEntry) throws(CompressionError) -> Tensor {
    let dense = try matrix(parts, entry: entry).dense()
    return entry.parameters["layout"] == WeightLayout.inOut.rawValue ? dense.transposed() : dense
  }
}
