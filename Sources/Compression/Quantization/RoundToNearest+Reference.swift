import TensorCore

/// Reference twins written the plain way, one element at a time, to hold the fast kernels to.
public enum QuantizationReference {
  /// `quantizeRoundToNearest` spelled out after `quant.py` (`find_params` then `quantize`), with
  /// the same deliberate F16-scale step; tests require bit-identical results.
  public static func quantizeRoundToNearest(
    _ weight: Tensor, scheme: QuantizationScheme, minimumZero: Int32 = 0
  ) -> QuantizedMatrix {
    let rows = weight.shape[0]
    let columns = weight.shape[1]
    let maxq = Float(scheme.maxCode)
    let groupSize = scheme.groupSize ?? columns
    let groups = scheme.groupCount(columns: columns)
    var codes = [UInt8](repeating: 0, count: rows * columns)
    var scales = [Float](repeating: 0, count: groups * rows)
    var zeros = [Int32](repeating: 0, count: groups * rows)
    var gIdx = [Int32](repeating: 0, count: columns)
    for c in 0..<columns { gIdx[c] = Int32(c / groupSize) }
    for r in 0..<rows {
      for g in 0..<groups {
        let groupColumns = Array(g * groupSize..<min((g + 1) * groupSize, columns))
        let x = groupColumns.map { weight[r, $0] }
        // find_params
        var xmin = min(x.min()!, 0)
        var xmax = max(x.max()!, 0)
        if scheme.symmetric {
          xmax = max(abs(xmin), xmax)
          if xmin < 0 { xmin = -xmax }
        }
        if xmin == 0 && xmax == 0 {
          xmin = -1
          xmax = 1
        }
        var scale = Float(Float16((xmax - xmin) / maxq))  // the deliberate F16 step
        scale = min(max(scale, Float(Float16.leastNonzeroMagnitude)), 65504)
        var zero = scheme.symmetric ? (maxq + 1) / 2 : (-xmin / scale).rounded(.toNearestOrEven)
        zero = min(max(zero, 0), maxq)
        zero = max(zero, Float(minimumZero))
        scales[g * rows + r] = scale
        zeros[g * rows + r] = Int32(zero)
        // quantize
        for c in groupColumns {
          let q = min(max((weight[r, c] / scale).rounded(.toNearestOrEven) + zero, 0), maxq)
          codes[r * columns + c] = UInt8(q)
        }
      }
    }
    return QuantizedMatrix(
      rows: rows, columns: columns, scheme: scheme, codes: codes, scales: scales, zeros: zeros,
      gIdx: gIdx)
  }
}
