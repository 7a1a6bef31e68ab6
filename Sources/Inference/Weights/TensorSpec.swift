import TensorCore

/// A tensor an architecture needs: its Hugging Face name and the shape the config implies.
struct TensorSpec: Sendable {
  /// The full name in the checkpoint.
  var name: String
  /// The shape the engine holds it in.
  var shape: [Int]
  /// Stored transposed (GPT-2's Conv1D keeps linear weights (I, O)); transposed at load.
  var transposed = false

  /// The shape in the checkpoint.
  var storedShape: [Int] { transposed ? shape.reversed() : shape }
}

/// Specs of a linear layer `<prefix>.weight` (O, I) and, with `bias`, `<prefix>.bias` (O).
func linearSpecs(_ prefix: String, out: Int, in input: Int, bias: Bool, transposed: Bool = false) -> [TensorSpec] {
  [TensorSpec(name: prefix + ".weight", shape: [out, input], transposed: transposed)]
    + (bias ? [TensorSpec(name: prefix + ".bias", shape: [out])] : [])
}

/// Specs of a norm `<prefix>.weight` (C) and, with `bias`, `<prefix>.bias` (C).
func normSpecs(_ prefix: String, width: Int, bias: Bool = true) -> [TensorSpec] {
  linearSpecs(prefix, out: width, in: 1, bias: bias).map { spec in
    var spec = spec
    spec.shape = [width]
    return spec
  }
}

extension WeightSource {
  /// The first of `prefixes` under which `anchor` exists (checkpoints saved from a task model
  /// put the base model under `bert.`, `transformer.`, …); the first prefix when none fits, so
  /// that the missing-tensor error names the usual spelling.
  func resolvePrefix(_ prefixes: [String], anchor: String) -> String {
    prefixes.first { contains($0 + anchor) } ?? prefixes[0]
  }

  /// Checks every spec's existence and shape, then loads them all, transposing where needed. A
  /// linear weight `M.weight` stored as low-rank factors is loaded as `M.low_rank.A.weight` and
  /// `M.low_rank.B.weight` instead (`BlockPass.linears` runs them as two products).
  func load(_ specs: [TensorSpec]) throws(InferenceError) -> [String: Tensor] {
    for spec in specs { try check(spec.name, shape: spec.storedShape) }
    var tensors: [String: Tensor] = [:]
    for spec in specs {
      if spec.shape.count == 2, spec.name.hasSuffix(".weight"), let (a, b) = try lowRankFactors(spec.name) {
        let module = String(spec.name.dropLast(".weight".count))
        tensors[module + LowRankNames.a] = a
        tensors[module + LowRankNames.b] = b
        continue
      }
      let tensor = try loadTensor(spec.name)
      tensors[spec.name] = spec.transposed ? tensor.transposed() : tensor
    }
    return tensors
  }
}

/// The suffixes, after a linear's module name, of the factors of a low-rank weight.
public enum LowRankNames {
  public static let a = ".low_rank.A.weight"
  public static let b = ".low_rank.B.weight"
}

/// Removes and returns the tensor `name` of a freshly loaded dictionary.
func take(_ name: String, from tensors: inout [String: Tensor]) -> Tensor {
  guard let tensor = tensors.removeValue(forKey: name) else { preconditionFailure("loader: \(name) was not loaded") }
  return tensor
}

/// Whether a model holds every block's weights from the start or reads each block's when its turn
/// comes (the sequential calibration loop: peak memory of one block, not of the model).
public enum BlockResidency: Sendable {
  /// Every block loaded at construction.
  case resident
  /// Blocks checked at construction, loaded by `BlockRunner.load()` and dropped by `unload()`.
  case streamed
}

/// A block's tensors by name, its binarized linears kept packed, and, for a streamed block, where
/// to read them again.
struct BlockWeights: Sendable {
  var tensors: [String: Tensor]
  var binary: [String: BinaryLinear] = [:]
  var stream: (specs: [TensorSpec], source: any WeightSource)?
}

extension WeightSource {
  /// A block's tensors, as `load` gives them, except that a linear weight stored binarized stays
  /// packed (`BinaryLinear`, run by `BlockPass.linears` without a dense copy).
  func loadBlock(_ specs: [TensorSpec]) throws(InferenceError) -> BlockWeights {
    var binary: [String: BinaryLinear] = [:]
    var rest: [TensorSpec] = []
    for spec in specs {
      if spec.shape.count == 2, spec.name.hasSuffix(".weight"), let packed = try binaryLinear(spec.name) {
        guard [packed.out, packed.inputs] == spec.shape else {
          throw .shapeMismatch(name: spec.name, expected: spec.shape, found: [packed.out, packed.inputs])
        }
        binary[spec.name] = packed
      } else {
        rest.append(spec)
      }
    }
    return BlockWeights(tensors: try load(rest), binary: binary)
  }
}

extension WeightSource {
  /// Checks every spec of the model (`specs`, then each block's), loads `specs`, and loads each
  /// block's tensors now (`.resident`) or leaves them to be loaded in turn (`.streamed`).
  func load(_ specs: [TensorSpec], blocks: [[TensorSpec]], residency: BlockResidency) throws(InferenceError)
    -> (tensors: [String: Tensor], blocks: [BlockWeights])
  {
    for spec in specs + blocks.joined() { try check(spec.name, shape: spec.storedShape) }
    let tensors = try load(specs)
    var weights: [BlockWeights] = []
    for specs in blocks {
      switch residency {
      case .resident: weights.append(try loadBlock(specs))
      case .streamed: weights.append(BlockWeights(tensors: [:], stream: (specs, self)))
      }
    }
    return (tensors, weights)
  }
}
