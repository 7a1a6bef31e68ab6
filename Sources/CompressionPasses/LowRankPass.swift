import Compression
import Foundation
import Safetensors
import TensorCore

/// Low-rank factorization: each selected linear W (out × in) becomes B (out × r) · A (r × in)
/// (docs/low-rank.md). `method=svd` is the truncated SVD PELA (arXiv 2310.10700) and LRT
/// (arXiv 1910.13923) start from; `method=whitened` the truncated SVD of W·chol(H) that
/// minimizes the layer's output error (SVD-LLM, arXiv 2403.07378); `sequential=true` fits each
/// layer, fed the compressed prefix's inputs, to the original layer's outputs (the local form of
/// PELA's feature distillation). The solver is `lowRankFactorize`; the budget rule of
/// `allocation=sensitivity` is `allocateRanks`. This type is the wiring.
public struct LowRankPass: CalibratedPass {
  public static let description = PassDescription(
    name: "low-rank",
    summary: "low-rank factorization W ≈ B·A: whitened SVD fitted to the layer's outputs (calibrated), optionally sequential, or plain SVD (no data)",
    parameters: [
      .init("method", default: "whitened", "whitened (needs calibration) or svd (no data)"),
      .init("sequential", default: "false", "whitened: fit each layer, fed the compressed prefix's inputs, to the original outputs"),
      .init("keep", default: "0.5", "fraction of each layer's parameters kept: r = keep·in·out/(in+out); 0 < keep ≤ 1"),
      .init("energy", default: "", "instead of keep: the smallest rank holding this fraction of the (whitened) spectrum's energy, 0 < energy ≤ 1"),
      .init("rank", default: "", "instead of keep: this rank in every layer"),
      .init("allocation", default: "uniform", "uniform (every layer keeps `keep`), or sensitivity (a global budget of keep × all parameters, spent where the output error falls most)"),
      .init("multiple", default: "1", "round every rank to the nearest multiple of this (32 before gptq: its layout packs 32 columns)"),
      .init("damp", default: "0.01", "whitened: relative dampening of the Hessian diagonal"),
      .init("true-sequential", default: "true", "solve q/k/v, o, gate/up, down in turn inside a block"),
    ],
    needsCalibration: true)

  public enum Method: String, Sendable, CaseIterable {
    case svd
    case whitened
  }

  public enum Allocation: String, Sendable, CaseIterable {
    case uniform
    case sensitivity
  }

  public let method: Method
  public let sequential: Bool
  public let rule: RankRule
  public let allocation: Allocation
  public let multiple: Int
  public let dampening: Double
  public let trueSequential: Bool
  /// With `allocation=sensitivity`, the ranks the global budget gave each layer (`planned`).
  public private(set) var plan: [String: AllocatedRank]?

  /// Plain SVD needs no data; H = I then stands in for the report.
  public var allowsIdentityHessian: Bool { method == .svd }
  public var needsCrossStatistics: Bool { sequential }
  public var needsSurvey: Bool { allocation == .sensitivity }

