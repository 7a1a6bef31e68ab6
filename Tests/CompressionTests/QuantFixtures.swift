import CompressionTestSupport
import Foundation
import TensorCore
import Testing

/// The golden data written by `Fixtures/quantization/make_fixtures.py`: raw little-endian `.bin`
/// arrays described by `manifest.json`.
struct QuantFixtures: Decodable {
  /// One array: its file, dtype ("f32", "u8", "i32", "u16") and shape.
  struct Entry: Decodable {
    let file: String
    let dtype: String
    let shape: [Int]
  }

  /// One quantization case and the names of its expected arrays.
  struct Case: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let input: String
    let bits: Int
    let groupSize: Int?
    let symmetric: Bool
    let minimumZero: Int32
    let codes: String
    let scales: String
    let zeros: String
    let gIdx: String
    let dequantized: String?
    let qweight: String?
    let qzeros: String?
    let codesRoundWOverSPlusZ: String?
    let exactTies: Int
    let differencesWithRoundWOverSPlusZ: Int

    var testDescription: String { name }
  }

  let arrays: [String: Entry]
  let cases: [Case]

  static let folder = "quantization"

  /// Reads the manifest.
  static func load() throws -> QuantFixtures {
    let url = URL(fileURLWithPath: Fixtures.path("\(folder)/manifest.json"))
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    return try decoder.decode(QuantFixtures.self, from: Data(contentsOf: url))
  }

  /// The cases, or none when the manifest cannot be read (a separate test then fails).
  static var allCases: [Case] { (try? load().cases) ?? [] }

  /// The raw bytes and shape of array `name`, checking its dtype and size.
  func bytes(_ name: String, dtype: String, width: Int) throws -> (Data, [Int]) {
    guard let entry = arrays[name] else { throw FixtureError.missing(name) }
    guard entry.dtype == dtype else { throw FixtureError.dtype(name, entry.dtype) }
    let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("\(Self.folder)/\(entry.file)")))
    guard data.count == entry.shape.reduce(1, *) * width else { throw FixtureError.size(name) }
    return (data, entry.shape)
  }

  func float32(_ name: String) throws -> [Float] {
    let (data, _) = try bytes(name, dtype: "f32", width: 4)
    return words(data, as: UInt32.self).map { Float(bitPattern: $0) }
  }

  func tensor(_ name: String) throws -> Tensor {
    let (_, shape) = try bytes(name, dtype: "f32", width: 4)
    return Tensor(shape: shape, scalars: try float32(name))
  }

  func uint8(_ name: String) throws -> [UInt8] { [UInt8](try bytes(name, dtype: "u8", width: 1).0) }

  func uint16(_ name: String) throws -> [UInt16] {
    words(try bytes(name, dtype: "u16", width: 2).0, as: UInt16.self)
  }

  func int32(_ name: String) throws -> [Int32] {
    words(try bytes(name, dtype: "i32", width: 4).0, as: UInt32.self).map { Int32(bitPattern: $0) }
  }

  func shape(_ name: String) -> [Int]? { arrays[name]?.shape }

  private func words<T: FixedWidthInteger>(_ data: Data, as: T.Type) -> [T] {
    data.withUnsafeBytes { raw in
      (0..<data.count / MemoryLayout<T>.size).map {
        T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self))
      }
    }
  }

  enum FixtureError: Error {
    case missing(String)
    case dtype(String, String)
    case size(String)
  }
}
