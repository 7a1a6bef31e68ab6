import ArgumentParser
import Foundation
import ModelCompression

/// `compress benchmark-prune FILE`: times the pruning solvers on the `weight` and `hessian`
/// tensors of a safetensors file next to the GPTQ solve of the same layer, round by round in one
/// run (prints Markdown rows).
struct BenchmarkPrune: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "benchmark-prune",
    abstract: "Time the pruning solvers against the GPTQ solve of the same layer (prints Markdown rows).",
    shouldDisplay: false)

  @Argument(help: "A .safetensors file holding F32 `weight` (out, in) and `hessian` (in, in).")
  var input: String

  @Option(help: "Rounds of the SparseGPT/GPTQ pair; the median of the per-round ratios is reported.")
  var rounds = 5

  func run() throws {
    let (weight, hessian) = try benchmarkLayer(input)  // (R, C), (C, C)
    let (rows, columns) = (weight.shape[0], weight.shape[1])
    let gptq = GPTQOptions(scheme: try QuantizationScheme(bits: 4, groupSize: 128, symmetric: true))
    print("OpenBLAS kernels: \(BLASKernels.loadedCoreName); layer \(rows)×\(columns)\n")
    print("| solver | median seconds | against GPTQ, same round |")
    print("|---|---|---|")
    for pattern in [SparsityPattern.unstructured(sparsity: 0.5, allocation: .layer), .nOfM(n: 2, m: 4)] {
      var (prunes, quantizes, ratios) = ([Double](), [Double](), [Double]())
      for _ in 0..<max(rounds, 1) {
        let q = try seconds { _ = try gptqQuantize(weight: weight, hessian: hessian, options: gptq) }
        let p = try seconds { _ = try sparseGPTPrune(weight: weight, hessian: hessian, options: SparseGPTOptions(pattern: pattern)) }
        quantizes.append(q)
        prunes.append(p)
        ratios.append(p / q)
      }
      print(String(format: "| SparseGPT %@ | %.3f | %.2f× (range %.2f–%.2f; GPTQ 4-bit g128 %.3f s) |",
                   pattern.description, middle(prunes), middle(ratios), ratios.min()!, ratios.max()!, middle(quantizes)))
    }
    for (label, pattern) in [("wanda 50%", SparsityPattern.unstructured(sparsity: 0.5, allocation: .row))] {
      let t = seconds { _ = wandaPrune(weight: weight, hessian: hessian, pattern: pattern) }
      print(String(format: "| %@ | %.3f | |", label, t))
    }
    var result: PruningResult?
    // Ten iterations of each solve: enough for the time per iteration (one product with H each),
    // which is what the layer's cost scales with.
    let options = SparseRegularizedOptions(
      pattern: .unstructured(sparsity: 0.5, allocation: .row), maxIterations: 10, tolerance: 0, refitIterations: 10)
    let t = seconds { result = sparseRegularizedPrune(weight: weight, hessian: hessian, options: options) }
    let f = result!.figures
    print(String(format: "| sparse-reg 50%% row, %.0f proximal-gradient + %.0f refit iterations | %.3f | %.1f ms per iteration |",
                 f["iterations"]!, f["refit_iterations"]!, t, 1000 * t / (f["iterations"]! + f["refit_iterations"]!)))
  }
}
