import CompressionTestSupport
import Foundation
import Testing

@testable import Compression
@testable import TensorCore

/// `lowRankFactorize` against its plain twin and the properties the methods stand on
/// (Eckart–Young, whitening, sequential fitting), the rank rules and the global allocation.
@Suite struct LowRankSolverTests {
  /// Correlated inputs (tokens, in): Gaussian rows with geometrically decaying scales (0.85^i),
  /// mixed by a random matrix, so that the input spectrum is far from flat and plain and whitened
  /// SVD disagree.
  static func inputs(tokens: Int, columns: Int, seed: UInt64) -> Tensor {
    var generator = SeededGenerator(seed: seed)
    var z = Tensor(shape: [tokens, columns], scalars: generator.gaussians(tokens * columns))
    for t in 0..<tokens { for i in 0..<columns { z[t, i] *= Float(pow(0.85, Double(i))) } }
    let mix = Tensor(shape: [columns, columns], scalars: generator.gaussians(columns * columns, scale: 0.4))
    return matmul(z, mix)
  }

  /// H = (2/n)·XᵀX for `n` samples.
  static func hessian(_ x: Tensor, samples: Int = 4) -> Tensor {
    (2 / Float(samples)) * matmul(x, x, transposeA: true)
  }

  static func weight(_ out: Int, _ columns: Int, seed: UInt64) -> Tensor {
    var generator = SeededGenerator(seed: seed)
    return Tensor(shape: [out, columns], scalars: generator.gaussians(out * columns))
  }

  /// ‖W·X − Ŵ·X̃‖²_F over the tokens.
  static func outputError(_ w: Tensor, _ x: Tensor, _ approximation: Tensor, _ xTilde: Tensor) -> Double {
    let difference = matmul(x, w, transposeB: true) - matmul(xTilde, approximation, transposeB: true)
    return difference.scalars.reduce(0) { $0 + Double($1) * Double($1) }
  }

  @Test(arguments: ["weight", "output", "shifted"])
  func matchesThePlainTwin(kind: String) throws {
    let x = Self.inputs(tokens: 96, columns: 20, seed: 1)
    let xTilde = x + 0.1 * Self.inputs(tokens: 96, columns: 20, seed: 2)
    let w = Self.weight(24, 20, seed: 3)
    let objective: LowRankObjective =
      switch kind {
      case "weight": .weight
      case "output": .output(hessian: Self.hessian(x))
      default: .shiftedOutput(hessian: Self.hessian(xTilde), cross: (2 / Float(4)) * matmul(x, xTilde, transposeA: true))
      }
    let fast = try lowRankFactorize(weight: w, objective: objective, rule: .rank(6))
    let plain = try LowRankReference.product(weight: w, objective: objective, rank: 6)
    let product = try #require(fast.factors).product()
    // Float32 SVD against Double Jacobi: agreement to a few units in the fourth digit of the largest entry.
    #expect(closeness(product.scalars, plain.product.scalars, rtol: 1e-3, atol: 2e-3) == nil)
    #expect(abs(fast.discardedEnergy - plain.discardedEnergy) <= 1e-3 * fast.totalEnergy)
  }

  /// Eckart–Young: what the truncation drops is exactly the dropped σ², in the weight norm for
  /// the plain SVD and in the (damped) output norm tr(ΔHΔᵀ) for the whitened one.
  @Test func discardedEnergyIsTheDroppedSpectrum() throws {
    let x = Self.inputs(tokens: 128, columns: 32, seed: 4)
    let w = Self.weight(40, 32, seed: 5)
    let h = Self.hessian(x)
    for r in [1, 5, 12] {
      let plain = try lowRankFactorize(weight: w, objective: .weight, rule: .rank(r))
      let dropped = plain.singularValues.dropFirst(r).reduce(0.0) { $0 + Double($1) * Double($1) }
      #expect(abs(plain.discardedEnergy - dropped) <= 1e-9 * plain.totalEnergy)
      let weightError = (w - plain.factors!.product()).scalars.reduce(0.0) { $0 + Double($1) * Double($1) }
      #expect(abs(weightError - dropped) <= 1e-4 * plain.totalEnergy, "rank \(r)")

      let whitened = try lowRankFactorize(weight: w, objective: .output(hessian: h), rule: .rank(r), dampening: 0.01)
      var damped = h
      let mean = (0..<32).reduce(0.0) { $0 + Double(h[$1, $1]) } / 32
      for i in 0..<32 { damped[i, i] += Float(0.01 * mean) }
      let outputError = Compression.outputError(w, whitened.factors!.product(), hessian: damped)
      #expect(abs(outputError - whitened.discardedEnergy) <= 1e-4 * whitened.totalEnergy, "rank \(r)")
    }
  }

