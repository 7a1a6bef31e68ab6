import CompressionTestSupport
import Foundation
import Testing

@testable import Compression
@testable import TensorCore

/// The golden data of `Fixtures/lowrank/make_fixtures.py`: one (48, 40) layer with a stepped
/// spectrum, the Hessians H, H̃ and cross statistics C of correlated, ill-conditioned synthetic
/// inputs, and the plain, whitened and sequential factorizations at ranks 8 and 20 computed in
/// float64 from the stored float32 arrays.
struct LowRankFixtures: Decodable, RawArrayFixtures {
  struct Case: Decodable, Sendable, CustomStringConvertible {
    let name: String
    /// "weight", "output" or "shifted_output": the `LowRankObjective` case.
    let objective: String
    let rank: Int
    /// The relative dampening passed to the solver (ignored by "weight").
    let dampening: Double
    /// The expected dense B·A, f32 (out, in).
    let product: String
    /// The expected singular values of the fitted matrix, f32, descending.
    let singularValues: String
    let discardedEnergy: Double
    let totalEnergy: Double
    /// σ_{r+1} / σ_r of the fitted matrix (< 0.9: the truncation is unique).
    let gapRatio: Double

    var description: String { name }
  }

  /// A case whose objective this test does not know.
  struct UnknownObjective: Error {
    let name: String
  }

  let arrays: [String: RawArrayEntry]
  let cases: [Case]

  static let folder = "lowrank"
  /// The cases, or none when the manifest cannot be read (`fixturesAreReadable` then fails).
  static var allCases: [Case] { (try? loadManifest().cases) ?? [] }

  /// The objective `golden` names, with this folder's H (`hessian`), H̃ (`shifted_hessian`) and
  /// C (`cross`).
  func objective(for golden: Case) throws -> LowRankObjective {
    switch golden.objective {
    case "weight": return .weight
    case "output": return .output(hessian: try tensor("hessian"))
    case "shifted_output":
      return .shiftedOutput(hessian: try tensor("shifted_hessian"), cross: try tensor("cross"))
    default: throw UnknownObjective(name: golden.objective)
    }
  }
}

@Suite struct LowRankGoldenTests {
  /// Tolerance on B·A, relative to its largest entry (as `atol`, and as `rtol` per entry). The
  /// solver (Linux, OpenBLAS) stays within 7.2e-6 of the float64 golden on every case, and so
  /// does a numpy float32 replay of its steps (5.8e-6): H is damped (cond(Hd) ≲ 700) and
  /// σ_{r+1}/σ_r ≤ 0.67, so neither the whitening nor the truncated subspace amplifies float32
  /// rounding much. 5e-4 leaves ~70× headroom for another LAPACK's rounding and still fails a
  /// solver that damps with 2δ instead of δ (the product moves by ≥ 6e-3 of its largest entry in
  /// every whitened and sequential case; a 10 % change of δ, by 6e-4 to 1.6e-2).
  static let productTolerance: Float = 5e-4
  /// Relative tolerance on discardedEnergy and totalEnergy (measured: ≤ 1.3e-6). A 10 % change of
  /// δ moves the discarded energy by ≥ 2.3e-3 in every whitened and sequential case.
  static let energyTolerance = 1e-3

  @Test func fixturesAreReadable() throws {
    let fixtures = try LowRankFixtures.loadManifest()
    #expect(fixtures.cases.count == 6)
    #expect(!LowRankFixtures.allCases.isEmpty)
    for golden in fixtures.cases {
      #expect(golden.gapRatio < 0.9, "\(golden.name): σ_{r+1}/σ_r = \(golden.gapRatio)")
      #expect(fixtures.shape(golden.product) == fixtures.shape("weight"))
    }
  }

  /// Runs the solver on `golden`'s objective and rank.
  static func factorize(_ golden: LowRankFixtures.Case) throws -> (LowRankFixtures, Tensor, LowRankResult) {
    let fixtures = try LowRankFixtures.loadManifest()
    let w = try fixtures.tensor("weight")
    let result = try lowRankFactorize(
      weight: w, objective: try fixtures.objective(for: golden), rule: .rank(golden.rank),
      dampening: golden.dampening)
    return (fixtures, w, result)
  }

