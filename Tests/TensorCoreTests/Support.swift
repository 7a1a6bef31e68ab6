import CompressionTestSupport
import Foundation
import TensorCore

/// Tolerances for holding Float32 kernels to their Double references, each with its reason.
enum Tolerance {
  /// sgemm/ssyrk vs a Double dot product, relative Frobenius error: Float32 accumulation over
  /// k ≤ 129 terms errs by about √k·ε ≈ 1.4e-6 typically; 2e-6·√k leaves margin and still
  /// catches a wrong element or transposition (which gives errors of order 1).
  static func product(innerDimension k: Int) -> Float { 2e-6 * Float(max(k, 1)).squareRoot() + 1e-6 }
  /// Cholesky, inverses and triangular solves of well-conditioned inputs (SPD matrices
  /// XᵀX/n + I, triangles with unit-sized diagonals: condition ≲ 20): forward error about
  /// n·cond·ε ≤ 129·20·6e-8 ≈ 1.5e-4 in the worst case, far less in practice.
  static let factorization: Float = 1e-4
  /// ‖UΣVᵀ − A‖/‖A‖ and ‖V diag(λ) Vᵀ − A‖/‖A‖: backward-stable LAPACK gives a few n·ε.
  static let reconstruction: Float = 2e-5
  /// max |QᵀQ − I| for LAPACK's singular/eigen vectors: n·ε-sized.
  static let orthogonality: Float = 5e-5
  /// Singular values or eigenvalues vs the Jacobi reference, relative to the largest one:
  /// Float32 backward error ε·‖A‖ perturbs each by at most that (Weyl).
  static let spectrum: Float = 2e-5
  /// Golden numpy (float64) values vs our Float32 results on small fixed matrices.
  static let golden: Float = 1e-5
}

/// ‖actual − expected‖_F / ‖expected‖_F (0 when both are zero).
func relativeError(_ actual: Tensor, _ expected: Tensor) -> Float {
  precondition(actual.shape == expected.shape, "relativeError: \(actual.shape) vs \(expected.shape)")
  let norm = expected.frobeniusNorm
  let difference = (actual - expected).frobeniusNorm
  return norm == 0 ? difference : difference / norm
}

/// A `(rows, cols)` tensor of seeded standard normal samples.
func gaussianTensor(_ rows: Int, _ cols: Int, seed: UInt64) -> Tensor {
  var generator = SeededGenerator(seed: seed)
  return Tensor(shape: [rows, cols], scalars: generator.gaussians(rows * cols))
}

/// A well-conditioned symmetric positive-definite `(n, n)` matrix: XᵀX/rows + I.
func spdMatrix(_ n: Int, seed: UInt64) -> Tensor {
  let rows = 2 * n + 3
  let x = gaussianTensor(rows, n, seed: seed)  // (rows, n)
  return (1 / Float(rows)) * Reference.gram(x) + .identity(n)
}

/// A well-conditioned triangular `(n, n)` matrix: small off-diagonal entries, diagonal in ±[1, 2].
func triangularMatrix(_ n: Int, upper: Bool, seed: UInt64) -> Tensor {
  var t = gaussianTensor(n, n, seed: seed)
  for row in 0..<n {
    for column in 0..<n {
      if row == column {
        t[row, column] = (t[row, column] < 0 ? -1 : 1) * (1 + min(abs(t[row, column]), 1))
      } else if upper ? column < row : column > row {
        t[row, column] = 0
      } else {
        t[row, column] /= Float(n)
      }
    }
  }
  return t
}

/// Reads a committed golden binary file of little-endian `T` values.
func goldenTable<T: FixedWidthInteger>(_ name: String, as type: T.Type) throws -> [T] {
  let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("tensorcore/\(name)")))
  precondition(data.count % MemoryLayout<T>.size == 0, "\(name): \(data.count) bytes")
  return data.withUnsafeBytes { raw in
    (0..<(data.count / MemoryLayout<T>.size)).map {
      T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self))
    }
  }
}

/// One matrix of `linalg.json`, the numpy golden file.
struct GoldenMatrix: Decodable {
  var shape: [Int]
  var data: [Double]
  var tensor: Tensor {
    Tensor(shape: shape, scalars: data.map { Float($0) })
  }
}

/// All matrices of `linalg.json` by name.
func linalgGolden() throws -> [String: GoldenMatrix] {
  let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("tensorcore/linalg.json")))
  return try JSONDecoder().decode([String: GoldenMatrix].self, from: data)
}
