import Foundation

/// The record written to `__metadata__["compression"]`: which tool and passes made the file, and
/// for every tensor that is not stored plainly how to rebuild it.
///
/// `compress decompress` needs nothing else to restore the original names, shapes and dtypes.
public struct Manifest: Sendable, Equatable, Codable {
  /// The metadata key that holds the manifest as JSON.
  public static let metadataKey = "compression"

  /// One pass as it ran.
  public struct PassRecord: Sendable, Equatable, Codable {
    public var name: String
    public var settings: [String: String]

    public init(name: String, settings: [String: String]) {
      self.name = name
      self.settings = settings
    }
  }

  public var tool: String
  public var version: String
  public var passes: [PassRecord]
  /// Keyed by the original tensor name.
  public var tensors: [String: ManifestEntry]

  public init(tool: String, version: String, passes: [PassRecord], tensors: [String: ManifestEntry]) {
    self.tool = tool
    self.version = version
    self.passes = passes
    self.tensors = tensors
  }

  /// The manifest as compact JSON with sorted keys (deterministic output).
  public func encoded() -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    // Encoding plain strings, ints and bools cannot fail.
    return String(decoding: try! encoder.encode(self), as: UTF8.self)
  }

  /// Reads a manifest from checkpoint metadata; `nil` when the key is absent.
  public static func decode(from metadata: [String: String], path: String)
    throws(CompressionError) -> Manifest?
  {
    guard let text = metadata[metadataKey] else { return nil }
    do {
      return try JSONDecoder().decode(Manifest.self, from: Data(text.utf8))
    } catch {
      throw .invalidManifest(path: path, reason: "\(error)")
    }
  }
}

/// How one original tensor is stored.
public struct ManifestEntry: Sendable, Equatable, Codable {
  /// `gptq` (packed integer codes in the GPTQ layout), `cast` (dense in another dtype).
  public var encoding: String
  /// The original dtype (`F32`, `F16`, …).
  public var dtype: String
  /// The original shape.
  public var shape: [Int]
  /// Names of the stored tensors that hold this one (empty for `cast`: the name is unchanged).
  public var parts: [String]
  /// Encoding parameters (`bits`, `group_size`, `sym`, `layout`, …) as strings.
  public var parameters: [String: String]

  public init(
    encoding: String, dtype: String, shape: [Int], parts: [String] = [],
    parameters: [String: String] = [:]
  ) {
    self.encoding = encoding
    self.dtype = dtype
    self.shape = shape
    self.parts = parts
    self.parameters = parameters
  }
}
