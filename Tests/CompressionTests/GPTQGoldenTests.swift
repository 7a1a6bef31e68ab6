import Compression
import CompressionTestSupport
import TensorCore
import Testing

/// The solver against a torch float32 port of the authors' `fasterquant`
/// (`Fixtures/gptq/gptq_reference.py`), on layers with realistic Hessians.
@Suite struct GPTQGoldenTests {
  /// Codes may differ only where float rounding decides a near-tie the other way (and in the
  /// same row's later columns, through the error feedback of that flip): at most 0.2% of them.
  static let codeMismatchTolerance = 0.002
  /// The bound: our layer error within 2% of the reference's.
  static let layerErrorTolerance = 0.02

  @Test func manifestLoadsAllCases() throws {
    #expect(try GPTQFixtures.load().cases.count == 9)
  }

  @Test(arguments: GPTQFixtures.allCases)
  func solverMatchesReferencePort(_ c: GPTQFixtures.Case) throws {
    let fixtures = try GPTQFixtures.load()
    let w = try fixtures.weight(c.layer)
    let h = try fixtures.hessian(c.layer, columns: w.shape[1])
    let scheme = try QuantizationScheme(bits: c.bits, groupSize: c.groupSize, symmetric: c.symmetric)
    let options = GPTQOptions(
      scheme: scheme, actOrder: c.actOrder, staticGroups: c.staticGroups, minimumZero: c.minimumZero)
    let result = try gptqQuantize(weight: w, hessian: h, options: options)
    let m = result.matrix

    let codeMismatches = zip(m.codes, try fixtures.uint8(c.codes)).filter { $0 != $1 }.count
    let scaleMismatches = zip(m.scales, try fixtures.float32(c.scales)).filter { $0 != $1 }.count
    let zeroMismatches = zip(m.zeros, try fixtures.int32(c.zeros)).filter { $0 != $1 }.count
    #expect(Double(codeMismatches) <= Self.codeMismatchTolerance * Double(m.codes.count))
    #expect(scaleMismatches <= m.scales.count / 100 && zeroMismatches <= m.zeros.count / 100)
    #expect(m.gIdx == (try fixtures.int32(c.gIdx)))
    #expect(m.scales.count == fixtures.arrays[c.scales]?.shape.reduce(1, *))
    #expect(abs(result.loss - c.loss) <= 0.01 * c.loss)
    #expect(result.deadColumns == 1)

    let reference = QuantizedMatrix(
      rows: m.rows, columns: m.columns, scheme: scheme, codes: try fixtures.uint8(c.codes),
      scales: try fixtures.float32(c.scales), zeros: try fixtures.int32(c.zeros),
      gIdx: try fixtures.int32(c.gIdx))
    let ours = GPTQTestData.layerError(w, m.dequantized(), hessian: h)
    let theirs = GPTQTestData.layerError(w, reference.dequantized(), hessian: h)
    let rtn = GPTQTestData.layerError(
      w, quantizeRoundToNearest(w, scheme: scheme, minimumZero: c.minimumZero).dequantized(),
      hessian: h)
    #expect(abs(ours - theirs) <= Self.layerErrorTolerance * theirs)
    #expect(ours <= rtn)
    print(
      "GPTQ golden \(c.name): \(codeMismatches)/\(m.codes.count) codes, \(scaleMismatches) scales, "
        + "\(zeroMismatches) zeros differ; layer error \(ours) vs reference \(theirs), RTN \(rtn)")
  }
}
