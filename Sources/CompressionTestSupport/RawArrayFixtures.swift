import Foundation
import TensorCore

/// One array of a raw-array fixture folder: its file, dtype (`f32`, `u8`, `u16`, `i32`) and shape.
public struct RawArrayEntry: Decodable, Sendable {
  public let file: String
  public let dtype: String
  public let shape: [Int]
}

/// Why a raw-array fixture could not be read (re-run the folder's `make_fixtures.py`).
public enum RawArrayFixtureError: Error {
  case missing(String)
  case dtype(String, String)
  case size(String)
}

/// Golden data written by a fixture script as raw little-endian `.bin` arrays described by a
/// `manifest.json` (`Fixtures/quantization`, `Fixtures/gptq`): conformers give the folder and the
/// manifest's `arrays`; the typed readers check dtype and size.
public protocol RawArrayFixtures {
  /// The folder under `Fixtures/`.
  static var folder: String { get }
  var arrays: [String: RawArrayEntry] { get }
}

extension RawArrayFixtures {
  /// The raw bytes and shape of array `name`, checking its dtype and size.
  public func bytes(_ name: String, dtype: String, width: Int) throws -> (Data, [Int]) {
    guard let entry = arrays[name] else { throw RawArrayFixtureError.missing(name) }
    guard entry.dtype == dtype else { throw RawArrayFixtureError.dtype(name, entry.dtype) }
    let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("\(Self.folder)/\(entry.file)")))
    guard data.count == entry.shape.reduce(1, *) * width else { throw RawArrayFixtureError.size(name) }
    return (data, entry.shape)
  }

  public func float32(_ name: String) throws -> [Float] {
    words(try bytes(name, dtype: "f32", width: 4).0, as: UInt32.self).map { Float(bitPattern: $0) }
  }

  public func tensor(_ name: String) throws -> Tensor {
    let (_, shape) = try bytes(name, dtype: "f32", width: 4)
    return Tensor(shape: shape, scalars: try float32(name))
  }

  public func uint8(_ name: String) throws -> [UInt8] { [UInt8](try bytes(name, dtype: "u8", width: 1).0) }

  public func uint16(_ name: String) throws -> [UInt16] {
    words(try bytes(name, dtype: "u16", width: 2).0, as: UInt16.self)
  }

  public func int32(_ name: String) throws -> [Int32] {
    words(try bytes(name, dtype: "i32", width: 4).0, as: UInt32.self).map { Int32(bitPattern: $0) }
  }

  public func shape(_ name: String) -> [Int]? { arrays[name]?.shape }

  /// Reads the manifest of `Self.folder`.
  public static func loadManifest() throws -> Self where Self: Decodable {
    let url = URL(fileURLWithPath: Fixtures.path("\(folder)/manifest.json"))
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    return try decoder.decode(Self.self, from: Data(contentsOf: url))
  }

  private func words<T: FixedWidthInteger>(_ data: Data, as: T.Type) -> [T] {
    data.withUnsafeBytes { raw in
      (0..<data.count / MemoryLayout<T>.size).map {
        T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self))
      }
    }
  }
}
