import ArgumentParser
import Foundation
import ModelCompression

/// `compress benchmark-gptq FILE`: times the GPTQ solver on the `weight` and `hessian` tensors of
/// a safetensors file, next to a 4096³ sgemm measured in the same run (prints Markdown rows).
struct BenchmarkGPTQ: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "benchmark-gptq",
    abstract: "Time the GPTQ solver against the machine's sgemm rate (prints Markdown rows).",
    shouldDisplay: false)

  @Argument(help: "A .safetensors file holding F32 `weight` (out, in) and `hessian` (in, in).")
  var input: String

  @Option(help: "Rounds of each measurement; the median is reported.")
  var rounds = 3

  @Option(help: "Bits of the 4-bit-style scheme.")
  var bits = 4

  @Option(help: "Group size (0 = per row).")
  var groupSize = 128

  @Flag(help: "Run only the whole solve, `rounds` times, and print its median (for profilers).")
  var solveOnly = false

  func run() throws {
    let (weight, hessian) = try benchmarkLayer(input)  // (R, C), (C, C)
    let (rows, columns) = (weight.shape[0], weight.shape[1])
    let scheme = try QuantizationScheme(
      bits: bits, groupSize: groupSize == 0 ? nil : groupSize, symmetric: true)
    let options = GPTQOptions(scheme: scheme)

    var loss = 0.0
    func solveOnce() {
      loss = (try? gptqQuantize(weight: weight, hessian: hessian, options: options))?.loss ?? .nan
    }
    if solveOnly {
      return print(String(format: "whole solve: %.3f s (median of %d), loss %.6g", median(solveOnce), rounds, loss))
    }
    // The solve and the sgemm alternate, round by round, so that each ratio compares two
    // measurements taken under the same load from other processes on this shared machine.
    let a = Tensor(shape: [4096, 4096], repeating: 0.5)
    var (solves, sgemms) = ([Double](), [Double]())
    for _ in 0..<max(rounds, 1) {
      sgemms.append(seconds { _ = matmul(a, a) })
      solves.append(seconds(solveOnce))
    }
    let (solve, sgemm) = (middle(solves), middle(sgemms))
    let prelude = median { _ = try? gptqPreludeOnly(hessian, columns: columns) }
    let doublePrelude = median { _ = try? gptqDoublePreludeOnly(hessian, columns: columns) }
    let flops = gptqFlopCount(rows: rows, columns: columns, blockSize: options.blockSize)
    let sgemmRate = 2 * pow(4096.0, 3) / sgemm / 1e9
    print("OpenBLAS kernels: \(BLASKernels.loadedCoreName)\n")
    print("| measurement | median seconds | GFLOP/s |")
    print("|---|---|---|")
    print(String(format: "| sgemm 4096³ | %.3f | %.1f |", sgemm, sgemmRate))
    print(String(format: "| GPTQ prelude (Float32 U of H⁻¹), C = %d | %.3f | %.1f |",
                 columns, prelude, 2 * pow(Double(columns), 3) / 3 / prelude / 1e9))
    print(String(format: "| Double retry route (dpotrf, dpotri, dpotrf), C = %d | %.3f | %.1f |",
                 columns, doublePrelude, 4 * pow(Double(columns), 3) / 3 / doublePrelude / 1e9))
    print(String(format: "| GPTQ %d×%d, %d-bit g%d, whole solve | %.3f | %.1f |",
                 rows, columns, bits, groupSize, solve, flops / solve / 1e9))
    let ratios = zip(solves, sgemms).map { flops / $0 / (2 * pow(4096.0, 3) / $1) }
    print(String(format: "\nour rate / sgemm rate: %.2f (median of the %d rounds' ratios, each solve next to its own sgemm; range %.2f–%.2f); flops counted: %.1f G; loss %.6g",
                 middle(ratios), rounds, ratios.min()!, ratios.max()!, flops / 1e9, loss))
    print(String(format: "swift_seconds=%.4f sgemm_gflops=%.2f", solve, sgemmRate))
  }

  /// The median wall time of `rounds` runs of `body`, in seconds.
  private func median(_ body: () throws -> Void) rethrows -> Double {
    var times: [Double] = []
    for _ in 0..<max(rounds, 1) { times.append(try seconds(body)) }
    return middle(times)
  }
}

/// The wall time of one run of `body`, in seconds.
func seconds(_ body: () throws -> Void) rethrows -> Double {
  let start = ContinuousClock.now
  try body()
  let elapsed = ContinuousClock.now - start
  return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// The median of a non-empty list (the upper one of the middle two for an even count).
func middle(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

/// The F32 `weight` (out, in) and `hessian` (in, in) of a solver-benchmark layer file
/// (`Fixtures/gptq/bench_reference.py write`).
func benchmarkLayer(_ path: String) throws -> (Tensor, Tensor) {
  let file = try SafetensorsFile(path: path)
  func tensor(_ name: String) throws -> Tensor {
    guard let info = file.header.tensors.first(where: { $0.name == name }) else {
      throw ValidationError("\(path) has no tensor named \(name)")
    }
    return file.withBytes(of: info) { Tensor(decoding: $0, dtype: info.dtype, shape: info.shape) }
  }
  return (try tensor("weight"), try tensor("hessian"))
}

/// The factorization alone, as the solver runs it: a 1-row, 1-bit-block solve would still run the
/// block loop, so this times the same work directly (the reversed copy J(H + λI)J, then Cholesky
/// and triangular inverse of its upper triangle in place).
private func gptqPreludeOnly(_ hessian: Tensor, columns: Int) throws -> Tensor {
  var damped = Tensor(shape: [columns, columns], scalars: Array(hessian.scalars.reversed()))  // (C, C)
  let mean = (0..<columns).reduce(Float(0)) { $0 + hessian[$1, $1] } / Float(columns)
  for i in 0..<columns { damped[i, i] += 0.01 * mean }
  try invertCholeskyFactor(&damped, upper: true)
  return damped
}

/// The Double retry route alone: `dpotrf`, `dpotri`, `dpotrf(upper)` of a `(C, C)` matrix.
private func gptqDoublePreludeOnly(_ hessian: Tensor, columns n: Int) throws -> [Double] {
  var damped = hessian.scalars.map(Double.init)  // (C, C)
  let mean = (0..<n).reduce(0.0) { $0 + damped[$1 * n + $1] } / Double(n)
  for i in 0..<n { damped[i * n + i] += 0.01 * mean }
  let inverse = try inverseFromCholesky(try cholesky(damped, n: n, upper: false), n: n, upper: false)
  return try cholesky(inverse, n: n, upper: true)
}

/// Flops of the solve as implemented (docs/gptq.md): Cholesky C³/3 + triangular inverse C³/3,
/// in-block rank-1 updates 2·R·Σ(B−1−i), cross-block GEMMs 2·R·B_k·(C − i2) per block.
func gptqFlopCount(rows: Int, columns: Int, blockSize: Int) -> Double {
  let (r, c) = (Double(rows), Double(columns))
  var total = 2 * c * c * c / 3
  for start in stride(from: 0, to: columns, by: blockSize) {
    let count = min(blockSize, columns - start)
    total += r * Double(count * (count - 1))  // Σ_i 2·R·(count − 1 − i)
    total += 2 * r * Double(count) * Double(columns - start - count)
  }
  return total
}
