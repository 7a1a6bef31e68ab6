// Low-rank factorization of one linear, W (out, in) ≈ B (out, r) · A (r, in), three ways:
//
// - plain:      truncated SVD of W (PELA's and LRT's starting point, arXiv 2310.10700 §3.1,
//               arXiv 1910.13923);
// - whitened:   truncated SVD of W·L, L the lower Cholesky factor of the input Hessian
//               H = (2/n)·Σ xxᵀ (SVD-LLM, arXiv 2403.07378 §3.1): B·A = U_r Σ_r V_rᵀ L⁻¹ minimizes
//               ‖(W − BA)X‖_F over rank r, and the error is the dropped σ² of W·L;
// - sequential: the layer is fed the inputs X̃ of the already-compressed prefix and must give the
//               original layer's outputs W·X on the original inputs X (the local form of PELA's
//               feature distillation). With H̃ = (2/n)·Σ x̃x̃ᵀ = L̃L̃ᵀ and the cross statistics
//               C = (2/n)·Σ x x̃ᵀ, ‖WX − W′X̃‖² = const + ‖(T − W′)L̃‖² with T = W·C·H̃⁻¹, so the
//               best rank-r W′ is the truncated SVD of T·L̃ = W·C·L̃⁻ᵀ, mapped back by L̃⁻¹.
//
// In every case √Σ_r goes to both factors: B = U_r √Σ_r, A = √Σ_r V_rᵀ (L⁻¹), so that neither
// factor carries the whole scale (they quantize alike).
//
// Regularization: H (or H̃) is damped to H + δ·mean(diag H)·I before its Cholesky factor is
// taken (δ = `dampening`, retried ×10 up to 1 when the factor fails). The damped objective is
// ‖(W − BA)X‖² + δ·mean(diag H)·‖W − BA‖²_F: in directions the data barely excites, the
// factorization falls back towards the plain SVD instead of dividing by near-zero variance.
// A Hessian that is all zeros (inputs always zero) makes every choice exact; the plain SVD is
// used then.
import TensorCore

/// How many singular directions a layer keeps.
public enum RankRule: Sendable, Equatable {
  /// A fraction of the layer's parameters: r = ⌊keep·in·out / (in + out)⌋.
  case keep(Double)
  /// The smallest r whose leading σ² hold this fraction of the fitted matrix's energy.
  case energy(Double)
  /// A fixed rank.
  case rank(Int)

  /// The rank this rule picks for an `(out, in)` layer whose fitted matrix has singular values
  /// `sigma` (descending); at least 1 and at most min(out, in).
  public func rank(out: Int, in inputs: Int, sigma: [Float]) -> Int {
    let full = min(out, inputs)
    switch self {
    case .keep(let fraction):
      return max(1, min(full, Int((fraction * Double(out * inputs) / Double(out + inputs)).rounded(.down))))
    case .energy(let fraction):
      let energies = sigma.map { Double($0) * Double($0) }
      let total = energies.reduce(0, +)
      guard total > 0 else { return 1 }
      var sum = 0.0
      for (index, e) in energies.enumerated() {
        sum += e
        if sum >= fraction * total * (1 - 1e-12) { return max(1, min(full, index + 1)) }
      }
      return full
    case .rank(let r):
      return max(1, min(full, r))
    }
  }
}

/// What a factorization is fitted to.
public enum LowRankObjective: Sendable {
  /// ‖W − BA‖_F: the plain truncated SVD, no data.
  case weight
  /// ‖(W − BA)X‖_F given H = (2/n)·Σ xxᵀ (whitened SVD).
  case output(hessian: Tensor)
  /// ‖WX − BA·X̃‖_F given H̃ = (2/n)·Σ x̃x̃ᵀ of the compressed prefix's inputs and the cross
  /// statistics C = (2/n)·Σ x·x̃ᵀ of original and compressed inputs, both `(in, in)`.
  case shiftedOutput(hessian: Tensor, cross: Tensor)
}

/// The two factors of a low-rank layer: `b · a` approximates the weight.
public struct LowRankFactors: Sendable, Equatable {
  /// `(r, in)`: the first product, applied to the input.
  public var a: Tensor
  /// `(out, r)`: the second product.
  public var b: Tensor

