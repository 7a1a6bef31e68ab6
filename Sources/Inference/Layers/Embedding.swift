// Embedding lookups.
//
// Legend: V = table rows (vocabulary or positions), C = features, N = looked-up rows.
import TensorCore

/// The rows of `table` (V, C) at `indices`: (N, C).
func embeddingLookup(_ table: Tensor, _ indices: [Int]) -> Tensor {
  precondition(table.rank == 2, "embeddingLookup: table must be (V, C), got \(table.shape)")
  let (rows, width) = (table.shape[0], table.shape[1])
  var out = Tensor(shape: [indices.count, width])  // (N, C)
  table.withUnsafeBufferPointer { t in
    out.withUnsafeMutableBufferPointer { o in
      for (n, index) in indices.enumerated() {
        precondition(index >= 0 && index < rows, "embeddingLookup: index \(index) outside 0..<\(rows)")
        for j in 0..<width { o[n * width + j] = t[index * width + j] }
      }
    }
  }
  return out
}
