/// One layer as the global rank allocation sees it: its shape and the squared singular values of
/// its fitted matrix (W, or W·L when whitened), descending.
public struct RankCandidate: Sendable, Equatable {
  public var out: Int
  public var inputs: Int
  public var energies: [Double]

  public init(out: Int, inputs: Int, energies: [Double]) {
    self.out = out
    self.inputs = inputs
    self.energies = energies
  }
}

/// What the allocation gives one layer.
public enum AllocatedRank: Sendable, Equatable {
  case rank(Int)
  /// Kept dense: the budget reached its break-even rank, where factors stop saving parameters.
  case dense
}

/// Spends a global budget of `parameters` over `layers` where the output error falls most
/// (`allocation=sensitivity`, docs/low-rank.md).
///
/// The rule: keeping singular direction k of layer l lowers that layer's relative output error
/// by e = σ²_{l,k} / Σ_j σ²_{l,j} (Eckart–Young) and costs in + out parameters. Every layer
/// starts at rank 1; then directions are taken across all layers in order of e / (in + out),
/// largest first, while they fit in the budget. A layer whose next direction would reach its
/// break-even rank (r·(in+out) ≥ in·out) is kept dense instead, if its full in·out fits.
/// So a layer that the data excites along few directions gives its parameters to one whose
/// spectrum is flat.
public func allocateRanks(_ layers: [RankCandidate], parameters budget: Int) -> [AllocatedRank] {
  var ranks = layers.map { _ in 1 }
  var dense = layers.map { _ in false }
  var spent = layers.reduce(0) { $0 + $1.out + $1.inputs }
  struct Unit {
    var layer: Int
    var index: Int
    var score: Double
  }
  var units: [Unit] = []
  for (l, layer) in layers.enumerated() {
    let total = layer.energies.reduce(0, +)
    guard total > 0 else { continue }
    let cost = Double(layer.out + layer.inputs)
    for k in 1..<max(layer.energies.count, 1) { units.append(Unit(layer: l, index: k, score: layer.energies[k] / total / cost)) }
  }
  // Largest drop per parameter first; ties by layer, then direction (deterministic).
  units.sort { ($0.score, -$0.layer, -$0.index) > ($1.score, -$1.layer, -$1.index) }
  for unit in units where !dense[unit.layer] && ranks[unit.layer] == unit.index {
    let layer = layers[unit.layer]
    let step = layer.out + layer.inputs
    if lowRankSaves(rank: unit.index + 1, out: layer.out, in: layer.inputs) {
      guard spent + step <= budget else { continue }
      ranks[unit.layer] += 1
      spent += step
    } else {
      let extra = layer.out * layer.inputs - ranks[unit.layer] * step
      guard spent + extra <= budget else { continue }
      dense[unit.layer] = true
      spent += extra
    }
  }
  return layers.indices.map { dense[$0] ? .dense : .rank(ranks[$0]) }
}
