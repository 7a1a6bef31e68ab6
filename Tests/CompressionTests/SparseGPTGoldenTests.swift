import CompressionTestSupport
import Foundation
import Testing

@testable import Compression
@testable import TensorCore

/// The golden data of `Fixtures/pruning/make_fixtures.py`: the cases run through the PyTorch port
/// of the SparseGPT authors' `fasterprune` (with this project's exact counts and tie rule), on the
/// two layers of the GPTQ goldens.
struct PruningFixtures: Decodable, RawArrayFixtures {
  struct Case: Decodable, Sendable, CustomStringConvertible {
    let name: String
    let layer: String
    let sparsity: Double
    let allocation: String?
    let n: Int?
    let m: Int?
    let blocksize: Int
    let percdamp: Double
    let loss: Double
    let mask: String
    let weight: String

    var description: String { name }

    var pattern: SparsityPattern {
      if let n, let m { return .nOfM(n: n, m: m) }
      return .unstructured(sparsity: sparsity, allocation: SparsityAllocation(rawValue: allocation ?? "layer")!)
    }
  }

  let arrays: [String: RawArrayEntry]
  let cases: [Case]

  static let folder = "pruning"
  static var allCases: [Case] { (try? loadManifest().cases) ?? [] }
}

@Suite struct SparseGPTGoldenTests {
  @Test func fixturesAreReadable() throws {
    #expect(try PruningFixtures.loadManifest().cases.count == 6)
  }

  @Test(arguments: PruningFixtures.allCases)
  func matchesTheTorchPortOfTheAuthorsCode(_ golden: PruningFixtures.Case) throws {
    let fixtures = try PruningFixtures.loadManifest()
    let w = try fixtures.tensor("\(golden.layer).weight")
    let h = try fixtures.hessian(golden.layer, columns: w.shape[1])
    let options = SparseGPTOptions(pattern: golden.pattern, blockSize: golden.blocksize, dampening: golden.percdamp)
    let ours = try sparseGPTPrune(weight: w, hessian: h, options: options)
    let mask = try fixtures.uint8(golden.mask).map { $0 != 0 }
    let expected = try fixtures.tensor(golden.weight)
    let differ = zip(ours.mask.pruned, mask).filter { $0 != $1 }.count
    // Float32 on both sides, different summation orders: a saliency that nearly ties may fall on
    // either side, and its feedback then moves later weights a little.
    #expect(differ <= mask.count / 500, "\(differ) of \(mask.count) mask entries differ")
    #expect(abs(ours.loss - golden.loss) <= 2e-3 * golden.loss, "loss \(ours.loss) vs \(golden.loss)")
    #expect(relativeError(expected, ours.weight) < 1e-2)
    #expect(ours.mask.count == mask.filter { $0 }.count)
    print("SparseGPT golden \(golden.name): \(differ) mask entries differ; loss \(ours.loss) vs \(golden.loss)")
  }
}
