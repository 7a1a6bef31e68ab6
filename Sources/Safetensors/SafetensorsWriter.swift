import CZstd

#if canImport(Glibc)
  import Glibc
#endif

/// Writes a safetensors file (or a zstd stream of one, or a sharded checkpoint) deterministically,
/// atomically and with memory bounded by the largest tensor.
///
/// `add` appends each tensor's bytes to an unlinked spool file beside the output; `finish` writes
/// each output as a hidden temporary file (`.<name>.tmp-<pid>-<random>`, registered with
/// `OutputCleanup`), copies the spooled bytes in their final order, fsyncs, and renames every file
/// into place only once all are complete. Any failure removes everything written and leaves a
/// pre-existing file at the destination untouched. Not thread-safe: use it from one task.
public final class SafetensorsWriter {
  /// How the writer lays out its output.
  public struct Options: Sendable {
    /// Compress the output with zstd at this level (the caller picks the `.zst` name).
    public var zstdLevel: Int? = nil
    /// Split into shards of at most this many data bytes when the tensors need more than one.
    public var maxShardSize: Int? = nil

    /// Creates options; the defaults write one uncompressed file.
    public init(zstdLevel: Int? = nil, maxShardSize: Int? = nil) {
      self.zstdLevel = zstdLevel
      self.maxShardSize = maxShardSize
    }
  }

  private enum State { case open, finished, aborted }

  private let path: String
  private let options: Options
  private let spool: Int32
  private var spoolSize = 0
  private var tensors: [SpooledTensor] = []
  private var names: Set<String> = []
  private var temporaries: [String] = []
  private var state = State.open

  /// Prepares to write `path`; creates the spool file in the same folder.
  public init(path: String, options: Options = .init()) throws(SafetensorsError) {
    if let level = options.zstdLevel {
      precondition(
        (Int(ZSTD_minCLevel())...Int(ZSTD_maxCLevel())).contains(level),
        "zstd level \(level) is outside \(ZSTD_minCLevel())...\(ZSTD_maxCLevel())")
    }
    if let size = options.maxShardSize { precondition(size > 0, "maxShardSize \(size) must be positive") }
    self.path = path
    self.options = options
    let spoolPath = Self.temporaryPath(beside: path, kind: "spool")
    do throws(SafetensorsError) {
      spool = try POSIXFile.open(spoolPath, O_RDWR | O_CREAT | O_EXCL, mode: 0o600)
    } catch {
      throw error.inFile(path)
    }
    POSIXFile.unlink(spoolPath)  // the kernel frees it on close or on any kind of exit
  }

  deinit {
    if state == .open { abort() }
  }

  /// `<folder>/.<name>.<kind>-<pid>-<random>`.
  private static func temporaryPath(beside path: String, kind: String) -> String {
    let random = String(UInt32.random(in: .min ... .max), radix: 16)
    return POSIXFile.folderName(path) + "/." + POSIXFile.baseName(path) + ".\(kind)-\(getpid())-\(random)"
  }

  /// Appends one tensor; refuses a reserved or repeated name and a byte count other than
  /// `shape × dtype`. The bytes are copied at once, so the buffer may be reused on return.
  public func add(
    name: String, dtype: DType, shape: [Int], bytes: UnsafeRawBufferPointer
  ) throws(SafetensorsError) {
    precondition(state == .open, "SafetensorsWriter.add(`\(name)`) after finish or abort")
    do throws(SafetensorsError) {
      guard name != "__metadata__" else { throw .reservedName(name: name) }
      guard !names.contains(name) else { throw .duplicateTensor(name: name) }
      guard shape.allSatisfy({ $0 >= 0 }) else { throw .invalidShape(tensor: name, found: "\(shape)") }
      guard let expected = checkedByteCount(shape: shape, dtype: dtype) else {
        throw .sizeOverflow(tensor: name, dtype: dtype, shape: shape)
      }
      guard expected == bytes.count else {
        throw .byteCountMismatch(
          tensor: name, dtype: dtype, shape: shape, expected: expected, actual: bytes.count)
      }
      do throws(SafetensorsError) {
        try POSIXFile.write(spool, bytes, path: "spool file for \(path)")
      } catch {
        abort()
        throw error
      }
      names.insert(name)
      tensors.append(
        SpooledTensor(name: name, dtype: dtype, shape: shape, spoolOffset: spoolSize, byteCount: bytes.count))
      spoolSize += bytes.count
    } catch {
      throw error.inFile(path)
    }
  }