  public init(a: Tensor, b: Tensor) {
    precondition(a.rank == 2 && b.rank == 2 && a.shape[0] == b.shape[1], "LowRankFactors: A \(a.shape), B \(b.shape)")
    self.a = a
    self.b = b
  }

  public var rank: Int { a.shape[0] }
  /// The dense `(out, in)` weight `B · A`.
  public func product() -> Tensor { matmul(b, a) }
}

/// What `lowRankFactorize` produced.
public struct LowRankResult: Sendable {
  /// The factors, or nil when the chosen rank would not save parameters (r·(in+out) ≥ in·out):
  /// the layer then stays dense.
  public var factors: LowRankFactors?
  /// The rank the rule chose (kept even when the layer stays dense).
  public var rank: Int
  /// Singular values of the fitted matrix (W, W·L, or W·C·L̃⁻ᵀ), descending.
  public var singularValues: [Float]
  /// Σ σ_i² over the dropped directions: ‖W − BA‖², ‖(W − BA)L‖² with the damped H = LLᵀ, or
  /// the reducible part of the sequential objective (Eckart–Young); 0 when the layer stays dense.
  public var discardedEnergy: Double
  /// Σ σ_i² over all directions.
  public var totalEnergy: Double
  /// The relative dampening that made the Hessian's Cholesky factor succeed (0 for `.weight`).
  public var dampening: Double

  public init(
    factors: LowRankFactors?, rank: Int, singularValues: [Float], discardedEnergy: Double, totalEnergy: Double,
    dampening: Double
  ) {
    self.factors = factors
    self.rank = rank
    self.singularValues = singularValues
    self.discardedEnergy = discardedEnergy
    self.totalEnergy = totalEnergy
    self.dampening = dampening
  }
}

/// Whether a rank-r factorization of an `(out, in)` layer stores fewer parameters than the layer.
public func lowRankSaves(rank: Int, out: Int, in inputs: Int) -> Bool {
  rank * (out + inputs) < out * inputs
}

/// Factors `weight` `(out, in)` as B·A for `objective`, with the rank `rule` picks, rounded to
/// the nearest multiple of `multiple` (at least one; a quantized factor's GPTQ layout needs a
/// multiple of 32). See the file comment for the three objectives and the regularization.
public func lowRankFactorize(
  weight: Tensor, objective: LowRankObjective, rule: RankRule, multiple: Int = 1, dampening: Double = 0.01
) throws(LinearAlgebraError) -> LowRankResult {
  precondition(multiple >= 1, "lowRankFactorize: multiple \(multiple)")
  precondition(weight.rank == 2, "lowRankFactorize: weight must be (out, in), got \(weight.shape)")
  let (out, inputs) = (weight.shape[0], weight.shape[1])
  // The fitted matrix M and the whitening factor L (nil: identity).
  var fitted = weight
  var factor: Tensor?
  var used = 0.0
  switch objective {
  case .weight:
    break
  case .output(let hessian):
    precondition(hessian.shape == [inputs, inputs], "lowRankFactorize: H \(hessian.shape) for W \(weight.shape)")
    if let (l, level) = try dampedCholesky(hessian, dampening: dampening) {
      (factor, used) = (l, level)
      fitted = matmul(weight, l)  // W·L
    }
  case .shiftedOutput(let hessian, let cross):
    precondition(
      hessian.shape == [inputs, inputs] && cross.shape == [inputs, inputs],
      "lowRankFactorize: H̃ \(hessian.shape), C \(cross.shape) for W \(weight.shape)")
    if let (l, level) = try dampedCholesky(hessian, dampening: dampening) {
      (factor, used) = (l, level)
      // T·L̃ = W·C·L̃⁻ᵀ: solve X·L̃ᵀ = W·C.
      fitted = solveTriangular(l, matmul(weight, cross), side: .right, upper: false, transpose: true)
    } else {
      fitted = matmul(weight, cross)  // H̃ = 0: nothing reaches the layer
    }
  }
  let (u, sigma, vt) = try svd(fitted)
  let chosen = rule.rank(out: out, in: inputs, sigma: sigma)
  let rank = min(max(multiple, (chosen + multiple / 2) / multiple * multiple), sigma.count)
  let energies = sigma.map { Double($0) * Double($0) }
  let total = energies.reduce(0, +)
  guard lowRankSaves(rank: rank, out: out, in: inputs) else {
    return LowRankResult(
      factors: nil, rank: rank, singularValues: sigma, discardedEnergy: 0, totalEnergy: total, dampening: used)
  }
  var b = Tensor(shape: [out, rank])  // U_r √Σ_r
  var a = Tensor(shape: [rank, inputs])  // √Σ_r V_rᵀ
  let roots = sigma.prefix(rank).map { $0.squareRoot() }
  let k = sigma.count  // U is (out, k)
  u.withUnsafeBufferPointer { u in
    b.withUnsafeMutableBufferPointer { b in
      for i in 0..<out { for j in 0..<rank { b[i * rank + j] = u[i * k + j] * roots[j] } }
    }
  }
  vt.withUnsafeBufferPointer { v in
    a.withUnsafeMutableBufferPointer { a in
      for j in 0..<rank { for c in 0..<inputs { a[j * inputs + c] = v[j * inputs + c] * roots[j] } }
    }
  }
  if let factor { a = solveTriangular(factor, a, side: .right, upper: false) }  // ·L⁻¹: solve X·L = A
  return LowRankResult(
    factors: LowRankFactors(a: a, b: b), rank: rank, singularValues: sigma,
    discardedEnergy: energies.dropFirst(rank).reduce(0, +), totalEnergy: total, dampening: used)
}

