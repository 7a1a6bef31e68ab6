import Foundation
import Inference
import Safetensors
import TensorCore

/// Rebuilds a dense checkpoint, with the original names, shapes and dtypes, from anything this
/// tool wrote (its manifest says how each tensor is stored).
public struct Decompressor: Sendable {
  /// The dtype of every floating-point output tensor; `nil` keeps each tensor's original dtype.
  public var dtype: DType?

  public init(dtype: DType? = nil) {
    precondition(dtype?.isFloatingPoint ?? true, "Decompressor: dtype must be floating-point")
    self.dtype = dtype
  }

  /// Decompresses `input` into `output`; returns the files written.
  public func run(input: ModelLocation, output: OutputOptions, progress: ProgressHandler? = nil)
    throws(CompressionError) -> [String]
  {
    let checkpoint = try withSafetensorsErrors { () throws(SafetensorsError) in
      try SafetensorsCheckpoint(path: input.weightsPath)
    }
    guard let manifest = try Manifest.decode(from: checkpoint.metadata, path: checkpoint.path) else {
      throw .missingManifest(path: checkpoint.path)
    }
    let plan = try OutputPlan(input: input, options: output)
    do {
      let writer = try withSafetensorsErrors { () throws(SafetensorsError) in
        try SafetensorsWriter(
          path: plan.weightsPath,
          options: .init(zstdLevel: output.zstdLevel, maxShardSize: output.maxShardSize))
      }
      defer { writer.abort() }
      let partNames = Set(manifest.tensors.values.flatMap(\.parts))
      let plain = checkpoint.tensors.map(\.name).filter { !partNames.contains($0) && manifest.tensors[$0] == nil }
      let names = (plain + manifest.tensors.keys).sorted()
      for (index, name) in names.enumerated() {
        progress?(.init(stage: "decompress", completed: index, total: names.count, item: name))
        try restore(name, entry: manifest.tensors[name], from: checkpoint, into: writer)
      }
      var metadata = checkpoint.metadata
      metadata[Manifest.metadataKey] = nil
      let written = try withSafetensorsErrors { () throws(SafetensorsError) in try writer.finish(metadata: metadata) }
      try plan.copyCompanionFiles(from: input)
      if var config = try input.config() {
        config["quantization_config"] = nil
        try plan.writeJSON(config, named: "config.json")
        if let staging = plan.staging {
          try? FileManager.default.removeItem(
            atPath: (staging as NSString).appendingPathComponent("quantize_config.json"))
        }
      }
      try plan.commit()
      return written.map { file in
        plan.staging.map { plan.destination + String(file.path.dropFirst($0.count)) } ?? file.path
      }
    } catch {
      plan.abort()
      throw error
    }
  }

  /// Writes one original tensor: decoded from its encoding, or converted/copied when plain.
  private func restore(
    _ name: String, entry: ManifestEntry?, from checkpoint: SafetensorsCheckpoint,
    into writer: SafetensorsWriter
  ) throws(CompressionError) {
    let dense: Tensor
    let originalDType: DType
    if let entry, entry.encoding != "cast" {
      guard let dtype = DType(rawValue: entry.dtype), dtype.isFloatingPoint else {
        throw .invalidManifest(path: checkpoint.path, reason: "`\(name)` has dtype \(entry.dtype)")
      }
      let parts = try StoredParts(tensor: name, entry: entry, checkpoint: checkpoint)
      dense = try Self.decode(parts, entry: entry)
      originalDType = dtype
    } else {
      guard let info = checkpoint[name] else {
        throw .invalidManifest(path: checkpoint.path, reason: "tensor `\(name)` is missing")
      }
      let original = entry.flatMap { DType(rawValue: $0.dtype) } ?? info.dtype
      let target = info.dtype.isFloatingPoint ? (dtype ?? original) : info.dtype
      if target == info.dtype {
        return try readBytes(name, from: checkpoint) { bytes throws(CompressionError) in
          try withSafetensorsErrors { () throws(SafetensorsError) in
            try writer.add(name: name, dtype: info.dtype, shape: info.shape, bytes: bytes)
          }
        }
      }
      dense = try readBytes(name, from: checkpoint) {
        Tensor(decoding: $0, dtype: info.dtype, shape: info.shape)
      }
      originalDType = original
    }
    let target = dtype ?? originalDType
    let bytes = dense.encoded(as: target)
    try writer.add(name: name, dtype: target, shape: dense.shape, contents: bytes)
  }

  /// Decoders by manifest encoding name.
  static func decode(_ parts: StoredParts, entry: ManifestEntry) throws(CompressionError) -> Tensor {
    switch entry.encoding {
    case GPTQEncoding.name:
      return try GPTQEncoding.decode(parts, entry: entry)
    case SparseBitmaskEncoding.name:
      return try SparseBitmaskEncoding.decode(parts, entry: entry)
    case LowRankEncoding.name:
      return try LowRankEncoding.decode(parts, entry: entry)
    case BinaryEncoding.name:
      return try BinaryEncoding.decode(parts, entry: entry)
    default:
      throw .invalidManifest(path: parts.path, reason: "unknown encoding `\(entry.encoding)` for `\(parts.tensor)`")
    }
  }
}
