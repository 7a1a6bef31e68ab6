import Foundation
import Inference
import Safetensors
import TensorCore

/// What the pipeline keeps of a solved layer until it writes it: the last calibrated stage's
/// encoding and every stage's report figures. The dense approximation is dropped once the
/// sequential loop has used it, so that memory does not grow with the model.
struct CalibratedTensor {
  var result: WorkingTensor
  /// One record per calibrated stage that solved the layer, in order.
  var details: [LayerRecord]
  /// The pipeline index of the last calibrated stage that solved it.
  var stage: Int
}

/// Gets the calibrated passes their statistics and runs them over the selected weights, by one of
/// three routes: the sequential loop over calibration data, a Hessian file, or H = I. Every
/// calibrated stage of a pipeline runs in the same loop: a linear several of them select is solved
/// by each in pipeline order, each on the previous one's result and with the same Hessian, before
/// the block is re-run (so `prune` then `gptq` is SparseGPT's joint sparse and quantized mode).
enum CalibrationDriver {
  /// One calibrated stage of the pipeline.
  struct Stage {
    /// The stage's index in the pipeline, and its pass's name.
    var index: Int
    var name: String
    var pass: any CalibratedPass
    /// The tensors it selects.
    var names: Set<String>
  }

  /// Hands each solved layer to `deliver` as soon as every stage that selects it has solved it.
  /// A stage that spends a budget over the whole model (`needsSurvey`) first surveys every layer
  /// it selects in the original model and is re-made with its plan.
  static func solve(
    stages: [Stage], checkpoint: SafetensorsCheckpoint, input: ModelLocation, modelType: String?,
    request: CalibrationRequest, progress: ProgressHandler?, deliver: Deliver
  ) throws(CompressionError) {
    var stages = stages
    for i in stages.indices where stages[i].pass.needsSurvey {
      let pass = stages[i].pass
      var surveys: [LayerSurvey] = []
      try visit(
        stages: [stages[i]], checkpoint: checkpoint, input: input, modelType: modelType, request: request,
        crossStatistics: false, progress: progress
      ) { problem, _ throws(CompressionError) in
        surveys.append(try pass.survey(problem))
        return problem.weight  // nothing changes while surveying
      }
      stages[i].pass = pass.planned(surveys)
    }
    try visit(
      stages: stages, checkpoint: checkpoint, input: input, modelType: modelType, request: request,
      crossStatistics: stages.contains { $0.pass.needsCrossStatistics }, progress: progress
    ) { [stages] problem, source throws(CompressionError) in
      let (solved, approximation) = try solveChain(stages, problem: problem, source: source)
      try deliver(problem.name, solved)
      return approximation
    }
  }

  /// Receives one layer's problem and where its statistics came from; returns the dense weight
  /// the model continues with.
  typealias Visit = (_ problem: LayerProblem, _ source: String) throws(CompressionError) -> Tensor

  /// Hands every layer the stages select to `body` with its statistics: through the sequential
  /// loop over calibration data, or from a Hessian file, or with H = I.
  private static func visit(
    stages: [Stage], checkpoint: SafetensorsCheckpoint, input: ModelLocation, modelType: String?,
    request: CalibrationRequest, crossStatistics: Bool, progress: ProgressHandler?, body: Visit
  ) throws(CompressionError) {
    let names = stages.reduce(into: Set<String>()) { $0.formUnion($1.names) }
    if let data = request.dataPath {
      return try sequential(
        stages: stages, names: names, checkpoint: checkpoint, input: input, modelType: modelType, data: data,
        request: request, crossStatistics: crossStatistics, progress: progress, body: body)
    }
    if crossStatistics, let stage = stages.first(where: { $0.pass.needsCrossStatistics }) {
      throw .calibrationRequired(pass: stage.name)  // cross statistics come from the loop only
    }
    let widths = try inputWidths(names, checkpoint: checkpoint, modelType: modelType, stages: stages)
    let hessians: [String: Tensor]
    let source: String
    if let path = request.hessiansPath {
      hessians = try HessianFile.read(path: path, weights: widths)
      source = "hessian-file"
    } else if let refusing = stages.first(where: { !$0.pass.allowsIdentityHessian }) {
      throw .calibrationRequired(pass: refusing.name)
    } else {
      hessians = widths.mapValues { Tensor.identity($0) }
      source = "identity"
    }
    for (index, name) in names.sorted().enumerated() {
      progress?(.init(stage: stages[0].name, completed: index, total: names.count, item: name))
      let info = checkpoint[name]!
      let layout = WeightLayout.of(name: name, modelType: modelType)
      let stored = try readBytes(name, from: checkpoint) { Tensor(decoding: $0, dtype: info.dtype, shape: info.shape) }
      let weight = layout == .outIn ? stored : stored.transposed()  // (out, in)
      _ = try body(
        LayerProblem(
          weight: weight, hessian: hessians[name]!, name: name, dtype: info.dtype, originalShape: info.shape,
          layout: layout), source)
    }
  }

  /// Receives a solved layer by name.
  typealias Deliver = (_ name: String, _ layer: CalibratedTensor) throws(CompressionError) -> Void

