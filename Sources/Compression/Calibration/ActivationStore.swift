import Foundation
import Inference
import Safetensors
import TensorCore

/// The hidden states of every calibration sample between two blocks of the sequential loop.
///
/// Samples stay in memory while their total size is within `memoryBudget` bytes; the rest are
/// spilled to zstd-compressed safetensors files in a private temporary folder (removed when the
/// store is released, or by `OutputCleanup` on Ctrl-C), so calibrating a model whose activations
/// exceed the budget still works.
final class ActivationStore {
  private let memoryBudget: Int
  private var resident: [Int: HiddenStates] = [:]
  private var residentBytes = 0
  private var spilled: Set<Int> = []
  private lazy var folder: String = {
    let path = FileManager.default.temporaryDirectory
      .appendingPathComponent("smc-activations-\(getpid())-\(UUID().uuidString)").path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    OutputCleanup.register(path)
    return path
  }()
  /// How many samples went to disk, for the report.
  private(set) var spillCount = 0

  init(memoryBudget: Int) {
    self.memoryBudget = memoryBudget
  }

  deinit {
    if !spilled.isEmpty || spillCount > 0 {
      try? FileManager.default.removeItem(atPath: folder)
      OutputCleanup.unregister(folder)
    }
  }

  /// Bytes of the budget not taken by resident samples.
  var freeBytes: Int { max(memoryBudget - residentBytes, 0) }

  /// Stores (or replaces) sample `index`.
  func set(_ index: Int, _ states: HiddenStates) throws(CompressionError) {
    if let old = resident.removeValue(forKey: index) { residentBytes -= old.values.count * 4 }
    let bytes = states.values.count * 4
    if residentBytes + bytes <= memoryBudget {
      resident[index] = states
      residentBytes += bytes
      spilled.remove(index)
      return
    }
    try spill(index, states)
  }

  /// Sample `index`, as last stored.
  func get(_ index: Int) throws(CompressionError) -> HiddenStates {
    if let states = resident[index] { return states }
    let file = try withSafetensorsErrors { () throws(SafetensorsError) in try SafetensorsFile(path: path(index)) }
    guard let values = file.header["values"], let lengths = file.header["lengths"],
      let positions = file.header["positions"]
    else { throw .io(path: path(index), reason: "spilled activations are incomplete") }
    let tensor = file.withBytes(of: values) { Tensor(decoding: $0, dtype: .f32, shape: values.shape) }
    let lengthValues = file.withBytes(of: lengths) { [Int64](littleEndianBytes: $0).map { Int($0) } }
    let positionValues = file.withBytes(of: positions) { [Int64](littleEndianBytes: $0).map { Int($0) } }
    return HiddenStates(values: tensor, lengths: lengthValues, positions: positionValues)
  }

  private func path(_ index: Int) -> String { folder + "/sample-\(index).safetensors.zst" }

  private func spill(_ index: Int, _ states: HiddenStates) throws(CompressionError) {
    let writer = try withSafetensorsErrors { () throws(SafetensorsError) in
      try SafetensorsWriter(path: path(index), options: .init(zstdLevel: 1))
    }
    try writer.add(name: "values", dtype: .f32, shape: states.values.shape, contents: states.values.encoded(as: .f32))
    try writer.add(
      name: "lengths", dtype: .i64, shape: [states.lengths.count],
      contents: states.lengths.map { Int64($0) }.littleEndianBytes)
    try writer.add(
      name: "positions", dtype: .i64, shape: [states.positions.count],
      contents: states.positions.map { Int64($0) }.littleEndianBytes)
    _ = try withSafetensorsErrors { () throws(SafetensorsError) in try writer.finish(metadata: nil) }
    spilled.insert(index)
    spillCount += 1
  }
}
