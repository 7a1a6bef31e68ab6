import CZstd

#if canImport(Glibc)
  import Glibc
#endif

/// Streaming zstd compression into a caller's sink; one frame with a checksum, and the content
/// size when it is known in advance. Single-threaded, so the output is deterministic.
final class ZstdEncoder {
  private let context: OpaquePointer
  private let output: UnsafeMutableRawBufferPointer

  init(level: Int, pledgedSize: Int?) throws(SafetensorsError) {
    guard let context = ZSTD_createCCtx() else { throw .zstd(reason: "cannot create a context") }
    self.context = context
    output = .allocate(byteCount: ZSTD_CStreamOutSize(), alignment: 16)
    try check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, Int32(level)))
    try check(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1))
    if let pledgedSize {
      try check(ZSTD_CCtx_setPledgedSrcSize(context, UInt64(pledgedSize)))
    }
  }

  deinit {
    ZSTD_freeCCtx(context)
    output.deallocate()
  }

  private func check(_ result: Int) throws(SafetensorsError) {
    if ZSTD_isError(result) != 0 { throw .zstd(reason: String(cString: ZSTD_getErrorName(result))) }
  }

  /// Compresses `bytes`, passing whatever output is ready to `sink`.
  func compress(
    _ bytes: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws(SafetensorsError) -> Void
  ) throws(SafetensorsError) {
    var source = ZSTD_inBuffer(src: bytes.baseAddress, size: bytes.count, pos: 0)
    while source.pos < source.size {
      var target = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
      try check(ZSTD_compressStream2(context, &target, &source, ZSTD_e_continue))
      if target.pos > 0 { try sink(UnsafeRawBufferPointer(rebasing: output[0..<target.pos])) }
    }
  }

  /// Ends the frame, passing the remaining output to `sink`.
  func finish(into sink: (UnsafeRawBufferPointer) throws(SafetensorsError) -> Void) throws(SafetensorsError) {
    var source = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
    var remaining = 1
    while remaining != 0 {
      var target = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
      remaining = ZSTD_compressStream2(context, &target, &source, ZSTD_e_end)
      try check(remaining)
      if target.pos > 0 { try sink(UnsafeRawBufferPointer(rebasing: output[0..<target.pos])) }
    }
  }
}

/// The size of the zstd stream of the file at `path` at `level`, computed by streaming the file
/// through the compressor and counting (nothing is written): the honest size for reports.
public func zstdCompressedSize(ofFileAt path: String, level: Int = 3) throws(SafetensorsError) -> Int {
  do throws(SafetensorsError) {
    let fd = try POSIXFile.open(path, O_RDONLY)
    defer { POSIXFile.close(fd) }
    let size = try POSIXFile.regularFileSize(fd, path: path)
    let encoder = try ZstdEncoder(level: level, pledgedSize: size)
    let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 22, alignment: 16)
    defer { chunk.deallocate() }
    var total = 0
    let count: (UnsafeRawBufferPointer) throws(SafetensorsError) -> Void = { total += $0.count }
    var offset = 0
    while offset < size {
      let n = try POSIXFile.read(fd, into: chunk, at: offset, path: path)
      if n == 0 { throw SafetensorsError.io(path: path, reason: "the file shrank while being read") }
      try encoder.compress(UnsafeRawBufferPointer(rebasing: chunk[0..<n]), into: count)
      offset += n
    }
    try encoder.finish(into: count)
    return total
  } catch {
    throw error.inFile(path)
  }
}
