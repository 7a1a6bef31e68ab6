import COpenBLAS

/// Which OpenBLAS kernel set runs, and which one this CPU could run instead.
///
/// OpenBLAS picks its kernels once, when the library loads, from the CPU model — or from the
/// `OPENBLAS_CORETYPE` environment variable. A release that predates the CPU (Debian's 0.3.21 on
/// Sapphire Rapids, for one) falls back to its generic SSE3 `Prescott` kernels, 3–10× slower
/// than the AVX2/AVX-512 ones the CPU can run (docs/benchmarks.md). The command-line tool uses
/// `recommendedCoreType` to restart itself once with the variable set (docs/benchmarks.md); a
/// library user sets the variable before the process starts.
public enum BLASKernels {
  /// OpenBLAS's name for the kernels it loaded (`Prescott`, `Haswell`, `SkylakeX`, …).
  public static var loadedCoreName: String { String(cString: openblas_get_corename()) }

  /// Kernel sets OpenBLAS falls back to on a CPU it does not know: none uses AVX.
  static let genericCores: Set<String> = [
    "Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Katmai", "Coppermine",
    "Northwood", "Banias", "Opteron", "Opteron_SSE3", "Barcelona", "Unknown",
  ]

  /// The `OPENBLAS_CORETYPE` to request, or nil when the loaded kernels are already specific to
  /// the CPU or the CPU has no AVX2/FMA.
  ///
  /// - Parameters:
  ///   - loaded: `loadedCoreName`.
  ///   - cpuFlags: the CPU's feature flags as `/proc/cpuinfo` lists them (`cpuFlags(cpuinfo:)`).
  public static func recommendedCoreType(loaded: String, cpuFlags: Set<String>) -> String? {
    guard genericCores.contains(loaded) else { return nil }
    if cpuFlags.isSuperset(of: ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]) { return "SkylakeX" }
    if cpuFlags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
    return nil
  }

  /// The flags of the first processor in the text of `/proc/cpuinfo`.
  public static func cpuFlags(cpuinfo: String) -> Set<String> {
    for line in cpuinfo.split(separator: "\n") where line.hasPrefix("flags") {
      guard let colon = line.firstIndex(of: ":") else { continue }
      return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }
    return []
  }
}