  /// With correlated inputs the whitened factorization's output error is well below the plain
  /// SVD's at the same rank (it is the optimum for that error, up to the damping).
  @Test func whitenedBeatsPlainOnOutputError() throws {
    let x = Self.inputs(tokens: 256, columns: 48, seed: 6)
    let w = Self.weight(64, 48, seed: 7)
    let h = Self.hessian(x)
    for r in [4, 12, 24] {
      let plain = try lowRankFactorize(weight: w, objective: .weight, rule: .rank(r)).factors!.product()
      let whitened = try lowRankFactorize(weight: w, objective: .output(hessian: h), rule: .rank(r)).factors!.product()
      let (p, q) = (relativeOutputError(w, plain, hessian: h), relativeOutputError(w, whitened, hessian: h))
      #expect(q < 0.8 * p, "rank \(r): whitened \(q), plain \(p)")
    }
  }

  /// Two layers: the first is factored (by the plain SVD, which leaves an output error correlated
  /// with what it keeps); the second, fed the first's compressed outputs, is fitted either to its
  /// own outputs on those inputs (whitened, what a sequential loop without cross statistics does)
  /// or to the original model's outputs (sequential): the second reproduces the original model
  /// better, since it also corrects what the first layer lost. (After a whitened first layer the
  /// lost part is uncorrelated with the kept one, and there is nothing left to correct.)
  @Test func sequentialBeatsWhitenedAfterACompressedLayer() throws {
    let x = Self.inputs(tokens: 256, columns: 32, seed: 8)
    let w1 = Self.weight(32, 32, seed: 9)
    let w2 = Self.weight(24, 32, seed: 10)
    let first = try lowRankFactorize(weight: w1, objective: .weight, rule: .rank(12))
    let original = matmul(x, w1, transposeB: true)  // the second layer's inputs in the original model
    let compressed = matmul(x, first.factors!.product(), transposeB: true)  // … after the first is factored
    let hTilde = Self.hessian(compressed)
    let cross = (2 / Float(4)) * matmul(original, compressed, transposeA: true)
    for r in [6, 12] {
      let whitened = try lowRankFactorize(weight: w2, objective: .output(hessian: hTilde), rule: .rank(r))
      let sequential = try lowRankFactorize(weight: w2, objective: .shiftedOutput(hessian: hTilde, cross: cross), rule: .rank(r))
      let e1 = Self.outputError(w2, original, whitened.factors!.product(), compressed)
      let e2 = Self.outputError(w2, original, sequential.factors!.product(), compressed)
      #expect(e2 < 0.9 * e1, "rank \(r): sequential \(e2), whitened \(e1)")
      // The report's closed form of the same error agrees with the direct one.
      let closed = shiftedOutputError(
        w2, sequential.factors!.product(), originalHessian: Self.hessian(original), cross: cross, hessian: hTilde)
      let direct = e2 / matmul(original, w2, transposeB: true).scalars.reduce(0.0) { $0 + Double($1) * Double($1) }
      #expect(abs(closed - direct) <= 1e-3 * max(direct, 1e-6) + 1e-6)
    }
  }

