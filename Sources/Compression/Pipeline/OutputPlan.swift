import Foundation
import Inference
import Safetensors

/// Where and how to write a result.
public struct OutputOptions: Sendable, Equatable {
  /// The output path: a weights file, or a folder when the input is a model folder.
  public var path: String
  /// Write zstd-compressed safetensors at this level.
  public var zstdLevel: Int?
  /// Split the weights into shards of at most this many bytes.
  public var maxShardSize: Int?

  public init(path: String, zstdLevel: Int? = nil, maxShardSize: Int? = nil) {
    self.path = path
    self.zstdLevel = zstdLevel
    self.maxShardSize = maxShardSize
  }
}

/// How a result reaches its final place without ever leaving a partial output: a weights file is
/// written by the atomic `SafetensorsWriter`; a model folder is assembled in a hidden staging
/// folder beside the destination and renamed into place only when complete.
struct OutputPlan {
  let destination: String
  /// Where the weights writer writes.
  let weightsPath: String
  /// The staging folder, for folder outputs.
  let staging: String?

  /// Plans the output for `input`, refusing to write over any input file.
  init(input: ModelLocation, options: OutputOptions) throws(CompressionError) {
    let destination = options.path
    let inputs = input.weightFiles() + (input.folder.map { [$0] } ?? [])
    let resolved = Self.canonical(destination)
    if inputs.contains(where: { Self.canonical($0) == resolved }) {
      throw .outputIsInput(path: destination)
    }
    self.destination = destination
    guard input.folder != nil else {
      staging = nil
      weightsPath = destination
      return
    }
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: destination, isDirectory: &isDirectory) {
      let contents = (try? FileManager.default.contentsOfDirectory(atPath: destination)) ?? [""]
      guard isDirectory.boolValue, contents.isEmpty else { throw .outputExists(path: destination) }
    }
    let url = URL(fileURLWithPath: destination)
    let staging = url.deletingLastPathComponent()
      .appendingPathComponent(".\(url.lastPathComponent).partial-\(getpid())").path
    do {
      try? FileManager.default.removeItem(atPath: staging)
      try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
    } catch {
      throw .io(path: staging, reason: "cannot create the staging folder: \(error.localizedDescription)")
    }
    OutputCleanup.register(staging)
    self.staging = staging
    let weightsName = options.zstdLevel == nil ? "model.safetensors" : "model.safetensors.zst"
    weightsPath = (staging as NSString).appendingPathComponent(weightsName)
  }

  /// Copies every file of the input folder except its weights into the staging folder.
  func copyCompanionFiles(from input: ModelLocation) throws(CompressionError) {
    guard let staging, let folder = input.folder else { return }
    let weights = Set(input.weightFiles().map(Self.canonical))
    let enumerator = FileManager.default.enumerator(atPath: folder)
    while let relative = enumerator?.nextObject() as? String {
      let source = (folder as NSString).appendingPathComponent(relative)
      let target = (staging as NSString).appendingPathComponent(relative)
      var isDirectory: ObjCBool = false
      _ = FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory)
      do {
        if isDirectory.boolValue {
          try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        } else if !weights.contains(Self.canonical(source)) {
          try FileManager.default.copyItem(atPath: source, toPath: target)
        }
      } catch {
        throw .io(path: target, reason: "cannot copy \(relative): \(error.localizedDescription)")
      }
    }
  }

  /// Writes a JSON object into the staging folder (sorted keys, pretty-printed).
  func writeJSON(_ object: [String: Any], named name: String) throws(CompressionError) {
    guard let staging else { return }
    let path = (staging as NSString).appendingPathComponent(name)
    do {
      let data = try JSONSerialization.data(
        withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
      try data.write(to: URL(fileURLWithPath: path))
    } catch {
      throw .io(path: path, reason: "cannot write: \(error.localizedDescription)")
    }
  }

  /// Moves the finished folder into place.
  func commit() throws(CompressionError) {
    guard let staging else { return }
    do {
      if FileManager.default.fileExists(atPath: destination) {
        try FileManager.default.removeItem(atPath: destination)  // checked empty in init
      }
      try FileManager.default.moveItem(atPath: staging, toPath: destination)
    } catch {
      throw .io(path: destination, reason: "cannot move the result into place: \(error.localizedDescription)")
    }
    OutputCleanup.unregister(staging)
  }

  /// Removes everything written so far.
  func abort() {
    guard let staging else { return }
    try? FileManager.default.removeItem(atPath: staging)
    OutputCleanup.unregister(staging)
  }

  /// The path with symbolic links and `.`/`..` resolved, for identity checks.
  static func canonical(_ path: String) -> String {
    URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
  }
}
