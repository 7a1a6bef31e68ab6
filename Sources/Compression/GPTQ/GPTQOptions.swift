// The settings, result and errors of the GPTQ solver (Frantar et al., arXiv 2210.17323,
// Algorithm 1; reference code IST-DASLab/gptq `gptq.py::GPTQ.fasterquant`). See docs/gptq.md.

/// The settings of one GPTQ solve; the defaults are the reference's (`blocksize=128`,
/// `percdamp=.01`, no act-order, no static groups).
public struct GPTQOptions: Sendable, Equatable {
  /// Bit width, group size along the input dimension (nil: one group per row) and symmetry.
  public var scheme: QuantizationScheme
  /// Columns per lazy batch (the reference's `blocksize`, Algorithm 1's `B`); ≥ 1. Only speed and
  /// float rounding depend on it, except for one replicated quirk: a group that does not start at
  /// a block boundary is fitted to its columns as they were at the start of the block.
  public var blockSize: Int
  /// Relative dampening: `λ = dampening · mean(diag H)` is added to the diagonal (`percdamp`).
  public var dampening: Double
  /// Process columns by descending `diag H` (the reference's `actorder`, AutoGPTQ's `desc_act`);
  /// ties keep their original order.
  public var actOrder: Bool
  /// Fit every group's grid before any update and permutation, on the original column ranges, so
  /// that `gIdx` stays `c / groupSize` under act-order. Ignored when `scheme.groupSize` is nil.
  public var staticGroups: Bool
  /// The largest relative dampening the automatic retry may reach (see `gptqQuantize`).
  public var maximumDampening: Double
  /// The smallest zero point a grid may have; by default 0 for symmetric schemes and
  /// `GPTQPackedTensors.minimumZero` (1) for asymmetric ones, so the result packs as GPTQ v1.
  public var minimumZero: Int32

  /// Options with the reference's defaults; `minimumZero` nil picks the GPTQ v1 rule above.
  public init(
    scheme: QuantizationScheme, blockSize: Int = 128, dampening: Double = 0.01,
    actOrder: Bool = false, staticGroups: Bool = false, maximumDampening: Double = 1.0,
    minimumZero: Int32? = nil
  ) {
    self.scheme = scheme
    self.blockSize = blockSize
    self.dampening = dampening
    self.actOrder = actOrder
    self.staticGroups = staticGroups
    self.maximumDampening = maximumDampening
    self.minimumZero = minimumZero ?? (scheme.symmetric ? 0 : GPTQPackedTensors.minimumZero)
  }

  /// The dampening levels the solver tries, in order: `dampening`, then ×10 each time (from 0.01
  /// when `dampening` is 0) while not above `maximumDampening`.
  public var dampeningSchedule: [Double] { Compression.dampeningSchedule(from: dampening, maximum: maximumDampening) }
}

/// Relative dampening levels for the OBS solvers' automatic retry (GPTQ, SparseGPT): `first`, then
/// ×10 each time (from 0.01 when `first` is 0) while not above `maximum`.
func dampeningSchedule(from first: Double, maximum: Double) -> [Double] {
  var levels = [first]
  while true {
    let next = levels.last! == 0 ? 0.01 : levels.last! * 10
    guard next <= maximum * (1 + 1e-12) else { return levels }
    levels.append(next)
  }
}

/// What a GPTQ solve produced.
public struct GPTQResult: Sendable {
  /// Codes in original column order; scales and zeros per group in the order the groups were
  /// created (permuted order under act-order without static groups); `gIdx` by original column
  /// (passes.md §1.2). `matrix.dequantized()` is the quantized weight.
  public let matrix: QuantizedMatrix
  /// `Σ (w − q)² / d² / 2` over all weights, `d` the diagonal of the Cholesky factor of `H⁻¹`:
  /// the reference's `torch.sum(Losses)`, accumulated in Double.
  public let loss: Double
  /// The relative dampening of the factorization that succeeded.
  public let dampeningUsed: Double
  /// Factorizations tried: each dampening level is tried in Float32, then in Double; 1 means the
  /// first Float32 factorization succeeded.
  public let attempts: Int
  /// Input columns with `H[i, i] == 0` (no calibration signal); their weights are quantized as 0.
  public let deadColumns: Int
}

/// Why a GPTQ solve was refused or failed. One case per rule.
public enum GPTQError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The weight holds NaN or an infinity (the first one found, row-major).
  case nonFiniteWeight(row: Int, column: Int)
  /// The Hessian holds NaN or an infinity (the first one found, row-major).
  case nonFiniteHessian(row: Int, column: Int)
  /// No dampening level up to `maximumDampening` made the damped Hessian positive definite, in
  /// Float32 or in Double; `dampening` is the last level tried.
  case notPositiveDefinite(dampening: Double)

  /// A one-line message naming the entry or the dampening.
  public var description: String { "GPTQ: " + reason }

  /// The message without the solver's name (SparseGPT shares these rules).
  public var reason: String {
    switch self {
    case .nonFiniteWeight(let row, let column):
      return "weight[\(row), \(column)] is not finite"
    case .nonFiniteHessian(let row, let column):
      return "hessian[\(row), \(column)] is not finite"
    case .notPositiveDefinite(let dampening):
      return "the Hessian is not positive definite even with dampening \(dampening) "
        + "× mean(diag H) (raise maximumDampening or use more calibration data)"
    }
  }
}
