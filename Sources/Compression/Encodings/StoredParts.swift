import Inference
import Safetensors

/// The stored tensors that make up one encoded tensor, read from a checkpoint for decoding.
struct StoredParts {
  /// The original tensor's name and the checkpoint's path, for error messages.
  let tensor: String
  let path: String
  let checkpoint: SafetensorsCheckpoint
  /// `suffix` → stored tensor name.
  let names: [String: String]

  /// Finds the parts of `entry` in `checkpoint`, checking that each exists.
  init(tensor: String, entry: ManifestEntry, checkpoint: SafetensorsCheckpoint) throws(CompressionError) {
    self.tensor = tensor
    self.path = checkpoint.path
    self.checkpoint = checkpoint
    var names: [String: String] = [:]
    for name in entry.parts {
      guard checkpoint[name] != nil else {
        throw .invalidManifest(path: checkpoint.path, reason: "part `\(name)` of `\(tensor)` is missing")
      }
      names[String(name.split(separator: ".").last ?? "")] = name
    }
    self.names = names
  }

  private func info(_ suffix: String) throws(CompressionError) -> TensorInfo {
    guard let name = names[suffix], let info = checkpoint[name] else {
      throw .invalidManifest(path: path, reason: "`\(tensor)` has no `\(suffix)` part")
    }
    return info
  }

  /// The shape of a part.
  func shape(_ suffix: String) throws(CompressionError) -> [Int] {
    try info(suffix).shape
  }

  /// A part's elements as integers of the stored width.
  func integers<T: FixedWidthInteger>(_ suffix: String, as type: T.Type) throws(CompressionError)
    -> [T]
  {
    let info = try info(suffix)
    guard info.dtype.byteSize == MemoryLayout<T>.size else {
      throw .invalidManifest(
        path: path, reason: "part `\(info.name)` is \(info.dtype.rawValue), expected \(T.self)")
    }
    do {
      return try checkpoint.withBytes(of: info.name) { [T](littleEndianBytes: $0) }
    } catch let error as SafetensorsError {
      throw .safetensors(error)
    } catch {
      throw .io(path: path, reason: "\(error)")
    }
  }
}
