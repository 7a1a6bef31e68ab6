#if canImport(Glibc)
  import Glibc
#endif

/// A safetensors file mapped read-only into memory; owns the mapping and unmaps it in `deinit`.
///
/// Opening validates the header completely and touches only the header's pages; the data pages
/// are read lazily by the kernel when `withBytes` reaches them. A `.safetensors.zst` file is
/// stream-decompressed into an unlinked temporary file, which is mapped instead.
/// The file must not be truncated while mapped (the system would raise SIGBUS).
public final class SafetensorsFile: Sendable {
  /// The path given to `init`.
  public let path: String
  /// The validated header.
  public let header: SafetensorsHeader
  /// The size of the (decompressed) safetensors bytes.
  public let fileSize: Int
  /// The mapping's address as an integer, so that the class stays `Sendable` without `unsafe`.
  private let address: UInt

  /// Maps and validates the file at `path` (`.safetensors` or `.safetensors.zst`).
  /// Errors are wrapped as `.file(path:, …)`.
  public init(path: String) throws(SafetensorsError) {
    self.path = path
    do throws(SafetensorsError) {
      let fd =
        path.hasSuffix(".zst")
        ? try ZstdDecoder.decompressToTemporaryFile(path) : try POSIXFile.open(path, O_RDONLY)
      defer { POSIXFile.close(fd) }
      let size = try POSIXFile.regularFileSize(fd, path: path)
      guard size >= 8 else { throw SafetensorsError.fileTooSmall(size: size) }
      guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
        throw POSIXFile.failure(path, "mmap")
      }
      do {
        header = try SafetensorsHeader.parse(
          UnsafeRawBufferPointer(start: base, count: size), fileSize: size)
      } catch {
        munmap(base, size)
        throw error
      }
      fileSize = size
      address = UInt(bitPattern: base)
    } catch {
      throw error.inFile(path)
    }
  }

  deinit {
    munmap(UnsafeMutableRawPointer(bitPattern: address), fileSize)
  }

  /// Reads only the header of the file at `path`, never mapping or reading the data section.
  /// For a `.zst` file only the first `8 + N` decompressed bytes are produced, and the checks
  /// that need the decompressed size (data past the end, trailing bytes) are skipped.
  public static func readHeader(path: String) throws(SafetensorsError) -> SafetensorsHeader {
    do throws(SafetensorsError) {
      if path.hasSuffix(".zst") { return try ZstdDecoder.readHeader(path) }
      let fd = try POSIXFile.open(path, O_RDONLY)
      defer { POSIXFile.close(fd) }
      let size = try POSIXFile.regularFileSize(fd, path: path)
      var prefix = try POSIXFile.readBytes(fd, count: min(size, 8), at: 0, path: path)
      // Bounded by the file's real size and the 100 MB limit, never by the field alone.
      let length = try withTypedBytes(prefix) { (bytes) throws(SafetensorsError) in
        try SafetensorsHeader.headerLength(bytes, fileSize: size)
      }
      prefix += try POSIXFile.readBytes(fd, count: length, at: 8, path: path)
      guard prefix.count == 8 + length else {
        throw SafetensorsError.io(path: path, reason: "the file shrank while being read")
      }
      return try withTypedBytes(prefix) { (bytes) throws(SafetensorsError) in
        try SafetensorsHeader.parse(bytes, fileSize: size)
      }
    } catch {
      throw error.inFile(path)
    }
  }

  /// Calls `body` with the bytes of `tensor`, which must come from this file's header.
  ///
  /// Afterwards the pages the bytes lie on are released from this process (`MADV_DONTNEED`; they
  /// stay in the page cache and read back unchanged), so reading a checkpoint tensor by tensor
  /// keeps about one tensor resident, not the whole file.
  public func withBytes<R>(
    of tensor: TensorInfo, _ body: (UnsafeRawBufferPointer) throws -> R
  ) rethrows -> R {
    precondition(
      header[tensor.name] == tensor,
      "tensor `\(tensor.name)` \(tensor.dtype.rawValue) \(tensor.shape) is not an entry of \(path)")
    let offset = header.dataStart + tensor.dataOffsets.lowerBound
    defer { releasePages(offset..<offset + tensor.byteCount) }
    let start = UnsafeRawPointer(bitPattern: address)! + offset
    return try body(UnsafeRawBufferPointer(start: start, count: tensor.byteCount))
  }

  /// Drops the mapping's pages covering `range` from the resident set. The mapping is private and
  /// read-only, so the next access reads the same bytes from the file again.
  private func releasePages(_ range: Range<Int>) {
    guard !range.isEmpty else { return }
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let lower = range.lowerBound / page * page
    let upper = min((range.upperBound + page - 1) / page * page, (fileSize + page - 1) / page * page)
    _ = madvise(UnsafeMutableRawPointer(bitPattern: address)! + lower, upper - lower, MADV_DONTNEED)
  }

  /// Calls `body` with the bytes of the tensor named `name`; throws
  /// `SafetensorsError.missingTensor` when there is none, or `body`'s error.
  public func withBytes<R>(of name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
    guard let tensor = header[name] else { throw SafetensorsError.missingTensor(name: name) }
    return try withBytes(of: tensor, body)
  }
}
