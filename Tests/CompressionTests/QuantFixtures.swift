import CompressionTestSupport
import Foundation
import TensorCore
import Testing

/// The golden data written by `Fixtures/quantization/make_fixtures.py`: raw little-endian `.bin`
/// arrays described by `manifest.json`.
struct QuantFixtures: Decodable, RawArrayFixtures {
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

  let arrays: [String: RawArrayEntry]
  let cases: [Case]

  static let folder = "quantization"

  /// Reads the manifest.
  static func load() throws -> QuantFixtures { try loadManifest() }

  /// The cases, or none when the manifest cannot be read (a separate test then fails).
  static var allCases: [Case] { (try? load().cases) ?? [] }
}
