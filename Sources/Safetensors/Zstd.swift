import CZstd

#if canImport(Glibc)
  import Glibc
#endif

/// Streaming zstd decompression of a file, chunk by chunk, through a caller's sink.
enum ZstdDecoder {
  /// Feeds the decompressed bytes of the file at `path` to `sink` until the stream ends or
  /// `sink` returns `false`. Refuses corrupt and truncated streams. The decoder's window is
  /// capped by zstd's default (128 MiB), so a hostile frame cannot choose the allocation.
  static func decompress(
    _ path: String, into sink: (UnsafeRawBufferPointer) throws(SafetensorsError) -> Bool
  ) throws(SafetensorsError) {
    let fd = try POSIXFile.open(path, O_RDONLY)
    defer { POSIXFile.close(fd) }
    _ = try POSIXFile.regularFileSize(fd, path: path)
    guard let context = ZSTD_createDCtx() else { throw .zstd(reason: "cannot create a context") }
    defer { ZSTD_freeDCtx(context) }
    let input = UnsafeMutableRawBufferPointer.allocate(byteCount: ZSTD_DStreamInSize(), alignment: 16)
    let output = UnsafeMutableRawBufferPointer.allocate(byteCount: ZSTD_DStreamOutSize(), alignment: 16)
    defer {
      input.deallocate()
      output.deallocate()
    }
    var pending = 0  // zstd's hint: 0 once a frame is complete
    var sawInput = false
    while true {
      let count = try POSIXFile.read(fd, into: input, path: path)
      if count == 0 { break }
      sawInput = true
      var source = ZSTD_inBuffer(src: input.baseAddress, size: count, pos: 0)
      while source.pos < source.size {
        var target = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let result = ZSTD_decompressStream(context, &target, &source)
        if ZSTD_isError(result) != 0 {
          throw .zstd(reason: String(cString: ZSTD_getErrorName(result)))
        }
        pending = result
        if target.pos > 0,
          try !sink(UnsafeRawBufferPointer(rebasing: output[0..<target.pos]))
        {
          return
        }
      }
    }
    if !sawInput { throw .zstd(reason: "empty file, no zstd frame") }
    if pending != 0 { throw .zstd(reason: "the stream ends inside a frame (truncated file)") }
  }

  /// Decompresses a `.safetensors.zst` file into an unlinked temporary file and returns its
  /// descriptor. Stops early once the output exceeds the size its own header implies, so a
  /// zstd bomb cannot fill the disk beyond what the header claims.
  static func decompressToTemporaryFile(_ path: String) throws(SafetensorsError) -> Int32 {
    let fd = try POSIXFile.anonymousTemporaryFile()
    var prefix = HeaderPrefix()
    var written = 0
    var expectedSize: Int?
    do {
      try decompress(path) { (chunk) throws(SafetensorsError) -> Bool in
        try POSIXFile.write(fd, chunk, path: "temporary file for \(path)")
        written += chunk.count
        if expectedSize == nil, try prefix.take(chunk) {
          let header = try prefix.parse()
          expectedSize = header.dataStart + (header.tensors.last?.dataOffsets.upperBound ?? 0)
        }
        return expectedSize.map { written <= $0 } ?? true
      }
    } catch {
      POSIXFile.close(fd)
      throw error
    }
    return fd
  }

  /// Decompresses only the first `8 + N` bytes and parses the header, skipping the checks that
  /// need the decompressed size (data past the end, trailing bytes).
  static func readHeader(_ path: String) throws(SafetensorsError) -> SafetensorsHeader {
    var prefix = HeaderPrefix()
    try decompress(path) { (chunk) throws(SafetensorsError) -> Bool in try !prefix.take(chunk) }
    return try prefix.parse()
  }
}

/// Collects the first `8 + N` bytes of a decompressed stream, whatever the chunking.
struct HeaderPrefix {
  private(set) var bytes: [UInt8] = []
  private var needed: Int?

  /// Appends what is still missing of the first `8 + N` bytes; `true` once they are complete.
  mutating func take(_ chunk: UnsafeRawBufferPointer) throws(SafetensorsError) -> Bool {
    var rest = chunk[...]
    if bytes.count < 8 {
      let count = min(8 - bytes.count, rest.count)
      bytes += rest.prefix(count)
      rest = rest.dropFirst(count)
      if bytes.count == 8 {
        needed = try 8 + withTypedBytes(bytes) { (field) throws(SafetensorsError) in
          try SafetensorsHeader.headerLength(field, fileSize: nil)
        }
      }
    }
    guard let needed else { return false }
    bytes += rest.prefix(max(0, needed - bytes.count))
    return bytes.count >= needed
  }

  /// Parses the collected bytes without the checks that need the file size.
  func parse() throws(SafetensorsError) -> SafetensorsHeader {
    try withTypedBytes(bytes) { (all) throws(SafetensorsError) in
      if all.count < 8 { throw .fileTooSmall(size: all.count) }
      return try SafetensorsHeader.parse(all, knownFileSize: nil)
    }
  }
}