  /// Writes the output files and renames them into place; returns them (shards, then the index).
  public func finish(metadata: [String: String]?) throws(SafetensorsError) -> [WrittenFile] {
    precondition(state == .open, "SafetensorsWriter.finish after finish or abort")
    do throws(SafetensorsError) {
      let shards = WriterLayout.shards(WriterLayout.dataOrder(tensors), maxSize: options.maxShardSize)
      var outputs: [(path: String, bytes: Int)] = []
      if shards.count == 1 {
        outputs.append((path, try writeShard(shards[0], metadata: metadata, to: path)))
      } else {
        let names = WriterLayout.shardPaths(for: path, count: shards.count, zstd: options.zstdLevel != nil)
        var weightMap: [String: String] = [:]
        for (shard, shardPath) in zip(shards, names.shards) {
          outputs.append((shardPath, try writeShard(shard, metadata: metadata, to: shardPath)))
          for tensor in shard { weightMap[tensor.name] = POSIXFile.baseName(shardPath) }
        }
        let index = WriterLayout.indexBytes(totalSize: spoolSize, weightMap: weightMap)
        outputs.append((names.index, try writeFile(to: names.index, size: index.count, compress: false) { write, _ throws(SafetensorsError) in
          try withTypedBytes(index) { (bytes) throws(SafetensorsError) in try write(bytes) }
        }))
      }
      var renamed: [String] = []
      for (temporary, output) in zip(temporaries, outputs) {
        do throws(SafetensorsError) {
          try POSIXFile.rename(temporary, output.path)
        } catch {
          renamed.forEach(POSIXFile.unlink)  // a partial sharded checkpoint is worse than none
          throw error
        }
        renamed.append(output.path)
        OutputCleanup.unregister(temporary)
      }
      temporaries = []
      POSIXFile.syncFolder(of: path)
      POSIXFile.close(spool)
      state = .finished
      return outputs.map { WrittenFile(path: $0.path, byteCount: $0.bytes) }
    } catch {
      abort()
      throw error.inFile(path)
    }
  }

  /// Removes everything written so far (temporary files, the spool); does nothing once finished.
  public func abort() {
    guard state == .open else { return }
    for temporary in temporaries {
      POSIXFile.unlink(temporary)
      OutputCleanup.unregister(temporary)
    }
    temporaries = []
    POSIXFile.close(spool)
    state = .aborted
  }

  /// Writes one safetensors file (header, then the spooled bytes) to a temporary beside `path`.
  /// Uncompressed data moves from the spool with `sendfile`, inside the kernel.
  private func writeShard(
    _ shard: [SpooledTensor], metadata: [String: String]?, to path: String
  ) throws(SafetensorsError) -> Int {
    let header = WriterLayout.headerBytes(shard, metadata: metadata)
    let dataSize = shard.reduce(0) { $0 + $1.byteCount }
    let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 23, alignment: 16)
    defer { chunk.deallocate() }
    return try writeFile(to: path, size: header.count + dataSize) { write, file throws(SafetensorsError) in
      try withTypedBytes(header) { (bytes) throws(SafetensorsError) in try write(bytes) }
      for tensor in shard {
        if let file {
          try POSIXFile.copyRange(
            from: spool, at: tensor.spoolOffset, count: tensor.byteCount, to: file, path: path)
          continue
        }
        var done = 0
        while done < tensor.byteCount {
          let want = min(chunk.count, tensor.byteCount - done)
          let target = UnsafeMutableRawBufferPointer(rebasing: chunk[0..<want])
          let n = try POSIXFile.read(spool, into: target, at: tensor.spoolOffset + done, path: "spool file")
          guard n == want else { throw .io(path: "spool file", reason: "short read") }
          try write(UnsafeRawBufferPointer(target))
          done += n
        }
      }
    }
  }

  /// Creates the temporary for `path`, lets `produce` write `size` plain bytes through the
  /// optional compressor, fsyncs and closes it; returns the bytes on disk. `produce` also gets the
  /// file descriptor when nothing is compressed, so it may copy into the file directly.
  private func writeFile(
    to path: String, size: Int, compress: Bool = true,
    _ produce: (
      (UnsafeRawBufferPointer) throws(SafetensorsError) -> Void, Int32?
    ) throws(SafetensorsError) -> Void
  ) throws(SafetensorsError) -> Int {
    let temporary = Self.temporaryPath(beside: path, kind: "tmp")
    OutputCleanup.register(temporary)
    temporaries.append(temporary)
    let fd = try POSIXFile.open(temporary, O_WRONLY | O_CREAT | O_EXCL, mode: 0o644)
    defer { POSIXFile.close(fd) }
    var written = 0
    let sink: (UnsafeRawBufferPointer) throws(SafetensorsError) -> Void = { bytes throws(SafetensorsError) in
      try POSIXFile.write(fd, bytes, path: temporary)
      written += bytes.count
    }
    if compress, let level = options.zstdLevel {
      let encoder = try ZstdEncoder(level: level, pledgedSize: size)
      try produce({ bytes throws(SafetensorsError) in try encoder.compress(bytes, into: sink) }, nil)
      try encoder.finish(into: sink)
    } else {
      try produce(sink, fd)
      written = try POSIXFile.regularFileSize(fd, path: temporary)
    }
    try POSIXFile.sync(fd, path: temporary)
    return written
  }
}
