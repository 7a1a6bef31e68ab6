import CompressionTestSupport
import Foundation
import TensorCore

/// The golden data written by `Fixtures/gptq/make_fixtures.py`: raw little-endian `.bin` arrays
/// described by `manifest.json`, and the cases run through the torch port of `fasterquant`.
struct GPTQFixtures: Decodable {
  /// One array: its file, dtype ("f32", "u8", "i32") and shape.
  struct Entry: Decodable {
    let file: String
    let dtype: String
    let shape: [Int]
  }

  /// One solver run of the reference port and the names of its outputs.
  struct Case: Decodable, Sendable, CustomStringConvertible {
    let name: String
    let layer: String
    let bits: Int
    let groupSize: Int?
    let symmetric: Bool
    let actOrder: Bool
    let staticGroups: Bool
    let minimumZero: Int32
    let codes: String
    let scales: String
    let zeros: String
    let gIdx: String
    let loss: Double

    var description: String { name }
  }

  let arrays: [String: Entry]
  let cases: [Case]

  /// Reads the manifest.
  static func load() throws -> GPTQFixtures {
    let url = URL(fileURLWithPath: Fixtures.path("gptq/manifest.json"))
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    return try decoder.decode(GPTQFixtures.self, from: Data(contentsOf: url))
  }

  /// The cases, or none when the manifest cannot be read (a separate test then fails).
  static var allCases: [Case] { (try? load().cases) ?? [] }

  /// The little-endian 32-bit words (or bytes, `width` 1) of array `name` and its shape.
  private func raw(_ name: String, dtype: String) throws -> (Data, [Int]) {
    guard let entry = arrays[name], entry.dtype == dtype else { throw FixtureError.missing(name) }
    let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("gptq/\(entry.file)")))
    let width = dtype == "u8" ? 1 : 4
    guard data.count == entry.shape.reduce(1, *) * width else { throw FixtureError.size(name) }
    return (data, entry.shape)
  }

  private func words(_ name: String, dtype: String) throws -> ([UInt32], [Int]) {
    let (data, shape) = try raw(name, dtype: dtype)
    let words = data.withUnsafeBytes { raw in
      (0..<data.count / 4).map { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)) }
    }
    return (words, shape)
  }

  func tensor(_ name: String) throws -> Tensor {
    let (words, shape) = try words(name, dtype: "f32")
    return Tensor(shape: shape, scalars: words.map { Float(bitPattern: $0) })
  }

  func float32(_ name: String) throws -> [Float] { try tensor(name).scalars }

  func int32(_ name: String) throws -> [Int32] {
    try words(name, dtype: "i32").0.map { Int32(bitPattern: $0) }
  }

  func uint8(_ name: String) throws -> [UInt8] { [UInt8](try raw(name, dtype: "u8").0) }

  /// The weight `(out, in)` of layer `layer`.
  func weight(_ layer: String) throws -> Tensor { try tensor("\(layer).weight") }

  /// The symmetric Hessian `(in, in)` of layer `layer`, unpacked from its lower triangle.
  func hessian(_ layer: String, columns: Int) throws -> Tensor {
    let lower = try float32("\(layer).hessian_lower")
    guard lower.count == columns * (columns + 1) / 2 else { throw FixtureError.size(layer) }
    var h = Tensor(shape: [columns, columns])
    var k = 0
    for i in 0..<columns {
      for j in 0...i {
        h[i, j] = lower[k]
        h[j, i] = lower[k]
        k += 1
      }
    }
    return h
  }

  enum FixtureError: Error {
    case missing(String)
    case size(String)
  }
}
