import TensorCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A GGUF file mapped read-only into memory; owns the mapping and unmaps it in `deinit`.
///
/// Opening validates the header completely and touches only the header's pages; tensor data is
/// read lazily by the kernel when `withBytes` or `dequantize` reaches it. The file must not be
/// truncated while mapped (the system would raise SIGBUS).
public final class GGUFFile: Sendable {
  /// The path given to `init`.
  public let path: String
  /// The validated header.
  public let header: GGUFHeader
  /// The file's size in bytes.
  public let fileSize: Int
  /// The mapping's address as an integer, so that the class stays `Sendable`.
  private let address: UInt

  /// Maps and validates the file at `path`. Errors are wrapped as `.file(path:, …)`.
  public init(path: String) throws(GGUFError) {
    self.path = path
    do throws(GGUFError) {
      let fd = open(path, O_RDONLY | O_CLOEXEC)
      guard fd >= 0 else { throw Self.failure(path, "open") }
      defer { close(fd) }
      var info = stat()
      guard fstat(fd, &info) == 0 else { throw Self.failure(path, "fstat") }
      guard (info.st_mode & S_IFMT) == S_IFREG else { throw .io(path: path, reason: "not a regular file") }
      let size = Int(info.st_size)
      guard size > 0 else { throw .truncated(what: "magic", offset: 0, needed: 4, fileSize: 0) }
      guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
        throw Self.failure(path, "mmap")
      }
      do {
        header = try GGUFHeader.parse(UnsafeRawBufferPointer(start: base, count: size))
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

  static func failure(_ path: String, _ call: String) -> GGUFError {
    .io(path: path, reason: "\(call): \(String(cString: strerror(errno)))")
  }

  /// The tensor infos in file order.
  public var tensors: [GGUFTensorInfo] { header.tensors }

  /// The metadata value for `key`, if present.
  public subscript(key: String) -> GGUFValue? { header[key] }

  /// Calls `body` with the raw bytes of `tensor`, which must come from this file's header.
  public func withBytes<R, E: Error>(
    of tensor: GGUFTensorInfo, _ body: (UnsafeRawBufferPointer) throws(E) -> R
  ) throws(E) -> R {
    precondition(
      header.tensor(named: tensor.name) == tensor,
      "tensor `\(tensor.name)` \(tensor.type) \(tensor.shape) is not an entry of \(path)")
    let start = UnsafeRawPointer(bitPattern: address)! + header.dataStart + tensor.offset
    return try body(UnsafeRawBufferPointer(start: start, count: tensor.byteCount))
  }

  /// The tensor dequantized to Float32, in its row-major `shape`.
  public func dequantize(_ tensor: GGUFTensorInfo) throws(GGUFError) -> Tensor {
    guard tensor.type.isDequantizable else {
      throw GGUFError.unsupportedTensorType(tensor: tensor.name, type: tensor.type).inFile(path)
    }
    var scalars = [Float](repeating: 0, count: tensor.elementCount)
    withBytes(of: tensor) { bytes in
      scalars.withUnsafeMutableBufferPointer { GGUF.dequantize(bytes, as: tensor.type, into: $0) }
    }
    return Tensor(shape: tensor.shape, scalars: scalars)
  }
}
