import CompressionTestSupport
import GGUF
import Safetensors
import Testing

/// Golden values from gguf-py (`Fixtures/gguf/make_fixtures.py`, part a): random valid blocks and
/// gguf-py-quantized gaussians of every dequantizable type, compared bit for bit.
@Suite struct DequantizationTests {
  let file: GGUFFile
  let expected: SafetensorsCheckpoint

  init() throws {
    file = try GGUFFile(path: Fixtures.path("gguf/dequant.gguf"))
    expected = try SafetensorsCheckpoint(path: Fixtures.path("gguf/dequant_expected.safetensors"))
  }

  @Test func everyDequantizableTypeIsCovered() {
    let covered = Set(file.tensors.filter { $0.name.hasPrefix("random.") }.map(\.type))
    #expect(covered == Set(GGMLType.allCases.filter(\.isDequantizable)))
  }

  @Test(arguments: [
    "F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K",
  ])
  func randomBlocksMatchGGUFPy(type: String) throws {
    let info = try #require(file.header.tensor(named: "random.\(type)"))
    #expect(info.type.name == type)
    let tensor = try file.dequantize(info)
    #expect(tensor.shape == expected["random.\(type)"]?.shape)
    #expect(firstBitDifference(tensor.scalars, try floats(expected, "random.\(type)")) == nil)
  }

  @Test(arguments: ["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "BF16", "F16"])
  func quantizedGaussiansRoundTrip(type: String) throws {
    let info = try #require(file.header.tensor(named: "roundtrip.\(type)"))
    let tensor = try file.dequantize(info)
    #expect(firstBitDifference(tensor.scalars, try floats(expected, "roundtrip.\(type)")) == nil)
  }

  /// The block kernels against their per-element twin, on every fixture tensor.
  @Test func blockKernelsMatchTheReferenceTwin() throws {
    for info in file.tensors {
      let fast = file.withBytes(of: info) { dequantize($0, as: info.type) }
      let reference = file.withBytes(of: info) { GGMLReference.dequantize($0, as: info.type) }
      #expect(firstBitDifference(fast, reference) == nil, "\(info.name)")
    }
  }

  /// Random bytes everywhere (NaN and infinite scales too) still agree with the twin bit for bit.
  @Test func blockKernelsMatchTheTwinOnArbitraryBytes() {
    var generator = SeededGenerator(seed: 7)
    for type in GGMLType.allCases where type.isDequantizable {
      let bytes = (0..<(type.blockBytes * 3)).map { _ in UInt8.random(in: 0...255, using: &generator) }
      bytes.withUnsafeBytes { raw in
        let fast = dequantize(raw, as: type)
        let reference = GGMLReference.dequantize(raw, as: type)
        let same = zip(fast, reference).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
        #expect(same && fast.count == 3 * type.blockSize, "\(type)")
      }
    }
  }
}