  /// Solves one linear by every stage that selects it, in order; returns what to store and the
  /// dense weight the model continues with.
  static func solveChain(_ stages: [Stage], problem: LayerProblem, source: String) throws(CompressionError)
    -> (CalibratedTensor, Tensor)
  {
    var problem = problem
    var solved: CalibratedTensor?
    var factored: (factors: LowRankFactors, entry: ManifestEntry, target: Tensor)?  // after a low-rank stage
    for stage in stages where stage.names.contains(problem.name) {
      var layer: SolvedLayer
      if let (factors, entry, target) = factored {
        layer = try solveFactors(factors, of: problem, target: target, entry: entry, by: stage)
      } else {
        if case .encoded(let encoded) = solved?.result {
          throw .tensorAlreadyEncoded(tensor: problem.name, pass: stage.name, encoding: encoded.entry.encoding)
        }
        layer = try stage.pass.solve(problem)
      }
      layer.details.hessianSource = source
      if let factors = layer.factors, case .encoded(let encoded) = layer.result {
        factored = (factors, encoded.entry, factored?.target ?? problem.weight)
      }
      problem.weight = layer.approximation
      problem.mask = layer.mask
      solved = CalibratedTensor(
        result: layer.result, details: (solved?.details ?? []) + [layer.details], stage: stage.index)
    }
    return (solved!, problem.weight)
  }

  /// Solves the two factors of a low-rank layer by a later calibrated stage (low-rank then
  /// GPTQ): A on the layer's inputs (Hessian H); then B, first refitted to the changed Â so that
  /// B·Â·X reproduces the layer's target output (`refitSecondFactor`), on Â's outputs (Hessian
  /// Â·H·Âᵀ). The report gets the B solve's record with the whole layer's output error.
  private static func solveFactors(
    _ factors: LowRankFactors, of problem: LayerProblem, target: Tensor, entry: ManifestEntry, by stage: Stage
  ) throws(CompressionError) -> SolvedLayer {
    let module = moduleName(of: problem.name)
    func part(_ factor: String, _ weight: Tensor, _ hessian: Tensor) -> LayerProblem {
      LayerProblem(
        weight: weight, hessian: hessian, name: module + ".low_rank.\(factor).weight", dtype: problem.dtype,
        originalShape: weight.shape, layout: .outIn)
    }
    let first = try stage.pass.solve(part("A", factors.a, problem.hessian))
    let a = first.approximation  // Â (r, in)
    let b: Tensor
    do {
      b = try refitSecondFactor(target: target, a: a, hessian: problem.hessian, cross: problem.cross?.cross) ?? factors.b
    } catch {
      throw .linearAlgebra(tensor: problem.name, error)
    }
    let secondHessian = matmul(matmul(a, problem.hessian), a, transposeB: true)  // Â·H·Âᵀ (r, r)
    var second = try stage.pass.solve(part("B", b, secondHessian))
    let approximation = matmul(second.approximation, a)  // B̂·Â (out, in)
    second.details.loss += first.details.loss
    second.details.seconds += first.details.seconds
    second.details.figures["factor_a_relative_output_error"] = first.details.relativeOutputError
    second.details.figures["factor_b_relative_output_error"] = second.details.relativeOutputError
    second.details.relativeOutputError = relativeOutputError(problem.weight, approximation, hessian: problem.hessian)
    let encoded = LowRankEncoding.encode(
      a: first.result, b: second.result, rank: factors.rank, originalDType: DType(rawValue: entry.dtype) ?? problem.dtype,
      originalShape: entry.shape, layout: problem.layout)
    return SolvedLayer(
      result: .encoded(encoded), approximation: approximation, details: second.details, mask: problem.mask,
      factors: LowRankFactors(a: a, b: second.approximation))
  }

  /// The input width of every selected weight, refusing anything that is not a float matrix.
  private static func inputWidths(
    _ names: Set<String>, checkpoint: SafetensorsCheckpoint, modelType: String?, stages: [Stage]
  ) throws(CompressionError) -> [String: Int] {
    var widths: [String: Int] = [:]
    for name in names {
      let info = checkpoint[name]!
      let pass = stages.first { $0.names.contains(name) }!.name
      guard info.dtype.isFloatingPoint else { throw .unsupportedDType(tensor: name, pass: pass, dtype: info.dtype) }
      guard info.shape.count == 2 else {
        throw .unsupportedShape(tensor: name, pass: pass, shape: info.shape, expected: "a 2-D weight matrix")
      }
      widths[name] = WeightLayout.of(name: name, modelType: modelType) == .outIn ? info.shape[1] : info.shape[0]
    }
    return widths
  }

  /// The sequential loop: each layer is solved on the outputs of the already-compressed prefix.
  private static func sequential(
    stages: [Stage], names: Set<String>, checkpoint: SafetensorsCheckpoint, input: ModelLocation,
    modelType: String?, data: String, request: CalibrationRequest, crossStatistics: Bool, progress: ProgressHandler?,
    body: Visit
  ) throws(CompressionError) {
    guard let folder = input.folder else { throw .calibrationNeedsModelFolder(path: input.path) }
    let loaded = try LoadedModel(path: folder, residency: .streamed)
    let linears = Set(loaded.model.blocks.flatMap(\.linearNames))
    if let outside = names.subtracting(linears).sorted().first {
      throw .notABlockLinear(tensor: outside)
    }
    let calibration = try loaded.calibrationSet(path: data, options: request.options)
    var model = loaded.model
    let trueSequential = stages.contains { $0.pass.trueSequential }
    try SequentialCalibrator(
      trueSequential: trueSequential, memoryBudget: request.memoryBudget, crossStatistics: crossStatistics
    ).run(model: &model, calibration: calibration, selected: names, progress: progress) {
      name, weight, statistics throws(CompressionError) in
      let info = checkpoint[name]!
      return try body(
        LayerProblem(
          weight: weight, hessian: statistics.hessian, name: name, dtype: info.dtype, originalShape: info.shape,
          layout: WeightLayout.of(name: name, modelType: modelType), cross: statistics.cross), "sequential")
    }
  }
}