  public init(parameters: inout PassParameters) throws(CompressionError) {
    method = Method(rawValue: try parameters.choice("method", default: "whitened", in: Method.allCases.map(\.rawValue)))!
    sequential = try parameters.bool("sequential", default: false)
    if sequential && method != .whitened {
      throw .invalidParameter(
        pass: "low-rank", key: "sequential", value: "true", expected: "false with method=svd: sequential fitting needs calibration statistics (method=whitened)")
    }
    let given = ["keep", "energy", "rank"].filter(parameters.contains)
    guard given.count <= 1 else {
      throw .invalidParameter(
        pass: "low-rank", key: given[1], value: "(given)", expected: "only one of keep, energy and rank (\(given[0]) is given)")
    }
    func fraction(_ key: String) throws(CompressionError) -> Double {
      let value = try parameters.double(key, default: 0.5, in: 0...1)
      guard value > 0 else { throw .invalidParameter(pass: "low-rank", key: key, value: "0", expected: "a number in (0, 1]") }
      return value
    }
    switch given.first {
    case "energy": rule = .energy(try fraction("energy"))
    case "rank": rule = .rank(try parameters.int("rank", default: 1, in: 1...Int(Int32.max)))
    default: rule = .keep(try fraction("keep"))
    }
    allocation = Allocation(rawValue: try parameters.choice("allocation", default: "uniform", in: Allocation.allCases.map(\.rawValue)))!
    if allocation == .sensitivity, let other = given.first, other != "keep" {
      throw .invalidParameter(
        pass: "low-rank", key: "allocation", value: "sensitivity", expected: "uniform with \(other): a sensitivity budget is given by keep")
    }
    if method == .svd, parameters.contains("damp") {
      throw .invalidParameter(pass: "low-rank", key: "damp", value: "(given)", expected: "no damp with method=svd: it has no Hessian")
    }
    multiple = try parameters.int("multiple", default: 1, in: 1...1 << 16)
    dampening = try parameters.double("damp", default: 0.01, in: 0...1)
    trueSequential = try parameters.bool("true-sequential", default: true)
  }

  public var settings: [String: String] {
    var settings = [
      "method": method.rawValue, "sequential": "\(sequential)", "allocation": allocation.rawValue,
      "true-sequential": "\(trueSequential)", "multiple": "\(multiple)",
    ]
    switch rule {
    case .keep(let value): settings["keep"] = "\(value)"
    case .energy(let value): settings["energy"] = "\(value)"
    case .rank(let value): settings["rank"] = "\(value)"
    }
    if method == .whitened { settings["damp"] = "\(dampening)" }
    return settings
  }

  /// A matrix, and a fixed rank no larger than min(out, in).
  public func validate(name: String, shape: [Int], layout: WeightLayout) throws(CompressionError) {
    guard shape.count == 2 else {
      throw .unsupportedShape(tensor: name, pass: "low-rank", shape: shape, expected: "a 2-D weight matrix")
    }
    if case .rank(let r) = rule, r > shape.min()! {
      throw .unsupportedShape(tensor: name, pass: "low-rank", shape: shape, expected: "min(out, in) ≥ rank=\(r)")
    }
  }

  /// Used only without statistics, where only the plain SVD may run (H = I).
  public func apply(to tensor: Tensor, dtype: DType, name: String, layout: WeightLayout)
    throws(CompressionError) -> WorkingTensor
  {
    guard allowsIdentityHessian else { throw .calibrationRequired(pass: "low-rank") }
    return try solveWithIdentityHessian(tensor, dtype: dtype, name: name, layout: layout)
  }

  /// The squared singular values of the layer's fitted matrix in the original model (W, or W·L).
  public func survey(_ problem: LayerProblem) throws(CompressionError) -> LayerSurvey {
    let sigma = try factorize(problem, objective: objective(problem, surveying: true), rule: .rank(1)).singularValues
    return LayerSurvey(name: problem.name, out: problem.weight.shape[0], inputs: problem.weight.shape[1], values: sigma.map { Double($0) * Double($0) })
  }

  /// The pass with every layer's rank from the global budget.
  public func planned(_ surveys: [LayerSurvey]) -> any CalibratedPass {
    guard case .keep(let keep) = rule else { return self }
    let candidates = surveys.map { RankCandidate(out: $0.out, inputs: $0.inputs, energies: $0.values) }
    let budget = Int(keep * Double(surveys.reduce(0) { $0 + $1.out * $1.inputs }))
    var planned = self
    planned.plan = Dictionary(uniqueKeysWithValues: zip(surveys.map(\.name), allocateRanks(candidates, parameters: budget)))
    return planned
  }