/// The lower Cholesky factor of H + δ·mean(diag H)·I with the first δ of the dampening schedule
/// that succeeds, and that δ; nil when H is all zeros on its diagonal.
func dampedCholesky(_ hessian: Tensor, dampening: Double) throws(LinearAlgebraError) -> (Tensor, Double)? {
  let n = hessian.shape[0]
  let mean = (0..<n).reduce(0.0) { $0 + Double(hessian[$1, $1]) } / Double(max(n, 1))
  guard mean > 0 else { return nil }
  var lastError = LinearAlgebraError.notPositiveDefinite(leadingMinor: 0)
  for level in dampeningSchedule(from: dampening, maximum: 1) {
    var damped = hessian
    let shift = Float(level * mean)
    damped.withUnsafeMutableBufferPointer { h in for i in 0..<n { h[i * n + i] += shift } }
    do {
      return (try cholesky(damped), level)
    } catch {
      lastError = error
    }
  }
  throw lastError
}

/// The second factor refitted to a changed first factor Â (a quantized A): the B that minimizes
/// ‖W·X − B·Â·X̃‖² over the calibration tokens, B = W·C·Âᵀ·(Â·H̃·Âᵀ)⁻¹, with H̃ = (2/n)·Σ x̃x̃ᵀ of
/// the layer's inputs and C = (2/n)·Σ x·x̃ᵀ (C = H̃ when the inputs are the original ones). The
/// r × r system is damped like the factorization's Hessian; nil when Â·H̃·Âᵀ is all zeros.
public func refitSecondFactor(
  target weight: Tensor, a: Tensor, hessian: Tensor, cross: Tensor? = nil, dampening: Double = 0.01
) throws(LinearAlgebraError) -> Tensor? {
  let projected = matmul(a, hessian)  // Â·H̃, (r, in)
  let gram = matmul(projected, a, transposeB: true)  // Â·H̃·Âᵀ, (r, r)
  guard let (l, _) = try dampedCholesky(gram, dampening: dampening) else { return nil }
  let right = cross.map { matmul(matmul(weight, $0), a, transposeB: true) } ?? matmul(weight, projected, transposeB: true)  // W·C·Âᵀ (out, r)
  // B·L·Lᵀ = right: two triangular solves from the right.
  return solveTriangular(l, solveTriangular(l, right, side: .right, upper: false, transpose: true), side: .right, upper: false)
}
