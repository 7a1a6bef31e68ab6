// Linear layers and element-wise helpers on row-major activations.
//
// Legend: N = rows (tokens of every sequence of the batch, B·T), I = input features,
// O = output features. A linear weight is stored (O, I), as in PyTorch's nn.Linear; GPT-2's
// Conv1D stores (I, O) and is transposed once, when the checkpoint is loaded.
import TensorCore

/// `x · Wᵀ + b` through sgemm.
func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
  precondition(
    x.rank == 2 && weight.rank == 2 && x.shape[1] == weight.shape[1],
    "linear: input \(x.shape) does not fit weight \(weight.shape) (expected (N, \(weight.shape.last ?? 0)))")
  var y = matmul(x, weight, transposeB: true)  // (N, O)
  if let bias { addRowVector(&y, bias) }
  return y
}

/// Adds `vector` (O) to every row of `x` (N, O).
func addRowVector(_ x: inout Tensor, _ vector: Tensor) {
  let width = x.shape[x.rank - 1]
  precondition(vector.count == width, "addRowVector: vector of \(vector.count) for rows of \(width) in \(x.shape)")
  vector.withUnsafeBufferPointer { v in
    x.withUnsafeMutableBufferPointer { p in
      for row in 0..<(p.count / max(width, 1)) {
        let base = row * width
        for j in 0..<width { p[base + j] += v[j] }
      }
    }
  }
}

/// `x += y` element-wise (the residual connection); shapes must hold the same count.
func addInPlace(_ x: inout Tensor, _ y: Tensor) {
  precondition(x.count == y.count, "addInPlace: \(x.shape) and \(y.shape) differ in size")
  y.withUnsafeBufferPointer { q in
    x.withUnsafeMutableBufferPointer { p in
      for i in p.indices { p[i] += q[i] }
    }
  }
}

/// `x ⊙= y` element-wise.
func multiplyInPlace(_ x: inout Tensor, _ y: Tensor) {
  precondition(x.count == y.count, "multiplyInPlace: \(x.shape) and \(y.shape) differ in size")
  y.withUnsafeBufferPointer { q in
    x.withUnsafeMutableBufferPointer { p in
      for i in p.indices { p[i] *= q[i] }
    }
  }
}

extension Activation {
  /// Applies the activation in place, spreading large tensors over the cores.
  func applyInParallel(_ x: inout Tensor) {
    let count = x.count
    let activation = self
    x.withUnsafeMutableBufferPointer { p in
      let shared = SharedPointer(base: p.baseAddress!)
      parallelRows(count, costPerItem: 16) { range in
        activation.applyVectorized(shared.base + range.lowerBound, count: range.count)
      }
    }
  }
}
