import Compression
import Foundation
import Safetensors
import TensorCore

/// Pruning: selected linears lose a fraction of their weights, held at exactly zero. Four methods
/// (docs/prune.md): `sparse-reg`, the layer-wise form of "Sparse then Prune" (arXiv 2307.11988;
/// solver `sparseRegularizedPrune`); `sparsegpt` (arXiv 2301.00774; `sparseGPTPrune`); `wanda`
/// (arXiv 2306.11695; `wandaPrune`); `magnitude` (`magnitudePrune`, no data). Unstructured or N:M;
/// stored dense with exact zeros, or in compressed-tensors' sparse-bitmask layout. This type is
/// the wiring.
public struct PrunePass: CalibratedPass {
  public static let description = PassDescription(
    name: "prune",
    summary: "sparsity: sparse-regularized reconstruction, SparseGPT or Wanda (calibrated), or magnitude (no data); unstructured or N:M",
    parameters: [
      .init("method", default: "sparse-reg", "sparse-reg, sparsegpt, wanda (need calibration) or magnitude"),
      .init("sparsity", default: "0.5", "fraction of weights pruned, 0...0.95 (unstructured)"),
      .init("pattern", default: "unstructured", "unstructured, or N:M (at most N non-zeros in every M inputs: 2:4, 4:8)"),
      .init("allocation", default: "auto", "unstructured: row (same count per output row) or layer; auto = row for sparse-reg and wanda, layer for sparsegpt and magnitude"),
      .init("storage", default: "dense", "dense (exact zeros) or bitmask (compressed-tensors sparse-bitmask)"),
      .init("damp", default: "0.01", "sparsegpt, sparse-reg: relative dampening of the Hessian diagonal"),
      .init("block-size", default: "128", "sparsegpt: columns per lazy batch and adaptive mask"),
      .init("lambda", default: "0.1", "sparse-reg: L1 strength relative to the λ that would reach the target sparsity were H diagonal"),
      .init("iterations", default: "100", "sparse-reg: proximal-gradient iterations at most"),
      .init("refit-iterations", default: "100", "sparse-reg: conjugate-gradient iterations of the refit at most"),
      .init("tolerance", default: "1e-4", "sparse-reg: relative stopping tolerance of both solves"),
      .init("true-sequential", default: "true", "solve q/k/v, o, gate/up, down in turn inside a block"),
    ],
    needsCalibration: true)

  public enum Method: String, Sendable, CaseIterable {
    case sparseReg = "sparse-reg"
    case sparseGPT = "sparsegpt"
    case wanda
    case magnitude
  }

  public let method: Method
  public let pattern: SparsityPattern
  public let bitmask: Bool
  public let sparseGPT: SparseGPTOptions
  public let sparseRegularized: SparseRegularizedOptions
  public let trueSequential: Bool

  /// Magnitude pruning needs no statistics; with none given, H = I stands in for the report.
  public var allowsIdentityHessian: Bool { method == .magnitude }