  @Test(arguments: LowRankFixtures.allCases)
  func matchesTheFloat64Reference(_ golden: LowRankFixtures.Case) throws {
    let (fixtures, w, result) = try Self.factorize(golden)
    let (out, inputs) = (w.shape[0], w.shape[1])
    let factors = try #require(result.factors, "rank \(golden.rank) saves parameters: the factors are kept")
    #expect(result.rank == golden.rank && factors.rank == golden.rank)
    #expect(factors.a.shape == [golden.rank, inputs] && factors.b.shape == [out, golden.rank])
    // The first level of the dampening schedule succeeds on these Hessians.
    #expect(result.dampening == (golden.objective == "weight" ? 0 : golden.dampening))

    let product = factors.product()
    let expected = try fixtures.float32(golden.product)
    let magnitudes = expected.map { abs($0) }
    let largest = try #require(magnitudes.max())
    #expect(product.shape == [out, inputs])
    let mismatch = closeness(
      product.scalars, expected, rtol: Self.productTolerance, atol: Self.productTolerance * largest)
    #expect(mismatch == nil, "\(golden.name) product: \(mismatch ?? "")")

    // Singular values: the float32 replay agrees to 2e-7·σ₁.
    let sigma = try fixtures.float32(golden.singularValues)
    let sigmaMismatch = closeness(result.singularValues, sigma, rtol: 1e-4, atol: 1e-5 * (sigma.first ?? 0))
    #expect(sigmaMismatch == nil, "\(golden.name) singular values: \(sigmaMismatch ?? "")")

    #expect(
      abs(result.discardedEnergy - golden.discardedEnergy) <= Self.energyTolerance * golden.discardedEnergy,
      "\(golden.name): discarded \(result.discardedEnergy) vs \(golden.discardedEnergy)")
    #expect(
      abs(result.totalEnergy - golden.totalEnergy) <= Self.energyTolerance * golden.totalEnergy,
      "\(golden.name): total \(result.totalEnergy) vs \(golden.totalEnergy)")
  }

  /// discardedEnergy is the dropped part of the reported spectrum, and (Eckart–Young) the error
  /// the product actually makes in the objective's norm, computed here in Double from B·A:
  ///   plain:      ‖W − BA‖²_F;
  ///   whitened:   tr((W − BA)·Hd·(W − BA)ᵀ), Hd = H + f32(δ·mean(diag H))·I as the solver damps;
  ///   sequential: ‖(T − BA)·L̃‖²_F with T = W·C·H̃d⁻¹ and H̃d = L̃L̃ᵀ (damped likewise), that is
  ///               ‖W·C·L̃⁻ᵀ − BA·L̃‖²_F, with L̃ a Double Cholesky factor of H̃d.
  /// All three are direct sums of squares (no cancellation); with the solver's float32 B·A they
  /// agree with discardedEnergy to 1.7e-6 relative here (a numpy float32 replay: 1.3e-6), so
  /// 1e-3 is loose.
  @Test(arguments: LowRankFixtures.allCases)
  func discardedEnergyIsTheObjectivesError(_ golden: LowRankFixtures.Case) throws {
    let (fixtures, w, result) = try Self.factorize(golden)
    let rank = try #require(result.factors?.rank)
    let all = result.singularValues.reduce(0.0) { $0 + Double($1) * Double($1) }
    let dropped = result.singularValues.dropFirst(rank).reduce(0.0) { $0 + Double($1) * Double($1) }
    #expect(abs(result.discardedEnergy - dropped) <= 1e-9 * all)
    #expect(abs(result.totalEnergy - all) <= 1e-9 * all)

    let product = try #require(result.factors).product()
    let (out, n) = (w.shape[0], w.shape[1])
    let weight = w.scalars.map { Double($0) }
    let approximation = product.scalars.map { Double($0) }
    let error: Double
    switch golden.objective {
    case "weight":
      error = Self.squaredDistance(weight, approximation)
    case "output":
      let hd = Self.damped(try fixtures.tensor("hessian"), level: result.dampening)
      let delta = zip(weight, approximation).map { $0 - $1 }
      error = Self.trace(delta, hd, delta, rows: out, n: n)
    case "shifted_output":
      let hd = Self.damped(try fixtures.tensor("shifted_hessian"), level: result.dampening)
      let l = try cholesky(hd, n: n)  // lower, H̃d = L̃·L̃ᵀ
      let cross = try fixtures.tensor("cross").scalars.map { Double($0) }
      let fitted = Self.solveLowerTransposed(l, Self.multiply(weight, cross, rows: out, n: n), rows: out, n: n)
      error = Self.squaredDistance(fitted, Self.multiply(approximation, l, rows: out, n: n))
    default:
      throw LowRankFixtures.UnknownObjective(name: golden.objective)
    }
    #expect(
      abs(error - result.discardedEnergy) <= 1e-3 * result.discardedEnergy,
      "\(golden.name): objective error of B·A \(error), discarded energy \(result.discardedEnergy)")
  }

  /// H + f32(level·mean(diag H))·I in Double, row-major, the way `dampedCholesky` damps H.
  static func damped(_ h: Tensor, level: Double) -> [Double] {
    let n = h.shape[0]
    let mean = (0..<n).reduce(0.0) { $0 + Double(h[$1, $1]) } / Double(n)
    let shift = Double(Float(level * mean))
    var damped = h.scalars.map { Double($0) }
    for i in 0..<n { damped[i * n + i] += shift }
    return damped
  }

  /// tr(A·M·Bᵀ) in Double for row-major A, B (rows, n) and M (n, n).
  static func trace(_ a: [Double], _ m: [Double], _ b: [Double], rows: Int, n: Int) -> Double {
    var total = 0.0
    for i in 0..<rows {
      for j in 0..<n {
        var am = 0.0
        for k in 0..<n { am += a[i * n + k] * m[k * n + j] }
        total += am * b[i * n + j]
      }
    }
    return total
  }

  /// A·M for row-major A (rows, n) and M (n, n).
  static func multiply(_ a: [Double], _ m: [Double], rows: Int, n: Int) -> [Double] {
    var result = [Double](repeating: 0, count: rows * n)
    for i in 0..<rows {
      for k in 0..<n where a[i * n + k] != 0 {
        for j in 0..<n { result[i * n + j] += a[i * n + k] * m[k * n + j] }
      }
    }
    return result
  }

  /// X with X·Lᵀ = B for row-major lower-triangular L (n, n) and B (rows, n): each row x of X
  /// solves L·xᵀ = bᵀ by forward substitution.
  static func solveLowerTransposed(_ l: [Double], _ b: [Double], rows: Int, n: Int) -> [Double] {
    var x = b
    for i in 0..<rows {
      for j in 0..<n {
        var sum = b[i * n + j]
        for k in 0..<j { sum -= l[j * n + k] * x[i * n + k] }
        x[i * n + j] = sum / l[j * n + j]
      }
    }
    return x
  }

  /// ‖A − B‖²_F of two equally long arrays.
  static func squaredDistance(_ a: [Double], _ b: [Double]) -> Double {
    zip(a, b).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
  }
}