  public func solve(_ problem: LayerProblem) throws(CompressionError) -> SolvedLayer {
    let start = ContinuousClock.now
    try validate(name: problem.name, shape: problem.originalShape, layout: problem.layout)
    let weight = problem.weight  // (out, in)
    let (out, inputs) = (weight.shape[0], weight.shape[1])
    let objective = try objective(problem, surveying: false)
    let planned = plan?[problem.name]
    let result: LowRankResult
    if planned == .dense {
      result = LowRankResult(factors: nil, rank: min(out, inputs), singularValues: [], discardedEnergy: 0, totalEnergy: 0, dampening: 0)
    } else if case .rank(let r) = planned {
      result = try factorize(problem, objective: objective, rule: .rank(r))
    } else {
      result = try factorize(problem, objective: objective, rule: rule)
    }
    let figures: [String: Double] = [
      "rank": Double(result.rank), "factored": result.factors == nil ? 0 : 1,
      "kept_parameters": result.factors == nil ? 1 : Double(result.rank * (out + inputs)) / Double(out * inputs),
      "discarded_energy": result.discardedEnergy, "total_energy": result.totalEnergy,
    ]
    let working: WorkingTensor
    let approximation: Tensor
    var factors: LowRankFactors?
    if let found = result.factors {
      // What the loop continues with is what is stored: factors rounded to the checkpoint's dtype.
      let stored = LowRankFactors(a: found.a.rounded(to: problem.dtype), b: found.b.rounded(to: problem.dtype))
      factors = stored
      approximation = stored.product()
      working = .encoded(
        LowRankEncoding.encode(
          a: .dense(stored.a, dtype: problem.dtype), b: .dense(stored.b, dtype: problem.dtype), rank: result.rank,
          originalDType: problem.dtype, originalShape: problem.originalShape, layout: problem.layout))
    } else {
      approximation = weight
      working = .dense(problem.layout == .outIn ? weight : weight.transposed(), dtype: problem.dtype)
    }
    let own = layerError(problem, approximation)
    // The baseline: the plain SVD of the same rank, scored the same way (the method itself for
    // `svd`, and the layer itself where it stays dense).
    var baseline = own
    if method != .svd, result.factors != nil {
      baseline = layerError(problem, try factorize(problem, objective: .weight, rule: .rank(result.rank)).factors!.product())
    }
    let elapsed = (ContinuousClock.now - start).components
    let details = LayerRecord(
      pass: Self.description.name, loss: result.discardedEnergy, relativeOutputError: own,
      baselineRelativeOutputError: baseline, dampening: result.dampening,
      hessianSource: "", seconds: Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18, figures: figures)
    // A product B·A is dense: no earlier zeros survive it.
    return SolvedLayer(result: working, approximation: approximation, details: details, mask: factors == nil ? problem.mask : nil, factors: factors)
  }

  /// What the layer is fitted to. Surveys see the original model, so they never use the cross
  /// statistics.
  private func objective(_ problem: LayerProblem, surveying: Bool) throws(CompressionError) -> LowRankObjective {
    switch method {
    case .svd:
      return .weight
    case .whitened where sequential && !surveying:
      guard let cross = problem.cross else { throw .calibrationRequired(pass: "low-rank") }
      return .shiftedOutput(hessian: problem.hessian, cross: cross.cross)
    case .whitened:
      return .output(hessian: problem.hessian)
    }
  }

  private func factorize(_ problem: LayerProblem, objective: LowRankObjective, rule: RankRule) throws(CompressionError)
    -> LowRankResult
  {
    do {
      return try lowRankFactorize(
        weight: problem.weight, objective: objective, rule: rule, multiple: multiple, dampening: dampening)
    } catch {
      throw .linearAlgebra(tensor: problem.name, error)
    }
  }

  /// The relative output error of `approximation`: tr(ΔHΔᵀ)/tr(WHWᵀ), or, with cross statistics,
  /// ‖WX − ŴX̃‖² / ‖WX‖² on the original inputs X and the compressed prefix's X̃.
  private func layerError(_ problem: LayerProblem, _ approximation: Tensor) -> Double {
    guard let cross = problem.cross else {
      return relativeOutputError(problem.weight, approximation, hessian: problem.hessian)
    }
    return shiftedOutputError(
      problem.weight, approximation, originalHessian: cross.originalHessian, cross: cross.cross, hessian: problem.hessian)
  }
}