  public init(parameters: inout PassParameters) throws(CompressionError) {
    method = Method(rawValue: try parameters.choice("method", default: "sparse-reg", in: Method.allCases.map(\.rawValue)))!
    let patternText = parameters.string("pattern", default: "unstructured").lowercased()
    let sparsityGiven = parameters.contains("sparsity")
    let sparsity = try parameters.double("sparsity", default: 0.5, in: 0...0.95)
    let allocationText = try parameters.choice("allocation", default: "auto", in: ["auto", "row", "layer"])
    if patternText == "unstructured" {
      let allocation: SparsityAllocation =
        allocationText == "auto"
        ? (method == .sparseReg || method == .wanda ? .row : .layer) : SparsityAllocation(rawValue: allocationText)!
      pattern = .unstructured(sparsity: sparsity, allocation: allocation)
    } else {
      let (n, m) = try Self.nOfM(patternText)
      pattern = .nOfM(n: n, m: m)
      if sparsityGiven && abs(sparsity - pattern.sparsity) > 1e-9 {
        throw .invalidParameter(
          pass: "prune", key: "sparsity", value: "\(sparsity)",
          expected: "\(pattern.sparsity) or nothing: \(patternText) fixes the sparsity at (M − N) / M")
      }
      if allocationText != "auto" {
        throw .invalidParameter(
          pass: "prune", key: "allocation", value: allocationText, expected: "nothing: N:M patterns are per row")
      }
    }
    bitmask = try parameters.choice("storage", default: "dense", in: ["dense", "bitmask"]) == "bitmask"
    try Self.refuse(["block-size"], unless: method == .sparseGPT, method: method, in: parameters)
    try Self.refuse(["lambda", "iterations", "refit-iterations", "tolerance"], unless: method == .sparseReg, method: method, in: parameters)
    try Self.refuse(["damp"], unless: method == .sparseGPT || method == .sparseReg, method: method, in: parameters)
    let damp = try parameters.double("damp", default: 0.01, in: 0...1)
    let blockSize = try parameters.int("block-size", default: 128, in: 1...1 << 16)
    sparseGPT = SparseGPTOptions(pattern: pattern, blockSize: blockSize, dampening: damp)
    sparseRegularized = SparseRegularizedOptions(
      pattern: pattern, strength: try parameters.double("lambda", default: 0.1, in: 0...1e6),
      maxIterations: try parameters.int("iterations", default: 100, in: 1...100_000),
      tolerance: try parameters.double("tolerance", default: 1e-4, in: 0...1),
      refitIterations: try parameters.int("refit-iterations", default: 100, in: 0...100_000), dampening: damp)
    trueSequential = try parameters.bool("true-sequential", default: true)
  }

  /// `N:M` with `1 ≤ N < M ≤ 256`.
  static func nOfM(_ text: String) throws(CompressionError) -> (Int, Int) {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 2, let n = Int(parts[0]), let m = Int(parts[1]), n >= 1, m <= 256, n < m else {
      throw .invalidParameter(
        pass: "prune", key: "pattern", value: text,
        expected: "unstructured or N:M with 1 ≤ N < M ≤ 256 (at most N non-zeros in every M weights: 2:4, 4:8)")
    }
    return (n, m)
  }

  /// Refuses a method-specific parameter given to another method.
  private static func refuse(_ keys: [String], unless applies: Bool, method: Method, in parameters: PassParameters)
    throws(CompressionError)
  {
    guard !applies, let key = keys.first(where: parameters.contains) else { return }
    throw .invalidParameter(
      pass: "prune", key: key, value: "(given)", expected: "no \(key) with method=\(method.rawValue): it has no such setting")
  }

  public var settings: [String: String] {
    var settings = [
      "method": method.rawValue, "sparsity": "\(pattern.sparsity)", "pattern": pattern.description,
      "storage": bitmask ? "bitmask" : "dense", "true-sequential": "\(trueSequential)",
    ]
    if case .unstructured(_, let allocation) = pattern { settings["allocation"] = allocation.rawValue }
    switch method {
    case .sparseGPT:
      settings["damp"] = "\(sparseGPT.dampening)"
      settings["block-size"] = "\(sparseGPT.blockSize)"
    case .sparseReg:
      settings["damp"] = "\(sparseRegularized.dampening)"
      settings["lambda"] = "\(sparseRegularized.strength)"
      settings["iterations"] = "\(sparseRegularized.maxIterations)"
      settings["refit-iterations"] = "\(sparseRegularized.refitIterations)"
      settings["tolerance"] = "\(sparseRegularized.tolerance)"
    case .wanda, .magnitude: break
    }
    return settings
  }

