import Foundation
import Inference
import Safetensors
import TensorCore

/// Runs passes over a checkpoint, one tensor at a time, and writes the result.
///
/// Memory stays bounded by a few copies of the largest tensor: each tensor is read from the
/// memory-mapped input, sent through the passes that select it, and handed to the streaming
/// writer before the next one is read. Tensors no pass selects are copied byte for byte.
public struct CompressionPipeline: Sendable {
  /// The tool's name and version, recorded in the manifest and the report.
  public static let tool = "swift-model-compression"
  public static let version = "0.1.0"

  /// A built pass with the spec it came from.
  public struct Stage: Sendable {
    public var spec: PassSpec
    public var pass: any CompressionPass
  }

  public let stages: [Stage]

  /// Builds every pass of `specs`, validating all parameters before any work starts.
  public init(specs: [PassSpec], registry: PassRegistry) throws(CompressionError) {
    guard !specs.isEmpty else { throw .noPasses }
    var stages: [Stage] = []
    for spec in specs { stages.append(Stage(spec: spec, pass: try registry.makePass(spec))) }
    self.stages = stages
  }

  /// Compresses the checkpoint at `input` into `output`.
  ///
  /// - Parameter command: the command line to record in the report.
  /// - Throws: `CompressionError`; nothing is left at the output path on failure.
  public func run(
    input: ModelLocation, output: OutputOptions, calibration: CalibrationRequest = .init(),
    command: [String] = [], progress: ProgressHandler? = nil
  ) throws(CompressionError) -> CompressionReport {
    let started = Date()
    let checkpoint = try withSafetensorsErrors { () throws(SafetensorsError) in
      try SafetensorsCheckpoint(path: input.weightsPath)
    }
    let selections = try stages.map { stage throws(CompressionError) in
      Set(try stage.spec.selection.resolve(in: checkpoint.tensors, pass: stage.spec.name))
    }
    let modelType = try input.config()?["model_type"] as? String
    for (stage, selection) in zip(stages, selections) {
      for name in selection.sorted() {
        try stage.pass.validate(
          name: name, shape: checkpoint[name]!.shape, layout: WeightLayout.of(name: name, modelType: modelType))
      }
    }
    let plan = try OutputPlan(input: input, options: output)
    do {
      var run = PipelineRun(stages: stages, selections: selections, modelType: modelType)
      let writer = try withSafetensorsErrors { () throws(SafetensorsError) in
        try SafetensorsWriter(
          path: plan.weightsPath,
          options: .init(zstdLevel: output.zstdLevel, maxShardSize: output.maxShardSize))
      }
      defer { writer.abort() }
      try run.solveCalibratedStages(
        checkpoint: checkpoint, input: input, request: calibration, into: writer, progress: progress)
      let tensors = checkpoint.tensors
      for (index, info) in tensors.enumerated() {
        progress?(.init(stage: "compress", completed: index, total: tensors.count, item: info.name))
        try run.process(info, from: checkpoint, into: writer)
      }
      let manifest = run.manifest()
      var metadata = checkpoint.metadata
      metadata[Manifest.metadataKey] = manifest.encoded()
      let written = try withSafetensorsErrors { () throws(SafetensorsError) in try writer.finish(metadata: metadata) }
      try plan.copyCompanionFiles(from: input)
      if let config = try input.config() {
        try QuantizationConfig.write(manifest: manifest, config: config, into: plan)
      }
      try plan.commit()
      progress?(.init(stage: "compress", completed: tensors.count, total: tensors.count, item: ""))
      return try run.report(
        input: input, written: written, plan: plan, command: command, started: started)
    } catch {
      plan.abort()
      throw error
    }
  }
}

/// Runs a closure that throws `SafetensorsError`, wrapping its error in `CompressionError`.
public func withSafetensorsErrors<T>(_ body: () throws(SafetensorsError) -> T) throws(CompressionError) -> T {
  do {
    return try body()
  } catch {
    throw .safetensors(error)
  }
}

extension SafetensorsWriter {
  /// Adds a tensor from a byte array, wrapping writer errors.
  public func add(name: String, dtype: DType, shape: [Int], contents: [UInt8]) throws(CompressionError) {
    do {
      try contents.withUnsafeBytes { try add(name: name, dtype: dtype, shape: shape, bytes: $0) }
    } catch let error as SafetensorsError {
      throw .safetensors(error)
    } catch {
      throw .io(path: name, reason: "\(error)")
    }
  }
}
