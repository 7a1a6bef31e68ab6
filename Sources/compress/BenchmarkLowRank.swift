import ArgumentParser
import Foundation
import ModelCompression

/// `compress benchmark-low-rank FILE`: times the low-rank factorizations of the `weight` and
/// `hessian` tensors of a safetensors file at half the parameters, next to the GPTQ solve of the
/// same layer, round by round in one run (prints Markdown rows).
struct BenchmarkLowRank: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "benchmark-low-rank",
    abstract: "Time the low-rank factorizations against the GPTQ solve of the same layer (prints Markdown rows).",
    shouldDisplay: false)

  @Argument(help: "A .safetensors file holding F32 `weight` (out, in) and `hessian` (in, in).")
  var input: String

  @Option(help: "Rounds; the median of the per-round ratios is reported.")
  var rounds = 3

  func run() throws {
    let (weight, hessian) = try benchmarkLayer(input)  // (R, C), (C, C)
    let (rows, columns) = (weight.shape[0], weight.shape[1])
    let gptq = GPTQOptions(scheme: try QuantizationScheme(bits: 4, groupSize: 128, symmetric: true))
    print("OpenBLAS kernels: \(BLASKernels.loadedCoreName); layer \(rows)×\(columns), keep 0.5\n")
    print("| factorization | median seconds | against GPTQ, same round |")
    print("|---|---|---|")
    for (label, objective) in [("plain SVD (sgesdd)", LowRankObjective.weight), ("whitened SVD", .output(hessian: hessian))] {
      var (factorizations, quantizes, ratios) = ([Double](), [Double](), [Double]())
      for _ in 0..<max(rounds, 1) {
        let q = try seconds { _ = try gptqQuantize(weight: weight, hessian: hessian, options: gptq) }
        let f = try seconds { _ = try lowRankFactorize(weight: weight, objective: objective, rule: .keep(0.5)) }
        quantizes.append(q)
        factorizations.append(f)
        ratios.append(f / q)
      }
      print(String(format: "| %@ | %.2f | %.1f× (range %.1f–%.1f; GPTQ 4-bit g128 %.2f s) |",
                   label, middle(factorizations), middle(ratios), ratios.min()!, ratios.max()!, middle(quantizes)))
    }
  }
}