  /// N:M needs an input width that is a multiple of M, and every method a matrix.
  public func validate(name: String, shape: [Int], layout: WeightLayout) throws(CompressionError) {
    guard shape.count == 2 else {
      throw .unsupportedShape(tensor: name, pass: "prune", shape: shape, expected: "a 2-D weight matrix")
    }
    if case .nOfM(let n, let m) = pattern {
      let width = layout == .outIn ? shape[1] : shape[0]
      guard width % m == 0 else {
        throw .unsupportedShape(
          tensor: name, pass: "prune", shape: shape, expected: "an input width divisible by \(m) for \(n):\(m)")
      }
    }
  }

  /// Used only without statistics, where only magnitude pruning may run (H = I).
  public func apply(to tensor: Tensor, dtype: DType, name: String, layout: WeightLayout)
    throws(CompressionError) -> WorkingTensor
  {
    guard allowsIdentityHessian else { throw .calibrationRequired(pass: "prune") }
    return try solveWithIdentityHessian(tensor, dtype: dtype, name: name, layout: layout)
  }

  public func solve(_ problem: LayerProblem) throws(CompressionError) -> SolvedLayer {
    let start = ContinuousClock.now
    let (weight, hessian) = (problem.weight, problem.hessian)
    try validate(name: problem.name, shape: problem.originalShape, layout: problem.layout)
    let result: PruningResult
    switch method {
    case .magnitude:
      result = magnitudePrune(weight: weight, pattern: pattern)
    case .wanda:
      result = wandaPrune(weight: weight, hessian: hessian, pattern: pattern)
    case .sparseGPT:
      do {
        result = try sparseGPTPrune(weight: weight, hessian: hessian, options: sparseGPT)
      } catch {
        throw .sparseGPT(tensor: problem.name, error)
      }
    case .sparseReg:
      result = sparseRegularizedPrune(weight: weight, hessian: hessian, options: sparseRegularized)
    }
    // An earlier pass's zeros stay zeros (a second prune can only add to them).
    let mask = problem.mask.map { earlier in
      SparsityMask(rows: earlier.rows, columns: earlier.columns, pruned: zip(earlier.pruned, result.mask.pruned).map { $0 || $1 })
    } ?? result.mask
    let pruned = problem.mask == nil ? result.weight : mask.applied(to: result.weight)
    let stored = problem.layout == .outIn ? pruned : pruned.transposed()
    let working: WorkingTensor =
      bitmask
      ? .encoded(SparseBitmaskEncoding.encode(stored, dtype: problem.dtype, pattern: pattern.description))
      : .dense(stored, dtype: problem.dtype)
    // tr(ΔHΔᵀ) by sgemm, or ‖Δ‖² when there are no statistics (H = I, magnitude pruning).
    let identity = Self.isIdentity(hessian)
    func error(_ approximation: Tensor) -> Double {
      identity ? zip(weight.scalars, approximation.scalars).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        : outputError(weight, approximation, hessian: hessian)
    }
    let own = error(pruned)
    let baseline = method == .magnitude && problem.mask == nil ? own : error(magnitudePrune(weight: weight, pattern: pattern).weight)
    let scale = error(Tensor(shape: weight.shape))  // tr(W H Wᵀ)
    var figures = result.figures
    figures["sparsity"] = mask.sparsity
    let elapsed = (ContinuousClock.now - start).components
    let details = LayerRecord(
      pass: Self.description.name, loss: method == .sparseGPT ? result.loss : own,
      relativeOutputError: scale == 0 ? 0 : own / scale, baselineRelativeOutputError: scale == 0 ? 0 : baseline / scale,
      dampening: result.dampening, hessianSource: "",
      seconds: Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18, figures: figures)
    return SolvedLayer(result: working, approximation: pruned, details: details, mask: mask)
  }

  /// Whether `h` is the identity matrix (the statistics stand-in without calibration data).
  static func isIdentity(_ h: Tensor) -> Bool {
    let n = h.shape[0]
    return h.withUnsafeBufferPointer { h in
      (0..<n).allSatisfy { i in (0..<n).allSatisfy { j in h[i * n + j] == (i == j ? 1 : 0) } }
    }
  }
}
