// Plain-loop twins of the BLAS/LAPACK kernels, accumulating in Double. They are the oracles the
// tests hold the fast kernels to; they are slow (O(n³) scalar loops) and meant for small inputs.
// Legend: m, n = rows and columns of a result; k = contracted dimension; d = features.

/// Naive reference implementations of the fast kernels, for tests (Double accumulation).
public enum Reference {
  /// `op(A) · op(B)` with a Double dot product per element. Shapes as in `matmul`.
  public static func matmul(
    _ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false
  ) -> Tensor {
    let left = transposeA ? a.transposed() : a  // (m, k)
    let right = transposeB ? b.transposed() : b  // (k, n)
    precondition(
      left.shape[1] == right.shape[0],
      "Reference.matmul: inner dimensions differ for \(a.shape) and \(b.shape)")
    let (m, k, n) = (left.shape[0], left.shape[1], right.shape[1])
    var c = Tensor(shape: [m, n])  // (m, n)
    for i in 0..<m {
      for j in 0..<n {
        var sum: Double = 0
        for p in 0..<k { sum += Double(left[i, p]) * Double(right[p, j]) }
        c[i, j] = Float(sum)
      }
    }
    return c
  }

  /// The Gram matrix `Xᵀ X` of `x` `(n, d)`, shape `(d, d)`.
  public static func gram(_ x: Tensor) -> Tensor {
    matmul(x, x, transposeA: true)
  }

  /// Cholesky–Banachiewicz in Double: lower `L` with `A = L Lᵀ` (or `Lᵀ` with `upper`). Reads the
  /// lower triangle of `a` (the upper one with `upper`, as its transpose).
  public static func cholesky(_ a: Tensor, upper: Bool = false) throws(LinearAlgebraError) -> Tensor {
    let n = a.shape[0]
    let source = upper ? a.transposed() : a  // lower triangle holds the data
    let l = try cholesky(source.scalars.map(Double.init), n: n)
    let lower = Tensor(shape: [n, n], scalars: l.map { Float($0) })  // (n, n)
    return upper ? lower.transposed() : lower
  }

  /// The same on a row-major Double `(n, n)` matrix, all in Double: the lower `L` (reads the
  /// lower triangle).
  public static func cholesky(_ a: [Double], n: Int) throws(LinearAlgebraError) -> [Double] {
    var l = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
      for j in 0...i {
        var sum = a[i * n + j]
        for p in 0..<j { sum -= l[i * n + p] * l[j * n + p] }
        if i == j {
          guard sum > 0 else { throw .notPositiveDefinite(leadingMinor: i + 1) }
          l[i * n + i] = sum.squareRoot()
        } else {
          l[i * n + j] = sum / l[j * n + j]
        }
      }
    }
    return l
  }

  /// The inverse of a triangular matrix by substitution in Double; zeros in the other triangle.
  public static func triangularInverse(_ t: Tensor, upper: Bool) -> Tensor {
    let n = t.shape[0]
    return solveTriangular(t, .identity(n), side: .left, upper: upper)
  }

  /// `op(T)⁻¹ B` (`.left`) or `B op(T)⁻¹` (`.right`) by substitution in Double.
  public static func solveTriangular(
    _ t: Tensor, _ b: Tensor, side: MatrixSide = .left, upper: Bool, transpose: Bool = false,
    unitDiagonal: Bool = false
  ) -> Tensor {
    let n = t.shape[0]
    // The effective left-side matrix M: X = M⁻¹ B. For the right side, X op(T) = B is
    // op(T)ᵀ Xᵀ = Bᵀ.
    let transposeM = transpose != (side == .right)
    var m = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
      for j in 0..<n where upper ? j >= i : j <= i {
        let value = i == j && unitDiagonal ? 1 : Double(t[i, j])
        if transposeM { m[j * n + i] = value } else { m[i * n + j] = value }
      }
    }
    let lowerM = upper == transposeM
    let rhs = side == .left ? b : b.transposed()  // (n, columns)
    var x = rhs
    for column in 0..<rhs.shape[1] {
      var solution = [Double](repeating: 0, count: n)
      let rows: [Int] = lowerM ? Array(0..<n) : Array((0..<n).reversed())
      for i in rows {
        var sum = Double(rhs[i, column])
        for j in 0..<n where j != i && solution[j] != 0 { sum -= m[i * n + j] * solution[j] }
        solution[i] = sum / m[i * n + i]
      }
      for i in 0..<n { x[i, column] = Float(solution[i]) }
    }
    return side == .left ? x : x.transposed()
  }

  /// The inverse of a square matrix by Gauss–Jordan elimination with partial pivoting in Double.
  public static func inverse(_ a: Tensor) throws(LinearAlgebraError) -> Tensor {
    let n = a.shape[0]
    var m = a.scalars.map(Double.init)
    var inv = Tensor.identity(n).scalars.map(Double.init)
    for column in 0..<n {
      let pivot = (column..<n).max { abs(m[$0 * n + column]) < abs(m[$1 * n + column]) }!
      guard m[pivot * n + column] != 0 else {
        throw .singular(routine: "Reference.inverse", index: column)
      }
      for j in 0..<n {
        m.swapAt(pivot * n + j, column * n + j)
        inv.swapAt(pivot * n + j, column * n + j)
      }
      let scale = 1 / m[column * n + column]
      for j in 0..<n {
        m[column * n + j] *= scale
        inv[column * n + j] *= scale
      }
      for row in 0..<n where row != column {
        let factor = m[row * n + column]
        if factor == 0 { continue }
        for j in 0..<n {
          m[row * n + j] -= factor * m[column * n + j]
          inv[row * n + j] -= factor * inv[column * n + j]
        }
      }
    }
    return Tensor(shape: [n, n], scalars: inv.map { Float($0) })
  }
}
