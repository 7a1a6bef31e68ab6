/// A LAPACK routine could not produce its result for the given input.
public enum LinearAlgebraError: Error, Equatable, Sendable, CustomStringConvertible {
  /// Cholesky factorization failed: the leading minor of this order (1-based) is not positive
  /// definite (spotrf/dpotrf `info > 0`). Usually a Hessian that needs more dampening.
  case notPositiveDefinite(leadingMinor: Int)
  /// An iterative routine did not converge (sgesdd/ssyevd `info > 0`).
  case noConvergence(routine: String, info: Int)
  /// LAPACK rejected argument number `position` (1-based, `info < 0`): a bug in this wrapper.
  case illegalArgument(routine: String, position: Int)
  /// The input holds NaN or an infinity, which LAPACK routines do not handle.
  case nonFiniteInput(routine: String)
  /// A triangular factor has an exact zero on its diagonal at `index` (0-based), so it has no
  /// inverse (strtri/spotri/dpotri `info > 0`).
  case singular(routine: String, index: Int)

  /// A one-line message naming the routine and the numbers.
  public var description: String {
    switch self {
    case .notPositiveDefinite(let minor):
      "matrix is not positive definite: leading minor of order \(minor) is not positive"
    case .noConvergence(let routine, let info):
      "\(routine) did not converge (info = \(info))"
    case .illegalArgument(let routine, let position):
      "\(routine) rejected argument \(position)"
    case .nonFiniteInput(let routine):
      "\(routine): input contains NaN or infinity"
    case .singular(let routine, let index):
      "\(routine): matrix is singular (zero diagonal element at index \(index))"
    }
  }
}