  @Test func rankRules() throws {
    // keep: r = ⌊keep·in·out/(in+out)⌋.
    #expect(RankRule.keep(0.5).rank(out: 576, in: 1536, sigma: []) == 209)
    #expect(RankRule.keep(1).rank(out: 64, in: 64, sigma: []) == 32)
    // energy: the smallest prefix holding the fraction.
    let sigma: [Float] = [3, 2, 1, 1]  // energies 9, 4, 1, 1 of 15
    #expect(RankRule.energy(0.6).rank(out: 4, in: 4, sigma: sigma) == 1)
    #expect(RankRule.energy(0.61).rank(out: 4, in: 4, sigma: sigma) == 2)
    #expect(RankRule.energy(1).rank(out: 4, in: 4, sigma: sigma) == 4)
    #expect(RankRule.rank(9).rank(out: 4, in: 8, sigma: sigma) == 4)
    // A rank that does not save parameters leaves the layer dense; rounding to a multiple.
    let w = Self.weight(16, 16, seed: 11)
    let dense = try lowRankFactorize(weight: w, objective: .weight, rule: .rank(8))
    #expect(dense.factors == nil && dense.rank == 8 && dense.discardedEnergy == 0)
    let saved = try lowRankFactorize(weight: w, objective: .weight, rule: .rank(7))
    #expect(saved.factors?.rank == 7)
    #expect(try lowRankFactorize(weight: w, objective: .weight, rule: .rank(5), multiple: 4).rank == 4)
    #expect(try lowRankFactorize(weight: w, objective: .weight, rule: .rank(6), multiple: 4).rank == 8)
    #expect(try lowRankFactorize(weight: w, objective: .weight, rule: .rank(1), multiple: 4).rank == 4)
  }

  /// A Hessian of zeros (a layer whose inputs are always zero) falls back to the plain SVD.
  @Test func zeroHessianFallsBackToThePlainSVD() throws {
    let w = Self.weight(12, 10, seed: 12)
    let plain = try lowRankFactorize(weight: w, objective: .weight, rule: .rank(3))
    let zero = try lowRankFactorize(weight: w, objective: .output(hessian: Tensor(shape: [10, 10])), rule: .rank(3))
    #expect(zero.factors == plain.factors && zero.dampening == 0)
  }

  /// Refitting B to a perturbed A (as after quantizing A) lowers the output error; given the
  /// whitened A itself it returns (nearly) the whitened B.
  @Test func refitSecondFactor() throws {
    let x = Self.inputs(tokens: 256, columns: 24, seed: 13)
    let h = Self.hessian(x)
    let w = Self.weight(20, 24, seed: 14)
    let factors = try #require(try lowRankFactorize(weight: w, objective: .output(hessian: h), rule: .rank(6), dampening: 0).factors)
    let same = try #require(try Compression.refitSecondFactor(target: w, a: factors.a, hessian: h, dampening: 0))
    #expect(closeness(same.scalars, factors.b.scalars, rtol: 1e-3, atol: 1e-3) == nil)
    var generator = SeededGenerator(seed: 15)
    let noisy = factors.a + Tensor(shape: factors.a.shape, scalars: generator.gaussians(factors.a.count, scale: 0.05))
    let refitted = try #require(try Compression.refitSecondFactor(target: w, a: noisy, hessian: h))
    let before = relativeOutputError(w, matmul(factors.b, noisy), hessian: h)
    let after = relativeOutputError(w, matmul(refitted, noisy), hessian: h)
    #expect(after < before, "refitted \(after), kept \(before)")
  }

  /// The global allocation keeps within the budget, gives a flat spectrum more rank than a
  /// fast-decaying one of the same shape, and keeps a layer dense when its break-even rank is
  /// reached within the budget.
  @Test func sensitivityAllocation() {
    let flat = RankCandidate(out: 64, inputs: 64, energies: Array(repeating: 1, count: 64))
    let decaying = RankCandidate(out: 64, inputs: 64, energies: (0..<64).map { pow(0.5, Double($0)) })
    let budget = 2 * 16 * 128  // rank 16 in each, were it uniform
    let ranks = allocateRanks([flat, decaying], parameters: budget)
    guard case .rank(let a) = ranks[0], case .rank(let b) = ranks[1] else {
      Issue.record("both layers should be factored: \(ranks)")
      return
    }
    #expect(a > 16 && b < 16 && (a + b) * 128 <= budget)
    // A budget that covers the whole flat layer keeps it dense.
    let generous = allocateRanks([flat, decaying], parameters: 64 * 64 + 8 * 128)
    #expect(generous[0] == .dense)
    // Nothing to spend: rank 1 each.
    #expect(allocateRanks([flat, decaying], parameters: 0) == [.rank(1), .rank(1)])
  }
}
