// Cholesky factorization and inverses through OpenBLAS's Fortran LAPACK (spotrf, spotri, strtri
// and the Double twins dpotrf, dpotri).
//
// The transposition trick: LAPACK is column-major. A row-major (n, n) buffer read column-major
// is the transpose of the matrix. Hence, for a row-major matrix A:
// - symmetric A: the column-major view is Aᵀ = A, so the buffer can be passed unchanged, but
//   the triangles swap names: LAPACK's 'U' (column-major upper) is the row-major lower triangle.
// - spotrf('U') on the view factors A = UᵀU with U in the view's upper triangle, which is
//   L = Uᵀ in the row-major lower triangle: A = L Lᵀ. So `upper: false` calls 'U' and vice versa.
// - strtri on a row-major upper T sees Tᵀ (lower), and inv(Tᵀ) = inv(T)ᵀ, which read row-major
//   is inv(T): the flag is flipped the same way.
// LAPACK leaves the other triangle untouched, so the wrappers clear or mirror it.
import COpenBLAS

/// LAPACK's name for the triangle a row-major caller calls `upper`.
@usableFromInline
func lapackTriangle(rowMajorUpper upper: Bool) -> CChar {
  CChar(UInt8(ascii: upper ? "L" : "U"))
}

/// Maps a LAPACK `info` of a Cholesky-family routine to an error.
func choleskyFamilyError(_ routine: String, info: Int32) -> LinearAlgebraError? {
  if info < 0 { return .illegalArgument(routine: routine, position: Int(-info)) }
  if info == 0 { return nil }
  if routine.hasSuffix("potrf") { return .notPositiveDefinite(leadingMinor: Int(info)) }
  return .singular(routine: routine, index: Int(info) - 1)
}

private func requireSquare(_ a: Tensor, _ routine: String) -> Int {
  precondition(
    a.rank == 2 && a.shape[0] == a.shape[1],
    "\(routine): expected a square matrix, got shape \(a.shape)")
  return a.shape[0]
}

/// Runs an in-place LAPACK routine of the shape `(uplo, n, a, lda, info)` on a copy of `a`.
private func runSquare(
  _ a: Tensor, routine: String, upper: Bool,
  _ call: (UnsafePointer<CChar>, UnsafePointer<Int32>, UnsafeMutablePointer<Float>,
           UnsafeMutablePointer<Int32>) -> Void
) throws(LinearAlgebraError) -> Tensor {
  _ = requireSquare(a, routine)
  guard triangleIsFinite(a, upper: upper) else { throw .nonFiniteInput(routine: routine) }
  var result = a  // (n, n)
  try runSquareInPlace(&result, routine: routine, upper: upper, call)
  return result
}

/// Runs an in-place LAPACK routine of the shape `(uplo, n, a, lda, info)` on `a` itself.
private func runSquareInPlace(
  _ a: inout Tensor, routine: String, upper: Bool,
  _ call: (UnsafePointer<CChar>, UnsafePointer<Int32>, UnsafeMutablePointer<Float>,
           UnsafeMutablePointer<Int32>) -> Void
) throws(LinearAlgebraError) {
  let n = requireSquare(a, routine)
  if n == 0 { return }
  var order = Int32(n)
  var uplo = lapackTriangle(rowMajorUpper: upper)
  var info: Int32 = 0
  a.withUnsafeMutableBufferPointer { buffer in
    call(&uplo, &order, buffer.baseAddress!, &info)
  }
  if let error = choleskyFamilyError(routine, info: info) { throw error }
}

/// The Cholesky factor of a symmetric positive-definite `(n, n)` matrix (spotrf): lower `L`
/// with `A = L Lᵀ`, or with `upper` the upper `U` with `A = Uᵀ U`. Only the named triangle of
/// `a` is read; the other triangle of the result is zero.
public func cholesky(_ a: Tensor, upper: Bool = false) throws(LinearAlgebraError) -> Tensor {
  var factor = try runSquare(a, routine: "spotrf", upper: upper) { uplo, n, pointer, info in
    spotrf_(uplo, n, pointer, n, info)
  }
  clearTriangle(&factor, keepUpper: upper)
  return factor
}

