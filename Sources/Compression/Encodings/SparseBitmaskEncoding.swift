import Inference
import Safetensors
import TensorCore

/// compressed-tensors' "sparse-bitmask" layout (the one vLLM and llm-compressor read) as an
/// `EncodedTensor`: for module `M` (the weight's name without `.weight`), `M.shape` I64 [2] (the
/// dense shape), `M.compressed` (the non-zero values in row-major order, in the weight's dtype,
/// 1-D), `M.bitmask` U8 [rows, ⌈cols/8⌉] (bit `c % 8` of byte `c / 8` set where column `c` is
/// non-zero, lowest bit first: numpy's `packbits(bitorder="little")`) and `M.row_offsets` I64
/// [rows] (where each row starts in `compressed`). The tensor is stored as it lies in the
/// checkpoint (no transposition). See docs/prune.md.
public enum SparseBitmaskEncoding {
  /// The manifest's encoding name, also compressed-tensors' format name.
  public static let name = "sparse-bitmask"

  /// Stores a dense 2-D `tensor` (checkpoint orientation) whose zeros are the pruned weights.
  public static func encode(_ tensor: Tensor, dtype: DType, pattern: String) -> EncodedTensor {
    let (rows, columns) = (tensor.shape[0], tensor.shape[1])
    let bytesPerRow = (columns + 7) / 8
    var bitmask = [UInt8](repeating: 0, count: rows * bytesPerRow)
    var values: [Float] = []
    var offsets: [Int64] = []
    offsets.reserveCapacity(rows)
    tensor.withUnsafeBufferPointer { w in
      for r in 0..<rows {
        offsets.append(Int64(values.count))
        for c in 0..<columns where w[r * columns + c] != 0 {
          values.append(w[r * columns + c])
          bitmask[r * bytesPerRow + c / 8] |= 1 << UInt8(c % 8)
        }
      }
    }
    let compressed = Tensor(shape: [values.count], scalars: values)
    let parts = [
      EncodedTensor.Part(suffix: "shape", dtype: .i64, shape: [2], bytes: [Int64(rows), Int64(columns)].littleEndianBytes),
      EncodedTensor.Part(suffix: "compressed", dtype: dtype, shape: [values.count], bytes: compressed.encoded(as: dtype)),
      EncodedTensor.Part(suffix: "bitmask", dtype: .u8, shape: [rows, bytesPerRow], bytes: bitmask),
      EncodedTensor.Part(suffix: "row_offsets", dtype: .i64, shape: [rows], bytes: offsets.littleEndianBytes),
    ]
    let entry = ManifestEntry(
      encoding: name, dtype: dtype.rawValue, shape: tensor.shape, parameters: ["sparsity_structure": pattern])
    return EncodedTensor(entry: entry, parts: parts)
  }

  /// Rebuilds the dense tensor from the stored parts, checking that they agree with each other.
  static func decode(_ parts: StoredParts, entry: ManifestEntry) throws(CompressionError) -> Tensor {
    func invalid(_ reason: String) -> CompressionError {
      .invalidManifest(path: parts.path, reason: "sparse-bitmask `\(parts.tensor)`: \(reason)")
    }
    let shape = try parts.integers("shape", as: Int64.self).map { Int($0) }
    guard shape.count == 2, shape == entry.shape, shape.allSatisfy({ $0 >= 0 }) else {
      throw invalid("shape \(shape) does not match the manifest's \(entry.shape)")
    }
    let (rows, columns) = (shape[0], shape[1])
    let bytesPerRow = (columns + 7) / 8
    let bitmask = try parts.integers("bitmask", as: UInt8.self)
    guard try parts.shape("bitmask") == [rows, bytesPerRow], bitmask.count == rows * bytesPerRow else {
      throw invalid("bitmask is \(try parts.shape("bitmask")), expected [\(rows), \(bytesPerRow)]")
    }
    let values = try parts.floats("compressed")
    let offsets = try parts.integers("row_offsets", as: Int64.self)
    guard offsets.count == rows else { throw invalid("\(offsets.count) row offsets for \(rows) rows") }
    var dense = [Float](repeating: 0, count: rows * columns)
    var next = 0
    for r in 0..<rows {
      guard offsets[r] == Int64(next) else { throw invalid("row \(r) starts at \(offsets[r]), expected \(next)") }
      for c in 0..<columns where bitmask[r * bytesPerRow + c / 8] & (1 << UInt8(c % 8)) != 0 {
        guard next < values.count else { throw invalid("the bitmask marks more values than the \(values.count) stored") }
        dense[r * columns + c] = values[next]
        next += 1
      }
    }
    guard next == values.count else { throw invalid("\(values.count) values stored, the bitmask marks \(next)") }
    return Tensor(shape: shape, scalars: dense)
  }
}
