import TensorCore

// The Hessian prelude of GPTQ (arXiv 2210.17323, Algorithm 1 line 3 and §"Cholesky
// Reformulation"): the upper Cholesky factor U of (H + λI)⁻¹, UᵀU = (H + λI)⁻¹, with the
// automatic dampening retry. Legend: C = in = columns; J = the (C, C) reversal permutation.
//
// Deliberate difference from the reference (cholesky → cholesky_inverse → cholesky(upper)): the
// Float32 path gets U from ONE Cholesky and ONE triangular inverse. With J(H)J = VᵀV (V upper),
// H = (JVJ)ᵀ(JVJ) where JVJ is lower, so H⁻¹ = (JVJ)⁻¹(JVJ)⁻ᵀ = UᵀU with U = (JV⁻¹J)ᵀ upper with
// a positive diagonal: the unique upper Cholesky factor of H⁻¹. That is C³/3 + C³/3 flops
// instead of C³/3 + 2C³/3 + C³/3, and one rounding chain fewer. J X J of a row-major matrix is
// its buffer reversed, so J(H)J is a streaming reversed copy, whose upper triangle holds H's lower
// one, and Uᵀ = J V⁻¹ J is V⁻¹'s buffer reversed in place: the solver reads Uᵀ (its sgemms take
// either orientation), so no transposition is ever made. The Double retry uses the reference's
// three steps (TensorCore has no Double triangular inverse).

/// The factor U and how it was obtained.
struct GPTQInverseHessian {
  /// Uᵀ, row-major: row `j` holds column `j` of U; zeros above the diagonal. // (C, C)
  var uTransposed: [Float]
  /// The relative dampening that succeeded.
  var dampening: Double
  /// Factorizations tried (Float32 and Double each count).
  var attempts: Int
}

extension GPTQInverseHessian {
  /// Factors the prepared Hessian (dead columns fixed, permuted), trying each level of the
  /// dampening schedule in Float32 and then in Double. GPTQ and SparseGPT share it.
  static func factor(_ prelude: HessianPrelude) throws(GPTQError) -> GPTQInverseHessian {
    let meanDiagonal = prelude.meanDiagonal
    var attempts = 0
    for level in prelude.dampeningSchedule {
      let lambda = level * meanDiagonal
      attempts += 1
      if let u = floatFactor(prelude, lambda: Float(lambda)) {
        return GPTQInverseHessian(uTransposed: u, dampening: level, attempts: attempts)
      }
      attempts += 1
      if let u = doubleFactor(prelude, lambda: lambda) {
        return GPTQInverseHessian(uTransposed: u, dampening: level, attempts: attempts)
      }
    }
    throw .notPositiveDefinite(dampening: prelude.dampeningSchedule.last!)
  }

  /// Uᵀ = J V⁻¹ J with J(H + λI)J = VᵀV, in Float32; nil if a step fails or U is not finite.
  static func floatFactor(_ prelude: HessianPrelude, lambda: Float) -> [Float]? {
    let n = prelude.columns
    var work = Tensor(shape: [n, n], scalars: prelude.preparedHessian(adding: lambda, reversed: true))  // (C, C)
    guard (try? invertCholeskyFactor(&work, upper: true)) != nil else { return nil }  // V⁻¹
    let finite = work.withUnsafeMutableBufferPointer { buffer in
      var all = buffer
      all.reverse()  // Uᵀ = J V⁻¹ J, lower // (C, C)
      return firstNonFinite(UnsafeBufferPointer(buffer)) == nil && (0..<n).allSatisfy { buffer[$0 * n + $0] > 0 }
    }
    return finite ? work.scalars : nil
  }

  /// The reference's route in Double: L = chol(H + λI), H⁻¹ from L, U = chol(H⁻¹, upper); rounded
  /// to Float32. nil if a step fails or U does not fit Float32.
  static func referenceFactor(_ prelude: HessianPrelude, lambda: Double) -> [Double]? {
    let n = prelude.columns
    var damped = prelude.preparedHessian(adding: 0, reversed: false).map(Double.init)  // (C, C)
    for i in 0..<n { damped[i * n + i] += lambda }
    guard let lower = try? cholesky(damped, n: n, upper: false),
      let inverse = try? inverseFromCholesky(lower, n: n, upper: false),
      let u = try? cholesky(inverse, n: n, upper: true)
    else { return nil }
    return u
  }

  /// The Double route's Uᵀ rounded to Float32, nil when U is not finite in Float32.
  static func doubleFactor(_ prelude: HessianPrelude, lambda: Double) -> [Float]? {
    let n = prelude.columns
    guard let u = referenceFactor(prelude, lambda: lambda) else { return nil }
    let rounded = (0..<(n * n)).map { Float(u[($0 % n) * n + $0 / n]) }  // Uᵀ
    guard rounded.allSatisfy(\.isFinite), (0..<n).allSatisfy({ rounded[$0 * n + $0] > 0 }) else {
      return nil
    }
    return rounded
  }
}
