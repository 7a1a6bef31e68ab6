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
    var prefix: [UInt8] = []
    var written = 0
    var expectedSize: Int?
    do {
      try decompress(path) { (chunk) throws(SafetensorsError) -> Bool in
        try POSIXFile.write(fd, chunk, path: "temporary file for \(path)")
        written += chunk.count
        if expectedSize == nil {
          expectedSize = try impliedFileSize(prefix: &prefix, appending: chunk)
        }
        return expectedSize.map { written <= $0 } ?? true
      }
    } catch {
      POSIXFile.close(fd)
      throw error
    }
    return fd
  }

  /// Collects the first `8 + N` bytes; once complete, parses the header (without the checks
  /// that need the file size) and returns `8 + N + covered data`.
  private static func impliedFileSize(
    prefix: inout [UInt8], appending chunk: UnsafeRawBufferPointer
  ) throws(SafetensorsError) -> Int? {
    let needed: Int
    if prefix.count < 8 {
      prefix.append(contentsOf: chunk.prefix(8 - prefix.count))
      if prefix.count < 8 { return nil }
      let length = try withTypedBytes(prefix) { (bytes) throws(SafetensorsError) in
        try SafetensorsHeader.headerLength(bytes, fileSize: nil)
      }
      needed = 8 + length
      let used = chunk.count - min(chunk.count, 8)
      prefix.append(contentsOf: chunk.suffix(used).prefix(needed - 8))
    } else {
      let length = prefix.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
      needed = 8 + length
      prefix.append(contentsOf: chunk.prefix(needed - prefix.count))
    }
    guard prefix.count >= needed else { return nil }
    let header = try withTypedBytes(prefix) { (bytes) throws(SafetensorsError) in
      try SafetensorsHeader.parse(bytes, knownFileSize: nil)
    }
    return header.dataStart + (header.tensors.last?.dataOffsets.upperBound ?? 0)
  }

  /// Decompresses only the first `8 + N` bytes and parses the header, skipping the checks that
  /// need the decompressed size (data past the end, trailing bytes).
  static func readHeader(_ path: String) throws(SafetensorsError) -> SafetensorsHeader {
    var prefix: [UInt8] = []
    var needed: Int?
    try decompress(path) { (chunk) throws(SafetensorsError) -> Bool in
      var rest = chunk[...]
      if prefix.count < 8 {
        let take = min(8 - prefix.count, rest.count)
        prefix.append(contentsOf: rest.prefix(take))
        rest = rest.dropFirst(take)
        if prefix.count == 8 {
          let length = try withTypedBytes(prefix) { (bytes) throws(SafetensorsError) in
            try SafetensorsHeader.headerLength(bytes, fileSize: nil)
          }
          needed = 8 + length
        }
      }
      if let needed {
        prefix.append(contentsOf: rest.prefix(needed - prefix.count))
        return prefix.count < needed
      }
      return true
    }
    return try withTypedBytes(prefix) { (bytes) throws(SafetensorsError) in
      if bytes.count < 8 { throw .fileTooSmall(size: bytes.count) }
      return try SafetensorsHeader.parse(bytes, knownFileSize: nil)
    }
  }
}
