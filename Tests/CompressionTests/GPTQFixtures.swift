import CompressionTestSupport
import Foundation
import TensorCore

/// The golden data written by `Fixtures/gptq/make_fixtures.py`: raw little-endian `.bin` arrays
/// described by `manifest.json`, and the cases run through the torch port of `fasterquant`.
struct GPTQFixtures: Decodable, RawArrayFixtures {
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

  let arrays: [String: RawArrayEntry]
  let cases: [Case]

  static let folder = "gptq"

  /// Reads the manifest.
  static func load() throws -> GPTQFixtures { try loadManifest() }

  /// The cases, or none when the manifest cannot be read (a separate test then fails).
  static var allCases: [Case] { (try? load().cases) ?? [] }

  /// The weight `(out, in)` of layer `layer`.
  func weight(_ layer: String) throws -> Tensor { try tensor("\(layer).weight") }
}

extension RawArrayFixtures {
  /// The symmetric Hessian `(in, in)` of layer `layer` (`LAYER.hessian_lower`), unpacked from its
  /// packed lower triangle (the GPTQ and pruning goldens share these layers).
  func hessian(_ layer: String, columns: Int) throws -> Tensor {
    let lower = try float32("\(layer).hessian_lower")
    guard lower.count == columns * (columns + 1) / 2 else { throw RawArrayFixtureError.size(layer) }
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
}
