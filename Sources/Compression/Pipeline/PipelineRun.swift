import Foundation
import Inference
import Safetensors
import TensorCore

/// The state of one pipeline run: which tensors went through which passes, the manifest entries
/// and the per-tensor report rows collected so far.
struct PipelineRun {
  let stages: [CompressionPipeline.Stage]
  let selections: [Set<String>]
  let modelType: String?
  private(set) var entries: [String: ManifestEntry] = [:]
  private(set) var records: [CompressionReport.TensorRecord] = []
  private(set) var seconds: [Double]
  private(set) var selectedCounts: [Int]
  private(set) var tensorBytesBefore = 0
  private(set) var tensorBytesAfter = 0
  /// Results of calibrated stages that a later plain stage also selects, held for `process`.
  private(set) var solved: [String: CalibratedTensor] = [:]
  /// Tensors written as soon as their calibrated stage solved them (no later stage selects them).
  private(set) var written: Set<String> = []
  /// Each tensor's place in the checkpoint, in the order `process` saw them (the report's order).
  private(set) var order: [String: Int] = [:]

  init(stages: [CompressionPipeline.Stage], selections: [Set<String>], modelType: String?) {
    self.stages = stages
    self.selections = selections
    self.modelType = modelType
    seconds = Array(repeating: 0, count: stages.count)
    selectedCounts = selections.map(\.count)
  }

  /// Sends one tensor through the passes that select it and hands the result to `writer`.
  mutating func process(
    _ info: TensorInfo, from checkpoint: SafetensorsCheckpoint, into writer: SafetensorsWriter
  ) throws(CompressionError) {
    order[info.name] = order.count
    guard !written.contains(info.name) else { return }
    let stageIndices = stages(selecting: info.name)
    guard !stageIndices.isEmpty else {
      tensorBytesBefore += info.byteCount
      tensorBytesAfter += info.byteCount
      try copy(info, from: checkpoint, into: writer)
      return
    }
    let original = try load(info, from: checkpoint, pass: stages[stageIndices[0]].spec.name)
    var state = WorkingTensor.dense(original, dtype: info.dtype)
    let layout = WeightLayout.of(name: info.name, modelType: modelType)
    let precomputed = solved.removeValue(forKey: info.name)
    if let precomputed { state = precomputed.result }
    for index in stageIndices where index > (precomputed?.stage ?? -1) {
      let name = stages[index].spec.name
      guard case .dense(let tensor, let dtype) = state else {
        if case .encoded(let encoded) = state {
          throw .tensorAlreadyEncoded(tensor: info.name, pass: name, encoding: encoded.entry.encoding)
        }
        continue
      }
      let clock = ContinuousClock.now
      state = try stages[index].pass.apply(to: tensor, dtype: dtype, name: info.name, layout: layout)
      seconds[index] += (ContinuousClock.now - clock).seconds
    }
    try finish(info, original: original, state: state, stages: stageIndices, layers: precomputed?.details ?? [], into: writer)
  }

  /// The indices of the stages whose selection holds `name`, in order.
  private func stages(selecting name: String) -> [Int] {
    stages.indices.filter { selections[$0].contains(name) }
  }

  /// Writes a touched tensor's final state and adds its report row.
  private mutating func finish(
    _ info: TensorInfo, original: Tensor, state: WorkingTensor, stages stageIndices: [Int], layers: [LayerRecord],
    into writer: SafetensorsWriter
  ) throws(CompressionError) {
    tensorBytesBefore += info.byteCount
    let (bytesAfter, approximation, storedAs) = try store(state, info: info, into: writer)
    tensorBytesAfter += bytesAfter
    var parameters: [String: String] = [:]
    for index in stageIndices { parameters.merge(stages[index].pass.settings) { $1 } }
    records.append(
      CompressionReport.TensorRecord(
        name: info.name, method: stageIndices.map { stages[$0].spec.name }.joined(separator: "+"),
        parameters: parameters, shape: info.shape, dtypeBefore: info.dtype.rawValue,
        storedAs: storedAs, bytesBefore: info.byteCount, bytesAfter: bytesAfter,
        bitsPerWeight: info.elementCount == 0 ? 0 : Double(bytesAfter * 8) / Double(info.elementCount),
        relativeError: relativeError(original, approximation),
        sparsity: approximation.count == 0 ? 0 : Double(approximation.scalars.reduce(0) { $0 + ($1 == 0 ? 1 : 0) }) / Double(approximation.count),
        layers: layers))
  }

  /// Writes the final state of a touched tensor; returns its stored bytes, decoded values and
  /// what it is stored as.
  private mutating func store(_ state: WorkingTensor, info: TensorInfo, into writer: SafetensorsWriter)
    throws(CompressionError) -> (Int, Tensor, String)
  {
    switch state {
    case .dense(let tensor, let dtype):
      let bytes = tensor.encoded(as: dtype)
      try writer.add(name: info.name, dtype: dtype, shape: info.shape, contents: bytes)
      if dtype != info.dtype {
        entries[info.name] = ManifestEntry(encoding: "cast", dtype: info.dtype.rawValue, shape: info.shape)
      }
      let stored = bytes.withUnsafeBytes { Tensor(decoding: $0, dtype: dtype, shape: info.shape) }
      return (bytes.count, stored, dtype.rawValue)
    case .encoded(var encoded):
      let prefix = moduleName(of: info.name)
      var total = 0
      for part in encoded.parts {
        let name = "\(prefix).\(part.suffix)"
        try writer.add(name: name, dtype: part.dtype, shape: part.shape, contents: part.bytes)
        encoded.entry.parts.append(name)
        total += part.bytes.count
      }
      entries[info.name] = encoded.entry
      return (total, try encoded.decoded(tensor: info.name), encoded.entry.encoding)
    }
  }

