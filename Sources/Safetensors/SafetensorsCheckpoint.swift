/// A checkpoint: one `.safetensors` file, one `.safetensors.zst`, a sharded
/// `*.safetensors.index.json`, or a folder holding `model.safetensors.index.json`,
/// `model.safetensors` or `model.safetensors.zst` (tried in that order).
public struct SafetensorsCheckpoint: Sendable {
  /// The path given to `init`.
  public let path: String
  /// The opened files; for a sharded checkpoint, the shards sorted by file name.
  public let files: [SafetensorsFile]
  private let locations: [String: Location]
  private let sortedTensors: [TensorInfo]

  private struct Location: Sendable {
    let file: Int
    let tensor: TensorInfo
  }

  /// Opens and validates every file; for an index also checks the shards against `weight_map`.
  public init(path: String) throws(SafetensorsError) {
    self.path = path
    let plan = try CheckpointPlan.resolve(path)
    var files: [SafetensorsFile] = []
    for shard in plan.shards {
      try plan.checkExists(shard)
      files.append(try SafetensorsFile(path: plan.fullPath(shard)))
    }
    try plan.validate(zip(plan.shards, files.map(\.header)).map { ($0, $1) })
    var locations: [String: Location] = [:]
    for (i, file) in files.enumerated() {
      for tensor in file.header.tensors { locations[tensor.name] = Location(file: i, tensor: tensor) }
    }
    self.files = files
    self.locations = locations
    sortedTensors = locations.values.map(\.tensor).sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
  }

  /// Every tensor of every file, sorted by name.
  public var tensors: [TensorInfo] { sortedTensors }

  /// The `__metadata__` of the first file (empty when it has none).
  public var metadata: [String: String] { files.first?.header.metadata ?? [:] }

  /// The tensor named `name`, or `nil`.
  public subscript(name: String) -> TensorInfo? { locations[name]?.tensor }

  /// Calls `body` with the bytes of the tensor named `name`; throws
  /// `SafetensorsError.missingTensor` when there is none, or `body`'s error.
  public func withBytes<R>(of name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
    guard let location = locations[name] else { throw SafetensorsError.missingTensor(name: name) }
    return try files[location.file].withBytes(of: location.tensor, body)
  }

  /// The headers of every file, read without mapping or reading any data section (for
  /// inspecting huge checkpoints); sharded checkpoints are validated against their index.
  public static func readHeaders(
    path: String
  ) throws(SafetensorsError) -> [(file: String, header: SafetensorsHeader)] {
    let plan = try CheckpointPlan.resolve(path)
    var headers: [(file: String, header: SafetensorsHeader)] = []
    for shard in plan.shards {
      try plan.checkExists(shard)
      headers.append((plan.fullPath(shard), try SafetensorsFile.readHeader(path: plan.fullPath(shard))))
    }
    try plan.validate(zip(plan.shards, headers.map(\.header)).map { ($0, $1) })
    return headers
  }
}

/// Which files make up a checkpoint, and the index rules that tie them together.
struct CheckpointPlan {
  /// The index file, or `nil` for a single file.
  let indexPath: String?
  /// The file names, relative to `folder` for an index, else the single path.
  let shards: [String]
  let index: ShardIndex?

  static func resolve(_ path: String) throws(SafetensorsError) -> CheckpointPlan {
    var target = path
    if POSIXFile.isDirectory(path) {
      let candidates = ["model.safetensors.index.json", "model.safetensors", "model.safetensors.zst"]
      guard let found = candidates.first(where: { POSIXFile.exists(path + "/" + $0) }) else {
        throw .noCheckpointInFolder(path: path)
      }
      target = path + "/" + found
    }
    guard target.hasSuffix(".json") else { return CheckpointPlan(indexPath: nil, shards: [target], index: nil) }
    do throws(SafetensorsError) {
      let index = try ShardIndex.read(target)
      return CheckpointPlan(indexPath: target, shards: index.shards, index: index)
    } catch {
      throw error.inFile(target)
    }
  }

  func fullPath(_ shard: String) -> String {
    guard let indexPath else { return shard }
    return POSIXFile.folderName(indexPath) + "/" + shard
  }

  func checkExists(_ shard: String) throws(SafetensorsError) {
    guard let indexPath, !POSIXFile.exists(fullPath(shard)) else { return }
    throw SafetensorsError.shardNotFound(shard: shard).inFile(indexPath)
  }

  func validate(_ headers: [(shard: String, header: SafetensorsHeader)]) throws(SafetensorsError) {
    guard let index, let indexPath else { return }
    do throws(SafetensorsError) {
      try index.validate(headers)
    } catch {
      throw error.inFile(indexPath)
    }
  }
}
