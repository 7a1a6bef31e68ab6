// Singular value and symmetric eigen decompositions (sgesdd, ssyevd).
//
// Legend: m, n = rows and columns of A; k = min(m, n).
// Transposition trick for the SVD: the row-major (m, n) buffer of A is, column-major, the
// (n, m) matrix Aᵀ. sgesdd factors Aᵀ = U' Σ V'ᵀ, so A = V' Σ U'ᵀ. Its column-major outputs,
// read row-major, are already what we want: VT' (k, m) column-major is the (m, k) row-major
// matrix V' = U of A, and U' (n, k) column-major is the (k, n) row-major U'ᵀ = Vᵀ of A.
// For ssyevd a symmetric A is its own transpose; its column-major eigenvector matrix Z, read
// row-major, is Zᵀ, so the result is transposed back to put eigenvectors in columns.
import COpenBLAS

/// Maps a LAPACK `info` of an iterative routine to an error.
private func iterativeError(_ routine: String, info: Int32) -> LinearAlgebraError? {
  if info < 0 { return .illegalArgument(routine: routine, position: Int(-info)) }
  if info > 0 { return .noConvergence(routine: routine, info: Int(info)) }
  return nil
}

/// The thin singular value decomposition `A = U · diag(s) · Vᵀ` of an `(m, n)` matrix (sgesdd):
/// `u` is `(m, k)`, `s` has `k = min(m, n)` values in descending order, `vt` is `(k, n)`.
/// Singular vectors are unique only up to sign.
public func svd(_ a: Tensor) throws(LinearAlgebraError) -> (u: Tensor, s: [Float], vt: Tensor) {
  precondition(a.rank == 2, "svd: expected a rank-2 tensor, got shape \(a.shape)")
  let (m, n) = (a.shape[0], a.shape[1])
  let k = min(m, n)
  guard a.scalars.allSatisfy(\.isFinite) else { throw .nonFiniteInput(routine: "sgesdd") }
  if k == 0 { return (Tensor(shape: [m, 0]), [], Tensor(shape: [0, n])) }
  // Column-major view: Aᵀ is (n, m) with leading dimension n.
  var work = a.scalars
  var s = [Float](repeating: 0, count: k)
  var uPrime = [Float](repeating: 0, count: n * k)  // column-major (n, k) = row-major Vᵀ (k, n)
  var vtPrime = [Float](repeating: 0, count: k * m)  // column-major (k, m) = row-major U (m, k)
  var (rows, cols, ldu, ldvt) = (Int32(n), Int32(m), Int32(n), Int32(k))
  var jobz = CChar(UInt8(ascii: "S"))
  var iwork = [Int32](repeating: 0, count: 8 * k)
  var info: Int32 = 0
  var lwork: Int32 = -1
  var query: Float = 0
  sgesdd_(&jobz, &rows, &cols, &work, &rows, &s, &uPrime, &ldu, &vtPrime, &ldvt, &query, &lwork,
          &iwork, &info)
  if let error = iterativeError("sgesdd", info: info) { throw error }
  lwork = Int32(query.rounded(.up))
  var workspace = [Float](repeating: 0, count: Int(lwork))
  sgesdd_(&jobz, &rows, &cols, &work, &rows, &s, &uPrime, &ldu, &vtPrime, &ldvt, &workspace,
          &lwork, &iwork, &info)
  if let error = iterativeError("sgesdd", info: info) { throw error }
  return (Tensor(shape: [m, k], scalars: vtPrime), s, Tensor(shape: [k, n], scalars: uPrime))
}

/// The eigen decomposition `A = V · diag(values) · Vᵀ` of a symmetric `(n, n)` matrix (ssyevd):
/// `values` ascending, `vectors` `(n, n)` with the unit eigenvectors as columns (each unique up to
/// sign). Only the upper triangle of `a` is read.
public func symmetricEigen(
  _ a: Tensor
) throws(LinearAlgebraError) -> (values: [Float], vectors: Tensor) {
  precondition(
    a.rank == 2 && a.shape[0] == a.shape[1],
    "symmetricEigen: expected a square matrix, got shape \(a.shape)")
  let n = a.shape[0]
  guard a.scalars.allSatisfy(\.isFinite) else { throw .nonFiniteInput(routine: "ssyevd") }
  if n == 0 { return ([], Tensor(shape: [0, 0])) }
  var z = a.scalars  // becomes column-major Z, i.e. row-major Zᵀ
  var values = [Float](repeating: 0, count: n)
  var order = Int32(n)
  var jobz = CChar(UInt8(ascii: "V"))
  var uplo = lapackTriangle(rowMajorUpper: true)
  var info: Int32 = 0
  var (lwork, liwork): (Int32, Int32) = (-1, -1)
  var workQuery: Float = 0
  var iworkQuery: Int32 = 0
  ssyevd_(&jobz, &uplo, &order, &z, &order, &values, &workQuery, &lwork, &iworkQuery, &liwork, &info)
  if let error = iterativeError("ssyevd", info: info) { throw error }
  lwork = Int32(workQuery.rounded(.up))
  liwork = iworkQuery
  var work = [Float](repeating: 0, count: Int(lwork))
  var iwork = [Int32](repeating: 0, count: Int(liwork))
  ssyevd_(&jobz, &uplo, &order, &z, &order, &values, &work, &lwork, &iwork, &liwork, &info)
  if let error = iterativeError("ssyevd", info: info) { throw error }
  return (values, Tensor(shape: [n, n], scalars: z).transposed())
}
