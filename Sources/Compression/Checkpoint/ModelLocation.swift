import Foundation

/// Where a checkpoint lives: a weights file (`.safetensors`, `.safetensors.zst`, a sharded
/// `….index.json`) or a Hugging Face model folder holding one of those beside `config.json`.
public struct ModelLocation: Sendable, Equatable {
  /// The path the user gave.
  public var path: String
  /// The weights file or index inside it (equal to `path` when a file was given).
  public var weightsPath: String
  /// The folder, when a model folder was given.
  public var folder: String?

  /// Resolves `path`, looking inside a folder for `model.safetensors.index.json`,
  /// `model.safetensors`, `model.safetensors.zst`, or a single `*.safetensors` file.
  public init(resolving path: String) throws(CompressionError) {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw .invalidInput(path: path, reason: "no such file or folder")
    }
    self.path = path
    guard isDirectory.boolValue else {
      weightsPath = path
      folder = nil
      return
    }
    folder = path
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    let preferred = ["model.safetensors.index.json", "model.safetensors", "model.safetensors.zst"]
    if let name = preferred.first(where: names.contains) {
      weightsPath = (path as NSString).appendingPathComponent(name)
      return
    }
    let candidates = names.filter { $0.hasSuffix(".safetensors") || $0.hasSuffix(".index.json") }
    guard candidates.count == 1 else {
      let reason =
        candidates.isEmpty
        ? "the folder holds no .safetensors file"
        : "the folder holds several weight files (\(candidates.joined(separator: ", "))); name one"
      throw .invalidInput(path: path, reason: reason)
    }
    weightsPath = (path as NSString).appendingPathComponent(candidates[0])
  }

  /// Every file that holds weights (the shards of an index, else the weights file itself).
  public func weightFiles() -> [String] {
    guard weightsPath.hasSuffix(".index.json"),
      let data = FileManager.default.contents(atPath: weightsPath),
      let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let map = root["weight_map"] as? [String: String]
    else { return [weightsPath] }
    let directory = (weightsPath as NSString).deletingLastPathComponent
    return [weightsPath]
      + Set(map.values).sorted().map { (directory as NSString).appendingPathComponent($0) }
  }

  /// `config.json` of the model folder, parsed; `nil` for a bare weights file or when absent.
  public func config() throws(CompressionError) -> [String: Any]? {
    guard let folder else { return nil }
    let configPath = (folder as NSString).appendingPathComponent("config.json")
    guard let data = FileManager.default.contents(atPath: configPath) else { return nil }
    guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw .invalidConfig(path: configPath, reason: "not a JSON object")
    }
    return object
  }
}
