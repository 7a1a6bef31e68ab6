// The reference for the decompositions: a cyclic Jacobi eigen solver in Double (Golub & Van Loan,
// "Matrix Computations", 4th ed., Algorithm 8.5.3) and checks by reconstruction. An SVD has no
// plain-loop twin here; it is held to UΣVᵀ ≈ A, orthogonality, and singular values equal to the
// square roots of the Jacobi eigenvalues of AᵀA.

extension Reference {
  /// Eigenvalues (ascending) and unit eigenvectors (columns of `vectors`, `(n, n)`) of a symmetric
  /// matrix by cyclic Jacobi rotations in Double, until the off-diagonal mass is negligible.
  public static func symmetricEigen(_ a: Tensor) -> (values: [Double], vectors: Tensor) {
    let n = a.shape[0]
    let (values, v) = jacobiEigen(a.scalars.map(Double.init), n: n)
    return (values, Tensor(shape: [n, n], scalars: v.map { Float($0) }))
  }

  /// The same on a row-major Double `(n, n)` matrix, all in Double: ascending values, unit
  /// eigenvectors as the columns of a row-major `(n, n)` array.
  public static func symmetricEigen(_ matrix: [Double], n: Int) -> (values: [Double], vectors: [Double]) {
    jacobiEigen(matrix, n: n)
  }

  /// Jacobi on a row-major Double matrix: ascending values, eigenvectors as columns.
  private static func jacobiEigen(_ matrix: [Double], n: Int) -> (values: [Double], vectors: [Double]) {
    var m = matrix
    var v = [Double](repeating: 0, count: n * n)
    for i in 0..<n { v[i * n + i] = 1 }
    let total = m.reduce(0) { $0 + $1 * $1 }
    for _ in 0..<100 {
      var off: Double = 0
      for i in 0..<n { for j in 0..<n where i != j { off += m[i * n + j] * m[i * n + j] } }
      if off <= 1e-30 * total { break }
      for p in 0..<n {
        for q in (p + 1)..<max(n, p + 1) where m[p * n + q] != 0 {
          rotate(&m, &v, n: n, p: p, q: q)
        }
      }
    }
    let order = (0..<n).sorted { m[$0 * n + $0] < m[$1 * n + $1] }
    var vectors = [Double](repeating: 0, count: n * n)
    for (column, index) in order.enumerated() {
      for row in 0..<n { vectors[row * n + column] = v[row * n + index] }
    }
    return (order.map { m[$0 * n + $0] }, vectors)
  }

  /// One symmetric Schur rotation zeroing `m[p, q]`, accumulated into `v`.
  private static func rotate(_ m: inout [Double], _ v: inout [Double], n: Int, p: Int, q: Int) {
    let apq = m[p * n + q]
    let tau = (m[q * n + q] - m[p * n + p]) / (2 * apq)
    let t = (tau >= 0 ? 1 : -1) / (abs(tau) + (1 + tau * tau).squareRoot())
    let c = 1 / (1 + t * t).squareRoot()
    let s = t * c
    for k in 0..<n {  // columns p, q of m · J
      let (mkp, mkq) = (m[k * n + p], m[k * n + q])
      m[k * n + p] = c * mkp - s * mkq
      m[k * n + q] = s * mkp + c * mkq
    }
    for k in 0..<n {  // rows p, q of Jᵀ · m
      let (mpk, mqk) = (m[p * n + k], m[q * n + k])
      m[p * n + k] = c * mpk - s * mqk
      m[q * n + k] = s * mpk + c * mqk
    }
    for k in 0..<n {
      let (vkp, vkq) = (v[k * n + p], v[k * n + q])
      v[k * n + p] = c * vkp - s * vkq
      v[k * n + q] = s * vkp + c * vkq
    }
  }

  /// The singular values of `a` `(m, n)`, descending: square roots of the Jacobi eigenvalues of
  /// the smaller of AᵀA and AAᵀ, formed and solved in Double.
  public static func singularValues(_ a: Tensor) -> [Double] {
    let (m, n) = (a.shape[0], a.shape[1])
    let x = m >= n ? a : a.transposed()  // (rows, k) with rows >= k
    let (rows, k) = (x.shape[0], x.shape[1])
    var gram = [Double](repeating: 0, count: k * k)
    for i in 0..<k {
      for j in 0..<k {
        var sum: Double = 0
        for r in 0..<rows { sum += Double(x[r, i]) * Double(x[r, j]) }
        gram[i * k + j] = sum
      }
    }
    return jacobiEigen(gram, n: k).values.map { max($0, 0).squareRoot() }.reversed()
  }

  /// `U · diag(s) · Vᵀ` in Double, for checking an SVD by reconstruction.
  public static func reconstruct(u: Tensor, s: [Float], vt: Tensor) -> Tensor {
    var scaled = u  // (m, k)
    for row in 0..<u.shape[0] {
      for column in 0..<s.count { scaled[row, column] *= s[column] }
    }
    return matmul(scaled, vt)
  }

  /// The largest `|QᵀQ - I|` entry: how far the columns of `q` are from orthonormal.
  public static func orthogonalityDefect(columnsOf q: Tensor) -> Float {
    let product = matmul(q, q, transposeA: true)  // (k, k)
    var worst: Float = 0
    for i in 0..<product.shape[0] {
      for j in 0..<product.shape[1] { worst = max(worst, abs(product[i, j] - (i == j ? 1 : 0))) }
    }
    return worst
  }
}
