// Small elementwise helpers for the compression passes: sums, scaling, norms, transposition.
// Plain loops; accumulation in Double where a reduction is involved.

extension Tensor {
  /// The `n × n` identity matrix, shape `(n, n)`.
  public static func identity(_ n: Int) -> Tensor {
    var result = Tensor(shape: [n, n])  // (n, n)
    for i in 0..<n { result[i, i] = 1 }
    return result
  }

  /// The transpose of a rank-2 tensor: `(rows, cols)` becomes `(cols, rows)`.
  public func transposed() -> Tensor {
    precondition(rank == 2, "Tensor.transposed: expected a rank-2 tensor, got shape \(shape)")
    let rows = shape[0]
    let cols = shape[1]
    var result = Tensor(shape: [cols, rows])  // (cols, rows)
    withUnsafeBufferPointer { source in
      result.withUnsafeMutableBufferPointer { target in
        for r in 0..<rows {
          for c in 0..<cols { target[c * rows + r] = source[r * cols + c] }
        }
      }
    }
    return result
  }

  /// The Frobenius norm `sqrt(Σ xᵢ²)`, accumulated in Double.
  public var frobeniusNorm: Float {
    withUnsafeBufferPointer { buffer in
      var sum: Double = 0
      for value in buffer { sum += Double(value) * Double(value) }
      return Float(sum.squareRoot())
    }
  }

  /// Elementwise sum of two tensors of the same shape.
  public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
    lhs.combined(with: rhs, operation: "+", +)
  }

  /// Elementwise difference of two tensors of the same shape.
  public static func - (lhs: Tensor, rhs: Tensor) -> Tensor {
    lhs.combined(with: rhs, operation: "-", -)
  }

  /// Every element multiplied by `scale`.
  public static func * (scale: Float, tensor: Tensor) -> Tensor {
    var result = tensor
    result.withUnsafeMutableBufferPointer { buffer in
      for i in buffer.indices { buffer[i] *= scale }
    }
    return result
  }

  private func combined(
    with other: Tensor, operation: String, _ combine: (Float, Float) -> Float
  ) -> Tensor {
    precondition(
      shape == other.shape,
      "Tensor \(operation): shapes \(shape) and \(other.shape) differ")
    var result = self
    other.withUnsafeBufferPointer { right in
      result.withUnsafeMutableBufferPointer { buffer in
        for i in buffer.indices { buffer[i] = combine(buffer[i], right[i]) }
      }
    }
    return result
  }
}
