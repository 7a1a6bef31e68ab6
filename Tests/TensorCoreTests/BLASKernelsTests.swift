import Testing

@testable import TensorCore

@Suite struct BLASKernelsTests {
  static let avx512 = "processor\t: 0\nflags\t\t: fpu sse3 avx avx2 fma avx512f avx512cd avx512bw avx512dq avx512vl\n"
  static let avx2 = "processor\t: 0\nflags\t\t: fpu sse3 avx avx2 fma\n"
  static let sse = "processor\t: 0\nflags\t\t: fpu sse sse2 sse3\n"

  @Test func genericKernelsOnAnAVX512CPUAskForSkylakeX() {
    #expect(BLASKernels.recommendedCoreType(loaded: "Prescott", cpuFlags: BLASKernels.cpuFlags(cpuinfo: Self.avx512)) == "SkylakeX")
  }

  @Test func genericKernelsOnAnAVX2CPUAskForHaswell() {
    #expect(BLASKernels.recommendedCoreType(loaded: "Prescott", cpuFlags: BLASKernels.cpuFlags(cpuinfo: Self.avx2)) == "Haswell")
  }

  @Test func recognisedKernelsAreKept() {
    for loaded in ["Haswell", "SkylakeX", "Zen", "Cooperlake"] {
      #expect(BLASKernels.recommendedCoreType(loaded: loaded, cpuFlags: BLASKernels.cpuFlags(cpuinfo: Self.avx512)) == nil)
    }
  }

  @Test func aCPUWithoutAVX2KeepsTheGenericKernels() {
    #expect(BLASKernels.recommendedCoreType(loaded: "Prescott", cpuFlags: BLASKernels.cpuFlags(cpuinfo: Self.sse)) == nil)
    #expect(BLASKernels.cpuFlags(cpuinfo: "no flags here") == [])
  }

  @Test func theLoadedCoreHasAName() {
    #expect(!BLASKernels.loadedCoreName.isEmpty)
  }
}
