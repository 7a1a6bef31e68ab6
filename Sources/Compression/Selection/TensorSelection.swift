import Inference
import Safetensors

/// Which tensors a pass works on: explicit `targets` (or the default rule) minus `ignore`.
///
/// The default rule selects the 2-D linear weights inside transformer blocks: tensors named
/// `….weight` of rank 2 whose name holds a block index (`layers.3.`, `layer.3.`, `h.3.`,
/// `blocks.3.`, `block.3.`). Embeddings, norms, position tables and the LM head are never in it.
public struct TensorSelection: Sendable, Equatable {
  /// Selectors of the tensors to work on; `nil` means the default rule.
  public var targets: [TensorSelector]?
  /// Selectors of tensors to leave alone even when targeted.
  public var ignore: [TensorSelector]

  public init(targets: [TensorSelector]? = nil, ignore: [TensorSelector] = []) {
    self.targets = targets
    self.ignore = ignore
  }

  /// The names selected among `tensors`, in the order given.
  ///
  /// - Throws: `CompressionError.selectorMatchedNothing` when a target or ignore selector matches
  ///   no tensor (a typo must not silently select nothing).
  public func resolve(in tensors: [TensorInfo], pass: String) throws(CompressionError) -> [String] {
    let names = tensors.map(\.name)
    for selector in (targets ?? []) + ignore where !names.contains(where: selector.matches) {
      throw .selectorMatchedNothing(pass: pass, selector: selector.text)
    }
    return tensors.filter { info in
      let targeted: Bool
      if let targets {
        targeted = targets.contains { $0.matches(info.name) }
      } else {
        targeted = Self.isBlockLinearWeight(name: info.name, shape: info.shape)
      }
      return targeted && !ignore.contains { $0.matches(info.name) }
    }.map(\.name)
  }

  /// The default rule: a rank-2 `….weight` inside a numbered transformer block.
  public static func isBlockLinearWeight(name: String, shape: [Int]) -> Bool {
    guard shape.count == 2, name.hasSuffix(".weight") else { return false }
    let parts = name.split(separator: ".")
    let blockContainers: Set<Substring> = ["layers", "layer", "h", "blocks", "block"]
    let inBlock = zip(parts, parts.dropFirst()).contains { container, index in
      blockContainers.contains(container) && index.allSatisfy(\.isNumber)
    }
    let excluded = ["embed", "norm", "wte", "wpe", "lm_head", "position"]
    return inBlock && !excluded.contains { name.lowercased().contains($0) }
  }
}