/// The full symmetric inverse `A⁻¹` from a Cholesky factor of `A` (spotri): `factor` is the
/// lower `L` (or with `upper` the upper `U`) that `cholesky` returns.
public func inverseFromCholesky(
  _ factor: Tensor, upper: Bool
) throws(LinearAlgebraError) -> Tensor {
  var inverse = try runSquare(factor, routine: "spotri", upper: upper) { uplo, n, pointer, info in
    spotri_(uplo, n, pointer, n, info)
  }
  let n = factor.shape[0]
  inverse.withUnsafeMutableBufferPointer { buffer in
    if upper { mirrorUpperToLower(buffer, n: n) } else { mirrorLowerToUpper(buffer, n: n) }
  }
  return inverse
}

/// The inverse of a triangular `(n, n)` matrix (strtri, non-unit diagonal). Only the triangle
/// named by `upper` is read; the result has zeros in the other triangle.
public func triangularInverse(_ t: Tensor, upper: Bool) throws(LinearAlgebraError) -> Tensor {
  var inverse = try runSquare(t, routine: "strtri", upper: upper) { uplo, n, pointer, info in
    var diagonal = CChar(UInt8(ascii: "N"))
    strtri_(uplo, &diagonal, n, pointer, n, info)
  }
  clearTriangle(&inverse, keepUpper: upper)
  return inverse
}

/// The inverse of the Cholesky factor of a symmetric positive-definite `(n, n)` matrix, in place
/// (spotrf, then strtri on the same buffer): `L⁻¹` with `A = L Lᵀ`, or with `upper` `U⁻¹` with
/// `A = Uᵀ U`. The same values as `triangularInverse(cholesky(a))` without their two copies; only
/// the named triangle of `a` is read, and the other is zero on return. On a throw `a` is garbage.
public func invertCholeskyFactor(_ a: inout Tensor, upper: Bool) throws(LinearAlgebraError) {
  _ = requireSquare(a, "spotrf")
  guard triangleIsFinite(a, upper: upper) else { throw .nonFiniteInput(routine: "spotrf") }
  try runSquareInPlace(&a, routine: "spotrf", upper: upper) { uplo, n, pointer, info in
    spotrf_(uplo, n, pointer, n, info)
  }
  try runSquareInPlace(&a, routine: "strtri", upper: upper) { uplo, n, pointer, info in
    var diagonal = CChar(UInt8(ascii: "N"))
    strtri_(uplo, &diagonal, n, pointer, n, info)
  }
  clearTriangle(&a, keepUpper: upper)
}

/// Whether the triangle LAPACK will read (the row-major `upper` or lower one) is all finite.
private func triangleIsFinite(_ a: Tensor, upper: Bool) -> Bool {
  let n = a.shape[0]
  return a.withUnsafeBufferPointer { buffer in
    (0..<n).allSatisfy { row in
      let columns = upper ? (row * n + row)..<(row * n + n) : (row * n)..<(row * n + row + 1)
      return firstNonFinite(UnsafeBufferPointer(rebasing: buffer[columns])) == nil
    }
  }
}

/// Zeroes the strict triangle opposite to the one kept.
func clearTriangle(_ t: inout Tensor, keepUpper: Bool) {
  let n = t.shape[0]
  t.withUnsafeMutableBufferPointer { buffer in
    for row in 0..<n {
      let start = row * n
      if keepUpper {
        (buffer.baseAddress! + start).update(repeating: 0, count: row)
      } else {
        (buffer.baseAddress! + start + row + 1).update(repeating: 0, count: n - row - 1)
      }
    }
  }
}

/// Copies the lower triangle of a row-major `(n, n)` buffer onto its upper triangle.
func mirrorLowerToUpper<T>(_ buffer: UnsafeMutableBufferPointer<T>, n: Int) {
  for row in 0..<n {
    for column in (row + 1)..<max(n, row + 1) { buffer[row * n + column] = buffer[column * n + row] }
  }
}
