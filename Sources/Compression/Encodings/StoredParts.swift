import Inference
import Safetensors
import TensorCore

/// The stored tensors that make up one encoded tensor, by suffix (`qweight`, …), for decoding:
/// read from a checkpoint, or the parts a pass has just produced.
struct StoredParts {
  /// The original tensor's name and where the parts come from, for error messages.
  let tensor: String
  let path: String
  private let parts: [String: EncodedTensor.Part]

  /// Reads the parts of `entry` from `checkpoint`, checking that each exists. A part's suffix is
  /// its name after the module's (`M.low_rank.A.weight` → `low_rank.A.weight` for `M.weight`).
  init(tensor: String, entry: ManifestEntry, checkpoint: SafetensorsCheckpoint) throws(CompressionError) {
    var parts: [String: EncodedTensor.Part] = [:]
    let module = moduleName(of: tensor) + "."
    for name in entry.parts {
      guard let info = checkpoint[name] else {
        throw .invalidManifest(path: checkpoint.path, reason: "part `\(name)` of `\(tensor)` is missing")
      }
      let suffix = name.hasPrefix(module) ? String(name.dropFirst(module.count)) : String(name.split(separator: ".").last ?? "")
      let bytes = try readBytes(name, from: checkpoint) { [UInt8]($0) }
      parts[suffix] = EncodedTensor.Part(suffix: suffix, dtype: info.dtype, shape: info.shape, bytes: bytes)
    }
    self.init(tensor: tensor, path: checkpoint.path, parts: parts)
  }

  /// The parts of an encoding still in memory (`path` names where it is going).
  init(tensor: String, path: String, encoded: EncodedTensor) {
    self.init(tensor: tensor, path: path, parts: Dictionary(encoded.parts.map { ($0.suffix, $0) }) { $1 })
  }

  /// The parts whose suffix starts with `prefix`, with it removed: the parts of one factor of a
  /// composite encoding (`low_rank.A.`).
  func scoped(_ prefix: String) -> StoredParts {
    var scoped: [String: EncodedTensor.Part] = [:]
    for (suffix, part) in parts where suffix.hasPrefix(prefix) { scoped[String(suffix.dropFirst(prefix.count))] = part }
    return StoredParts(tensor: tensor, path: path, parts: scoped)
  }

  private init(tensor: String, path: String, parts: [String: EncodedTensor.Part]) {
    self.tensor = tensor
    self.path = path
    self.parts = parts
  }

  private func part(_ suffix: String) throws(CompressionError) -> EncodedTensor.Part {
    guard let part = parts[suffix] else {
      throw .invalidManifest(path: path, reason: "`\(tensor)` has no `\(suffix)` part")
    }
    return part
  }

  /// Whether a part with this suffix is stored.
  func has(_ suffix: String) -> Bool { parts[suffix] != nil }

  /// The dtype of a part.
  func dtype(_ suffix: String) throws(CompressionError) -> DType {
    try part(suffix).dtype
  }

  /// The shape of a part.
  func shape(_ suffix: String) throws(CompressionError) -> [Int] {
    try part(suffix).shape
  }

  /// A part's elements as integers of the stored width.
  func integers<T: FixedWidthInteger>(_ suffix: String, as type: T.Type) throws(CompressionError) -> [T] {
    let part = try part(suffix)
    guard part.dtype.byteSize == MemoryLayout<T>.size, part.bytes.count % MemoryLayout<T>.size == 0 else {
      throw .invalidManifest(
        path: path, reason: "part `\(suffix)` of `\(tensor)` is \(part.dtype.rawValue), expected \(T.self)")
    }
    return part.bytes.withUnsafeBytes { [T](littleEndianBytes: $0) }
  }

  /// A floating-point part's elements as Float32.
  func floats(_ suffix: String) throws(CompressionError) -> [Float] {
    let part = try part(suffix)
    guard part.dtype.isFloatingPoint, part.bytes.count == part.shape.reduce(1, *) * part.dtype.byteSize else {
      throw .invalidManifest(path: path, reason: "part `\(suffix)` of `\(tensor)` is \(part.dtype.rawValue), expected floats")
    }
    return part.bytes.withUnsafeBytes { Tensor(decoding: $0, dtype: part.dtype, shape: part.shape).scalars }
  }
}
