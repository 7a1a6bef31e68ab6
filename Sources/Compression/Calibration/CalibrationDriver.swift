import Foundation
import Inference
import Safetensors
import TensorCore

/// What the pipeline keeps of a solved layer until it writes it: the encoding and the report's
/// figures. The dense approximation is dropped once the sequential loop has used it, so that
/// memory does not grow with the model.
struct CalibratedTensor {
  var result: WorkingTensor
  var details: LayerRecord

  init(_ layer: SolvedLayer, hessianSource: String) {
    result = layer.result
    details = layer.details
    details.hessianSource = hessianSource
  }
}

/// Gets a calibrated pass its statistics and runs it over the selected weights, by one of the
/// three routes of issue 4: the sequential loop over calibration data, a Hessian file, or H = I.
enum CalibrationDriver {
  /// Hands each solved layer to `deliver` as soon as it is solved.
  static func solve(
    pass: any CalibratedPass, passName: String, names: Set<String>, checkpoint: SafetensorsCheckpoint,
    input: ModelLocation, modelType: String?, request: CalibrationRequest, progress: ProgressHandler?,
    deliver: Deliver
  ) throws(CompressionError) {
    if let data = request.dataPath {
      return try sequential(
        pass: pass, names: names, checkpoint: checkpoint, input: input, modelType: modelType, data: data,
        request: request, progress: progress, deliver: deliver)
    }
    let widths = try inputWidths(names, checkpoint: checkpoint, modelType: modelType, pass: passName)
    let hessians: [String: Tensor]
    let source: String
    if let path = request.hessiansPath {
      hessians = try HessianFile.read(path: path, weights: widths)
      source = "hessian-file"
    } else if pass.allowsIdentityHessian {
      hessians = widths.mapValues { Tensor.identity($0) }
      source = "identity"
    } else {
      throw .calibrationRequired(pass: passName)
    }
    for (index, name) in names.sorted().enumerated() {
      progress?(.init(stage: passName, completed: index, total: names.count, item: name))
      let info = checkpoint[name]!
      let layout = WeightLayout.of(name: name, modelType: modelType)
      let stored = try readBytes(name, from: checkpoint) { Tensor(decoding: $0, dtype: info.dtype, shape: info.shape) }
      let weight = layout == .outIn ? stored : stored.transposed()  // (out, in)
      let solved = try pass.solve(
        weight: weight, hessian: hessians[name]!, name: name, dtype: info.dtype, originalShape: info.shape, layout: layout)
      try deliver(name, CalibratedTensor(solved, hessianSource: source))
    }
  }

  /// Receives a solved layer by name.
  typealias Deliver = (_ name: String, _ layer: CalibratedTensor) throws(CompressionError) -> Void

  /// The input width of every selected weight, refusing anything that is not a float matrix.
  private static func inputWidths(
    _ names: Set<String>, checkpoint: SafetensorsCheckpoint, modelType: String?, pass: String
  ) throws(CompressionError) -> [String: Int] {
    var widths: [String: Int] = [:]
    for name in names {
      let info = checkpoint[name]!
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
    pass: any CalibratedPass, names: Set<String>, checkpoint: SafetensorsCheckpoint, input: ModelLocation,
    modelType: String?, data: String, request: CalibrationRequest, progress: ProgressHandler?, deliver: Deliver
  ) throws(CompressionError) {
    guard let folder = input.folder else { throw .calibrationNeedsModelFolder(path: input.path) }
    let loaded = try LoadedModel(path: folder, residency: .streamed)
    let linears = Set(loaded.model.blocks.flatMap(\.linearNames))
    if let outside = names.subtracting(linears).sorted().first {
      throw .notABlockLinear(tensor: outside)
    }
    let calibration = try loaded.calibrationSet(path: data, options: request.options)
    var model = loaded.model
    try SequentialCalibrator(trueSequential: pass.trueSequential, memoryBudget: request.memoryBudget).run(
      model: &model, calibration: calibration, selected: names, progress: progress
    ) { name, weight, hessian throws(CompressionError) in
      let info = checkpoint[name]!
      let solved = try pass.solve(
        weight: weight, hessian: hessian.hessian, name: name, dtype: info.dtype, originalShape: info.shape,
        layout: WeightLayout.of(name: name, modelType: modelType))
      try deliver(name, CalibratedTensor(solved, hessianSource: "sequential"))
      return solved.approximation
    }
  }
}
