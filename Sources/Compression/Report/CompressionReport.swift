import Foundation

/// What a `compress` run did and what it cost; written as JSON (schema: docs/report.md) and shown
/// as a table. Keys are snake_case in JSON.
public struct CompressionReport: Sendable, Equatable, Codable {
  /// One input or output file.
  public struct FileRecord: Sendable, Equatable, Codable {
    public var path: String
    public var bytes: Int
    /// SHA-256 of the contents (inputs only).
    public var sha256: String?

    public init(path: String, bytes: Int, sha256: String?) {
      self.path = path
      self.bytes = bytes
      self.sha256 = sha256
    }
  }

  /// One pass as it ran.
  public struct PassRecord: Sendable, Equatable, Codable {
    public var name: String
    public var settings: [String: String]
    /// Tensors the pass selected.
    public var tensors: Int
    /// Wall time spent inside the pass.
    public var seconds: Double

    public init(name: String, settings: [String: String], tensors: Int, seconds: Double) {
      self.name = name
      self.settings = settings
      self.tensors = tensors
      self.seconds = seconds
    }
  }

  /// One tensor that at least one pass touched.
  public struct TensorRecord: Sendable, Equatable, Codable {
    public var name: String
    /// The passes that touched it, joined by `+` (`cast+rtn`).
    public var method: String
    /// The settings of those passes (later passes win on equal keys).
    public var parameters: [String: String]
    public var shape: [Int]
    public var dtypeBefore: String
    /// The stored encoding: a dtype for dense results, or `gptq` etc.
    public var storedAs: String
    public var bytesBefore: Int
    public var bytesAfter: Int
    /// `bytesAfter · 8 / elements`.
    public var bitsPerWeight: Double
    /// ‖W − Ŵ‖_F / ‖W‖_F between the input values and what the output decodes to.
    public var relativeError: Double
    /// The fraction of exact zeros in what the output decodes to.
    public var sparsity: Double
    /// Figures of each calibrated pass that solved it, in pipeline order (loss, output errors next
    /// to the data-free baseline's, damping, the method's own figures).
    public var layers: [LayerRecord]
    /// The last calibrated pass's figures, if one ran.
    public var layer: LayerRecord? { layers.last }

    public init(name: String, method: String, parameters: [String: String], shape: [Int], dtypeBefore: String, storedAs: String, bytesBefore: Int, bytesAfter: Int, bitsPerWeight: Double, relativeError: Double, sparsity: Double = 0, layers: [LayerRecord] = []) {
      self.sparsity = sparsity
      self.layers = layers
      self.name = name
      self.method = method
      self.parameters = parameters
      self.shape = shape
      self.dtypeBefore = dtypeBefore
      self.storedAs = storedAs
      self.bytesBefore = bytesBefore
      self.bytesAfter = bytesAfter
      self.bitsPerWeight = bitsPerWeight
      self.relativeError = relativeError
    }
  }

  /// Whole-run figures.
  public struct Totals: Sendable, Equatable, Codable {
    /// Bytes of all tensors, in and out.
    public var tensorBytesBefore: Int
    public var tensorBytesAfter: Int
    /// Bytes of the weight files, in and out (headers included).
    public var fileBytesBefore: Int
    public var fileBytesAfter: Int
    /// `fileBytesAfter / fileBytesBefore`.
    public var ratio: Double
    /// The output's size after zstd (level 3), the honest figure for sparse or low-entropy data.
    public var zstdBytes: Int
    public var seconds: Double

    public init(tensorBytesBefore: Int, tensorBytesAfter: Int, fileBytesBefore: Int, fileBytesAfter: Int, ratio: Double, zstdBytes: Int, seconds: Double) {
      self.tensorBytesBefore = tensorBytesBefore
      self.tensorBytesAfter = tensorBytesAfter
      self.fileBytesBefore = fileBytesBefore
      self.fileBytesAfter = fileBytesAfter
      self.ratio = ratio
      self.zstdBytes = zstdBytes
      self.seconds = seconds
    }
  }

  public var tool: String
  public var version: String
  public var command: [String]
  public var input: [FileRecord]
  public var output: [FileRecord]
  public var passes: [PassRecord]
  public var tensors: [TensorRecord]
  public var totals: Totals

  public init(
    tool: String, version: String, command: [String], input: [FileRecord], output: [FileRecord],
    passes: [PassRecord], tensors: [TensorRecord], totals: Totals
  ) {
    self.tool = tool
    self.version = version
    self.command = command
    self.input = input
    self.output = output
    self.passes = passes
    self.tensors = tensors
    self.totals = totals
  }

  /// The report as pretty-printed JSON with sorted keys.
  public func json() -> Data {
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    // Plain strings, numbers and arrays always encode.
    return try! encoder.encode(self)
  }

  /// Reads a report written by `json()`.
  public static func decode(_ data: Data) throws -> CompressionReport {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    return try decoder.decode(CompressionReport.self, from: data)
  }
}
