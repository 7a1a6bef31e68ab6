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
    let file = try SafetensorsFile(path: input)
    func tensor(_ name: String) throws -> Tensor {
      guard let info = file.header.tensors.first(where: { $0.name == name }) else {
        throw ValidationError("\(input) has no tensor named \(name)")
      }
      return file.withBytes(of: info) { Tensor(decoding: $0, dtype: info.dtype, shape: info.shape) }
    }
    let weight = try tensor("weight")  // (R, C)
    let hessian = try tensor("hessian")  // (C, C)
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

/// The wall time of one run of `body`, in seconds.
private func seconds(_ body: () throws -> Void) rethrows -> Double {
  let start = ContinuousClock.now
  try body()
  let elapsed = ContinuousClock.now - start
  return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// The median of a non-empty list (the upper one of the middle two for an even count).
private func middle(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
