import TensorCore

// The Hessian prelude of GPTQ (arXiv 2210.17323, Algorithm 1 line 3 and §"Cholesky
// Reformulation"): the upper Cholesky factor U of (H + λI)⁻¹, UᵀU = (H + λI)⁻¹, with the
// automatic dampening retry. Legend: C = in = columns; J = the (C, C) reversal permutation.
//
// Deliberate difference from the reference (cholesky → cholesky_inverse → cholesky(upper)): the
// Float32 path gets U from ONE Cholesky and ONE triangular inverse. With J(H)J = L Lᵀ (L lower),
// H = V Vᵀ for the upper V = J L J, so H⁻¹ = V⁻ᵀ V⁻¹ = UᵀU with U = V⁻¹ = J L⁻¹ J upper with a
// positive diagonal: the unique upper Cholesky factor of H⁻¹. That is C³/3 + C³/3 flops instead
// of C³/3 + 2C³/3 + C³/3, and one rounding chain fewer. The Double retry uses the reference's
// three steps (TensorCore has no Double triangular inverse).

/// The factor U and how it was obtained.
struct GPTQInverseHessian {
  /// The upper-triangular factor, row-major, zeros below the diagonal. // (C, C)
  var upper: [Float]
  /// The relative dampening that succeeded.
  var dampening: Double
  /// Factorizations tried (Float32 and Double each count).
  var attempts: Int
}

extension GPTQInverseHessian {
  /// Factors the prepared (dead columns fixed, permuted, symmetric) Hessian `h` `(C, C)`, trying
  /// each level of `options.dampeningSchedule` in Float32 and then in Double.
  static func factor(
    _ h: [Float], columns n: Int, options: GPTQOptions
  ) throws(GPTQError) -> GPTQInverseHessian {
    let meanDiagonal = h.withUnsafeBufferPointer { h in
      (0..<n).reduce(0.0) { $0 + Double(h[$1 * n + $1]) } / Double(max(n, 1))
    }
    var attempts = 0
    for level in options.dampeningSchedule {
      let lambda = level * meanDiagonal
      attempts += 1
      if let u = floatFactor(h, n: n, lambda: Float(lambda)) {
        return GPTQInverseHessian(upper: u, dampening: level, attempts: attempts)
      }
      attempts += 1
      if let u = doubleFactor(h, n: n, lambda: lambda) {
        return GPTQInverseHessian(upper: u, dampening: level, attempts: attempts)
      }
    }
    throw .notPositiveDefinite(dampening: options.dampeningSchedule.last!)
  }

  /// U = J L⁻¹ J with J(H + λI)J = L Lᵀ, in Float32; nil if a step fails or U is not finite.
  /// J X J of a row-major `(C, C)` matrix is its buffer reversed, so both reversals are in place.
  static func floatFactor(_ h: [Float], n: Int, lambda: Float) -> [Float]? {
    var work = Tensor(shape: [n, n], scalars: Array(h.reversed()))  // (C, C), J H J
    work.withUnsafeMutableBufferPointer { w in
      for a in 0..<n { w[a * n + a] += lambda }
    }
    guard (try? invertCholeskyFactor(&work, upper: false)) != nil else { return nil }  // L⁻¹
    work.withUnsafeMutableBufferPointer { buffer in var all = buffer; all.reverse() }  // U = J L⁻¹ J, upper // (C, C)
    let finite = work.withUnsafeBufferPointer { u in
      var finite = true
      for i in 0..<n {
        for j in i..<n { finite = finite && u[i * n + j].isFinite }
        finite = finite && u[i * n + i] > 0
      }
      return finite
    }
    return finite ? work.scalars : nil
  }

  /// The reference's route in Double: L = chol(H + λI), H⁻¹ from L, U = chol(H⁻¹, upper); rounded
  /// to Float32. nil if a step fails or U does not fit Float32.
  static func referenceFactor(_ h: [Float], n: Int, lambda: Double) -> [Double]? {
    var damped = h.map(Double.init)  // (C, C)
    for i in 0..<n { damped[i * n + i] += lambda }
    guard let lower = try? cholesky(damped, n: n, upper: false),
      let inverse = try? inverseFromCholesky(lower, n: n, upper: false),
      let u = try? cholesky(inverse, n: n, upper: true)
    else { return nil }
    return u
  }

  /// The Double route rounded to Float32, nil when U is not finite in Float32.
  static func doubleFactor(_ h: [Float], n: Int, lambda: Double) -> [Float]? {
    guard let u = referenceFactor(h, n: n, lambda: lambda) else { return nil }
    let rounded = u.map(Float.init)
    guard rounded.allSatisfy(\.isFinite), (0..<n).allSatisfy({ rounded[$0 * n + $0] > 0 }) else {
      return nil
    }
    return rounded
  }
}
