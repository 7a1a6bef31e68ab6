// Double-precision Cholesky (dpotrf, dpotri) on row-major `(n, n)` arrays, for a float64
// fallback when a Float32 factorization is too ill-conditioned. Same transposition trick as
// LAPACK.swift.
import COpenBLAS

private func runSquareDouble(
  _ a: [Double], n: Int, routine: String, upper: Bool,
  _ call: (UnsafePointer<CChar>, UnsafePointer<Int32>, UnsafeMutablePointer<Double>,
           UnsafeMutablePointer<Int32>) -> Void
) throws(LinearAlgebraError) -> [Double] {
  precondition(n >= 0 && a.count == n * n, "\(routine): \(a.count) elements do not form an (\(n), \(n)) matrix")
  guard a.allSatisfy(\.isFinite) else { throw .nonFiniteInput(routine: routine) }
  var result = a
  if n == 0 { return result }
  var order = Int32(n)
  var uplo = lapackTriangle(rowMajorUpper: upper)
  var info: Int32 = 0
  result.withUnsafeMutableBufferPointer { buffer in call(&uplo, &order, buffer.baseAddress!, &info) }
  if let error = choleskyFamilyError(routine, info: info) { throw error }
  return result
}

/// The Cholesky factor of a symmetric positive-definite row-major `(n, n)` matrix in Double
/// (dpotrf): lower `L` with `A = L Lᵀ`, or upper `U` with `A = Uᵀ U`; zeros in the other triangle.
public func cholesky(_ a: [Double], n: Int, upper: Bool = false) throws(LinearAlgebraError) -> [Double] {
  var factor = try runSquareDouble(a, n: n, routine: "dpotrf", upper: upper) { uplo, order, pointer, info in
    dpotrf_(uplo, order, pointer, order, info)
  }
  for row in 0..<n {
    for column in 0..<n where upper ? column < row : column > row { factor[row * n + column] = 0 }
  }
  return factor
}

/// The full symmetric inverse from a Double Cholesky factor (dpotri); `factor` is row-major
/// `(n, n)`, lower unless `upper`.
public func inverseFromCholesky(
  _ factor: [Double], n: Int, upper: Bool
) throws(LinearAlgebraError) -> [Double] {
  var inverse = try runSquareDouble(factor, n: n, routine: "dpotri", upper: upper) { uplo, order, pointer, info in
    dpotri_(uplo, order, pointer, order, info)
  }
  inverse.withUnsafeMutableBufferPointer { buffer in
    if upper { mirrorUpperToLower(buffer, n: n) } else { mirrorLowerToUpper(buffer, n: n) }
  }
  return inverse
}
