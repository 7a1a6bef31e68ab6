import TensorCore

// Round-to-nearest (RTN) quantization: every group of every row gets the reference min-max grid
// (`QuantizationGrid`, after IST-DASLab/gptq `quant.py`) and every weight its nearest code on it.
// Legend: R = rows = out, C = columns = in, G = groups = ceil(C / groupSize).

/// Quantizes a linear weight `(out, in)` by round-to-nearest on per-(group, row) min-max grids.
///
/// Group `g` covers columns `[g·gs, min((g+1)·gs, in))` and `gIdx[c] = c / gs`. The scale of each
/// grid is rounded to F16 first and the codes are `clamp(round(w/s) + z, 0, maxCode)` with ties to
/// even. `minimumZero` raises every zero point to at least that value; pass
/// `GPTQPackedTensors.minimumZero` (1) for asymmetric schemes that will be written in the v1
/// "gptq" checkpoint format, which cannot store a zero point of 0.
/// - Precondition: `weight` has rank 2 and only finite values; `minimumZero` in `0...maxCode`.
public func quantizeRoundToNearest(
  _ weight: Tensor, scheme: QuantizationScheme, minimumZero: Int32 = 0
) -> QuantizedMatrix {
  precondition(weight.rank == 2, "quantizeRoundToNearest: weight shape \(weight.shape) is not (out, in)")
  let rows = weight.shape[0]
  let columns = weight.shape[1]
  let groups = scheme.groupCount(columns: columns)
  let width = scheme.groupWidth(columns: columns)
  var codes = [UInt8](repeating: 0, count: rows * columns)  // (R, C)
  var scales = [Float](repeating: 0, count: groups * rows)  // (G, R)
  var zeros = [Int32](repeating: 0, count: groups * rows)  // (G, R)
  weight.scalars.withUnsafeBufferPointer { w in
    codes.withUnsafeMutableBufferPointer { codes in
      for r in 0..<rows {
        for g in 0..<groups {
          let start = r * columns + g * width
          let end = r * columns + Swift.min((g + 1) * width, columns)
          let grid = fitGrid(
            UnsafeBufferPointer(rebasing: w[start..<end]), scheme: scheme, minimumZero: minimumZero)
          scales[g * rows + r] = grid.scale
          zeros[g * rows + r] = grid.zero
          writeCodes(
            UnsafeBufferPointer(rebasing: w[start..<end]), grid: grid,
            into: UnsafeMutableBufferPointer(rebasing: codes[start..<end]))
        }
      }
    }
  }
  return QuantizedMatrix(
    rows: rows, columns: columns, scheme: scheme, codes: codes, scales: scales, zeros: zeros,
    gIdx: QuantizedMatrix.sequentialGroupIndex(columns: columns, groupWidth: width))
}

/// The min-max grid of one contiguous group (a single min/max pass, finiteness checked).
private func fitGrid(
  _ values: UnsafeBufferPointer<Float>, scheme: QuantizationScheme, minimumZero: Int32
) -> QuantizationGrid {
  var minimum: Float = 0  // the reference includes 0 in the range anyway
  var maximum: Float = 0
  var sawNaN = false
  for value in values {
    minimum = Swift.min(minimum, value)
    maximum = Swift.max(maximum, value)
    sawNaN = sawNaN || value.isNaN
  }
  precondition(
    minimum.isFinite && maximum.isFinite && !sawNaN,
    "quantizeRoundToNearest: non-finite weight in a group of \(values.count)")
  return QuantizationGrid(
    minimum: minimum, maximum: maximum, bits: scheme.bits, symmetric: scheme.symmetric,
    minimumZero: minimumZero)
}

/// `codes[i] = clamp(round(values[i] / scale) + zero, 0, maxCode)`, ties to even.
private func writeCodes(
  _ values: UnsafeBufferPointer<Float>, grid: QuantizationGrid,
  into codes: UnsafeMutableBufferPointer<UInt8>
) {
  let scale = grid.scale
  let zero = Float(grid.zero)
  let maxCode = Float(grid.maxCode)
  for i in values.indices {
    let shifted = (values[i] / scale).rounded(.toNearestOrEven) + zero
    codes[i] = UInt8(Swift.min(Swift.max(shifted, 0), maxCode))
  }
}