  /// Reads a selected tensor as Float32, refusing non-float dtypes and non-finite values.
  private func load(_ info: TensorInfo, from checkpoint: SafetensorsCheckpoint, pass: String)
    throws(CompressionError) -> Tensor
  {
    guard info.dtype.isFloatingPoint else {
      throw .unsupportedDType(tensor: info.name, pass: pass, dtype: info.dtype)
    }
    let tensor = try readBytes(info.name, from: checkpoint) {
      Tensor(decoding: $0, dtype: info.dtype, shape: info.shape)
    }
    if let index = tensor.scalars.firstIndex(where: { !$0.isFinite }) {
      throw .nonFiniteWeight(tensor: info.name, index: index, value: tensor.scalars[index])
    }
    return tensor
  }

  private func copy(_ info: TensorInfo, from checkpoint: SafetensorsCheckpoint, into writer: SafetensorsWriter)
    throws(CompressionError)
  {
    try readBytes(info.name, from: checkpoint) { bytes throws(CompressionError) in
      try withSafetensorsErrors { () throws(SafetensorsError) in
        try writer.add(name: info.name, dtype: info.dtype, shape: info.shape, bytes: bytes)
      }
    }
  }

  /// Runs every calibrated stage over its selection before the streaming loop, all in one
  /// calibration loop. A layer no later plain stage selects is written as soon as it is solved, so
  /// that solved layers do not pile up in memory; the others wait in `solved` for `process`.
  mutating func solveCalibratedStages(
    checkpoint: SafetensorsCheckpoint, input: ModelLocation, request: CalibrationRequest,
    into writer: SafetensorsWriter, progress: ProgressHandler?
  ) throws(CompressionError) {
    var calibrated: [CalibrationDriver.Stage] = []
    for (index, stage) in stages.enumerated() {
      guard let pass = stage.pass as? any CalibratedPass, !selections[index].isEmpty else { continue }
      for earlier in 0..<index where !(stages[earlier].pass is any CalibratedPass) {
        if let shared = selections[earlier].intersection(selections[index]).sorted().first {
          throw .calibratedAfterEarlierPass(pass: stage.spec.name, earlier: stages[earlier].spec.name, tensor: shared)
        }
      }
      calibrated.append(.init(index: index, name: stage.spec.name, pass: pass, names: selections[index]))
    }
    guard !calibrated.isEmpty else { return }
    let clock = ContinuousClock.now
    var writing = Duration.zero
    var solving = [Int: Double]()
    try CalibrationDriver.solve(
      stages: calibrated, checkpoint: checkpoint, input: input, modelType: modelType, request: request,
      progress: progress
    ) { name, layer throws(CompressionError) in
      for (record, stage) in zip(layer.details, calibrated.filter({ $0.names.contains(name) })) {
        solving[stage.index, default: 0] += record.seconds
      }
      let stageIndices = stages(selecting: name)
      guard stageIndices.last == layer.stage, let info = checkpoint[name] else {
        solved[name] = layer
        return
      }
      let started = ContinuousClock.now
      let original = try load(info, from: checkpoint, pass: stages[stageIndices[0]].spec.name)
      try finish(info, original: original, state: layer.result, stages: stageIndices, layers: layer.details, into: writer)
      written.insert(name)
      writing += ContinuousClock.now - started
    }
    // Each stage gets its solves; the loop's forward passes count for the first one.
    let total = (ContinuousClock.now - clock - writing).seconds
    for stage in calibrated { seconds[stage.index] += solving[stage.index] ?? 0 }
    seconds[calibrated[0].index] += max(0, total - solving.values.reduce(0, +))
  }

  /// The manifest of everything processed so far.
  func manifest() -> Manifest {
    Manifest(
      tool: CompressionPipeline.tool, version: CompressionPipeline.version,
      passes: stages.map { .init(name: $0.spec.name, settings: $0.pass.settings) }, tensors: entries)
  }
}

/// Gives `body` the bytes of a stored tensor, mapping reader errors to `CompressionError`.
func readBytes<R>(
  _ name: String, from checkpoint: SafetensorsCheckpoint,
  _ body: (UnsafeRawBufferPointer) throws(CompressionError) -> R
) throws(CompressionError) -> R {
  do {
    return try checkpoint.withBytes(of: name) { bytes in try body(bytes) }
  } catch let error as CompressionError {
    throw error
  } catch let error as SafetensorsError {
    throw .safetensors(error)
  } catch {
    throw .io(path: checkpoint.path, reason: "\(error)")
  }
}

extension Duration {
  /// The duration in seconds as a `Double`.
  var seconds: Double {
    let (whole, fraction) = components
    return Double(whole) + Double(fraction) / 1e18
  }
}
