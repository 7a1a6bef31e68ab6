#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Thin wrappers over the system calls the module uses; every failure becomes
/// `SafetensorsError.io` naming the path, the call and the errno text.
enum POSIXFile {
  /// `call: strerror text (ENAME)` for the current `errno`.
  static func failure(_ path: String, _ call: String, _ code: Int32 = errno) -> SafetensorsError {
    let text = String(cString: strerror(code))
    let name = errnoNames[code].map { " (\($0))" } ?? " (errno \(code))"
    return .io(path: path, reason: "\(call): \(text)\(name)")
  }

  private static let errnoNames: [Int32: String] = [
    ENOENT: "ENOENT", EACCES: "EACCES", EEXIST: "EEXIST", EISDIR: "EISDIR", ENOTDIR: "ENOTDIR",
    ENOSPC: "ENOSPC", EFBIG: "EFBIG", EIO: "EIO", EROFS: "EROFS", EMFILE: "EMFILE",
    ENOMEM: "ENOMEM", EINVAL: "EINVAL", ENOTEMPTY: "ENOTEMPTY", EXDEV: "EXDEV", EDQUOT: "EDQUOT",
  ]

  static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws(SafetensorsError) -> Int32 {
    while true {
      let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
      if fd >= 0 { return fd }
      if errno != EINTR { throw failure(path, "open") }
    }
  }

  /// The size of a regular file; other kinds of file are refused.
  static func regularFileSize(_ fd: Int32, path: String) throws(SafetensorsError) -> Int {
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw failure(path, "fstat") }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
      throw .io(path: path, reason: "not a regular file")
    }
    return Int(info.st_size)
  }

  static func exists(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0
  }

  static func isDirectory(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
  }

  /// Reads up to `buffer.count` bytes at `offset`; fewer only at the end of the file.
  static func read(
    _ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int, path: String
  ) throws(SafetensorsError) -> Int {
    var done = 0
    while done < buffer.count {
      let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
      if n == 0 { break }
      if n < 0 {
        if errno == EINTR { continue }
        throw failure(path, "read")
      }
      done += n
    }
    return done
  }

  /// Reads `count` bytes at `offset` into a new array (shorter only at the end of the file).
  static func readBytes(
    _ fd: Int32, count: Int, at offset: Int, path: String
  ) throws(SafetensorsError) -> [UInt8] {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 8)
    defer { buffer.deallocate() }
    let done = try read(fd, into: buffer, at: offset, path: path)
    return [UInt8](UnsafeRawBufferPointer(rebasing: buffer[0..<done]))
  }

  /// Reads up to `buffer.count` bytes from the current position (streams).
  static func read(
    _ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String
  ) throws(SafetensorsError) -> Int {
    while true {
      let n = Glibc.read(fd, buffer.baseAddress!, buffer.count)
      if n >= 0 { return n }
      if errno != EINTR { throw failure(path, "read") }
    }
  }

  /// Appends `count` bytes of `source` starting at `offset` to `destination`'s current position,
  /// with `sendfile` (no copy through user space); falls back to read/write where the kernel
  /// cannot.
  static func copyRange(
    from source: Int32, at offset: Int, count: Int, to destination: Int32, path: String
  ) throws(SafetensorsError) {
    var sourceOffset = off_t(offset)
    var remaining = count
    while remaining > 0 {
      let n = sendfile(destination, source, &sourceOffset, min(remaining, 1 << 30))
      if n > 0 {
        remaining -= n
        continue
      }
      if n < 0 && errno == EINTR { continue }
      if n < 0 && ![EXDEV, ENOSYS, EINVAL, EOPNOTSUPP].contains(errno) { throw failure(path, "write") }
      break  // unsupported here, or an unexpected end of the spool: copy the rest by hand
    }
    guard remaining > 0 else { return }
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: min(remaining, 1 << 23), alignment: 16)
    defer { buffer.deallocate() }
    while remaining > 0 {
      let want = min(buffer.count, remaining)
      let target = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want])
      let n = try read(source, into: target, at: Int(sourceOffset), path: "spool file")
      guard n == want else { throw SafetensorsError.io(path: "spool file", reason: "short read") }
      try write(destination, UnsafeRawBufferPointer(target), path: path)
      sourceOffset += off_t(n)
      remaining -= n
    }
  }

  /// Writes all of `bytes`, retrying short writes.
  static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(SafetensorsError) {
    var done = 0
    while done < bytes.count {
      let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
      if n < 0 {
        if errno == EINTR { continue }
        throw failure(path, "write")
      }
      done += n
    }
  }

  static func sync(_ fd: Int32, path: String) throws(SafetensorsError) {
    guard fsync(fd) == 0 else { throw failure(path, "fsync") }
  }

  static func close(_ fd: Int32) { _ = Glibc.close(fd) }

  static func rename(_ from: String, _ to: String) throws(SafetensorsError) {
    guard Glibc.rename(from, to) == 0 else { throw failure(to, "rename") }
  }

  static func unlink(_ path: String) { _ = Glibc.unlink(path) }

  /// A fresh, unlinked temporary file in `$TMPDIR` (or `/tmp`), open for reading and writing.
  static func anonymousTemporaryFile() throws(SafetensorsError) -> Int32 {
    let folder = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    var template = Array((folder + "/safetensors-zst-XXXXXX").utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else { throw failure(folder, "mkstemp") }
    _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    _ = template.withUnsafeBufferPointer { Glibc.unlink($0.baseAddress!) }
    return fd
  }

  /// Syncs the folder holding `path` so a rename into it is durable; failures are ignored.
  static func syncFolder(of path: String) {
    let fd = Glibc.open(folderName(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if fd >= 0 {
      _ = fsync(fd)
      _ = Glibc.close(fd)
    }
  }

  /// The folder part of `path` (`.` when it has none).
  static func folderName(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
  }

  /// The last component of `path`.
  static func baseName(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return path }
    return String(path[path.index(after: slash)...])
  }
}

/// `bytes.withUnsafeBytes` keeping the typed error of `body`.
func withTypedBytes<R>(
  _ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(SafetensorsError) -> R
) throws(SafetensorsError) -> R {
  let result: Result<R, SafetensorsError> = bytes.withUnsafeBytes { raw in
    Result { () throws(SafetensorsError) in try body(raw) }
  }
  return try result.get()
}
