import Compression
import CompressionTestSupport
import Testing

/// Bit-exactness against the numpy port of the GPTQ reference quantizer and AutoGPTQ's v1 `pack`.
@Suite struct QuantGoldenTests {
  @Test func manifestLoadsAllCases() throws {
    let fixtures = try QuantFixtures.load()
    #expect(fixtures.cases.count == 17)
  }

  @Test(arguments: QuantFixtures.allCases)
  func roundToNearestMatchesReferencePort(_ c: QuantFixtures.Case) throws {
    let fixtures = try QuantFixtures.load()
    let weight = try fixtures.tensor(c.input)
    let scheme = try QuantizationScheme(bits: c.bits, groupSize: c.groupSize, symmetric: c.symmetric)
    let m = quantizeRoundToNearest(weight, scheme: scheme, minimumZero: c.minimumZero)
    // Conventions match (round(w/s) + z, ties to even, F16 scale first): no code may differ.
    #expect(m.codes == (try fixtures.uint8(c.codes)))
    #expect(m.scales.map { Float16($0).bitPattern } == (try fixtures.uint16(c.scales)))
    #expect(m.zeros == (try fixtures.int32(c.zeros)))
    #expect(m.gIdx == (try fixtures.int32(c.gIdx)))
    #expect(m.groupCount == fixtures.shape(c.scales)?[0])
    if let name = c.dequantized {
      #expect(m.dequantized().scalars == (try fixtures.float32(name)))
    }
  }

  @Test(arguments: QuantFixtures.allCases.filter { $0.qweight != nil })
  func packMatchesAutoGPTQPort(_ c: QuantFixtures.Case) throws {
    let fixtures = try QuantFixtures.load()
    let weight = try fixtures.tensor(c.input)
    let scheme = try QuantizationScheme(bits: c.bits, groupSize: c.groupSize, symmetric: c.symmetric)
    let m = quantizeRoundToNearest(weight, scheme: scheme, minimumZero: c.minimumZero)
    let packed = try GPTQPackedTensors.pack(m)
    let qweight = try #require(c.qweight)
    let qzeros = try #require(c.qzeros)
    #expect(packed.qweight == (try fixtures.int32(qweight)))
    #expect(packed.qweightShape == fixtures.shape(qweight))
    #expect(packed.qzeros == (try fixtures.int32(qzeros)))
    #expect(packed.qzerosShape == fixtures.shape(qzeros))
    #expect(packed.scales == (try fixtures.uint16(c.scales)))
    #expect(packed.scalesShape == fixtures.shape(c.scales))
    #expect(packed.gIdx == (try fixtures.int32(c.gIdx)))
    let unpacked = try packed.unpack(rows: m.rows, columns: m.columns, scheme: scheme)
    #expect(unpacked == m)
  }

  /// The tie matrix really exercises the trap of DATA.md: `round(w/s + z)` disagrees with the
  /// convention used here exactly where the fixture says.
  @Test func tieMatrixSeparatesTheTwoConventions() throws {
    let fixtures = try QuantFixtures.load()
    let c = try #require(fixtures.cases.first { $0.name == "ties_b4_g32_asym" })
    #expect(c.exactTies > 1000)
    #expect(c.differencesWithRoundWOverSPlusZ > 200)
    let other = try fixtures.uint8(try #require(c.codesRoundWOverSPlusZ))
    let scheme = try QuantizationScheme(bits: 4, groupSize: 32, symmetric: false)
    let m = quantizeRoundToNearest(try fixtures.tensor(c.input), scheme: scheme, minimumZero: 1)
    let differing = zip(m.codes, other).filter { $0 != $1 }.count
    #expect(differing == c.differencesWithRoundWOverSPlusZ)
    // Symmetric zero points are even (8), so both conventions agree there.
    let sym = try #require(fixtures.cases.first { $0.name == "ties_b4_g32_sym" })
    #expect(sym.exactTies > 1000 && sym.differencesWithRoundWOverSPlusZ == 0)
  }
}
