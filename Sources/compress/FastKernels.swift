import Foundation
import ModelCompression

/// Restarts the tool once with `OPENBLAS_CORETYPE` set when OpenBLAS loaded its generic kernels on
/// a CPU that can run AVX2 or AVX-512 ones (`BLASKernels`). OpenBLAS reads the variable only when
/// it loads, so a restart is the one way to change it; a value the user set is never touched.
enum FastKernels {
  static func restartIfGeneric() {
    #if os(Linux)
      guard getenv("OPENBLAS_CORETYPE") == nil,
        let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
        let core = BLASKernels.recommendedCoreType(
          loaded: BLASKernels.loadedCoreName, cpuFlags: BLASKernels.cpuFlags(cpuinfo: cpuinfo))
      else { return }
      setenv("OPENBLAS_CORETYPE", core, 1)
      execv("/proc/self/exe", CommandLine.unsafeArgv)
      unsetenv("OPENBLAS_CORETYPE")  // execv returned: it failed; carry on with the generic kernels
    #endif
  }
}
