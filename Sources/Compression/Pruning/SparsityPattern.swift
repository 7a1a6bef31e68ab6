import TensorCore

// The shapes of sparsity the `prune` pass produces and the mask that records them. Conventions
// (docs/prune.md): a mask is `(out, in)` like the weight, `true` where a weight is pruned (held at
// exactly zero); N:M groups run along the input dimension.

/// Which weights a sparsity target counts over.
public enum SparsityPattern: Sendable, Equatable, CustomStringConvertible {
  /// A fraction of all weights: exactly `⌊in · s⌋` per row (`.row`), or `⌊out · in · s⌋` per
  /// layer (`.layer`).
  case unstructured(sparsity: Double, allocation: SparsityAllocation)
  /// At most `n` non-zeros in every `m` consecutive weights of a row (2:4, 4:8): `m − n` pruned
  /// per group, so the sparsity is `(m − n) / m`. The row width must be a multiple of `m`.
  case nOfM(n: Int, m: Int)

  /// The fraction of weights pruned.
  public var sparsity: Double {
    switch self {
    case .unstructured(let sparsity, _): sparsity
    case .nOfM(let n, let m): Double(m - n) / Double(m)
    }
  }

  public var description: String {
    switch self {
    case .unstructured: "unstructured"
    case .nOfM(let n, let m): "\(n):\(m)"
    }
  }

  /// Weights pruned among the first `prefix` of `total` items when exactly `⌊total · s⌋` are pruned
  /// in all: `⌊prefix · s⌋`, computed so that the counts of consecutive ranges add up exactly.
  static func prunedCount(prefix: Int, sparsity: Double) -> Int {
    Int((Double(prefix) * sparsity + 1e-9).rounded(.down))
  }
}

/// Where an unstructured sparsity target is met.
public enum SparsityAllocation: String, Sendable, Equatable, CaseIterable {
  /// Every output row has the same number of pruned weights (Wanda's comparison group).
  case row
  /// The layer as a whole has the target; rows differ (SparseGPT's and magnitude pruning's).
  case layer
}

/// The pruned positions of an `(out, in)` weight, row-major.
public struct SparsityMask: Sendable, Equatable {
  public let rows: Int
  public let columns: Int
  /// `true` where the weight is pruned. // (R, C)
  public var pruned: [Bool]

  public init(rows: Int, columns: Int, pruned: [Bool]) {
    precondition(pruned.count == rows * columns, "SparsityMask: \(pruned.count) flags for \(rows) × \(columns)")
    self.rows = rows
    self.columns = columns
    self.pruned = pruned
  }

  /// The exact zeros of `weight` `(out, in)`.
  public init(zerosOf weight: Tensor) {
    self.init(rows: weight.shape[0], columns: weight.shape[1], pruned: weight.scalars.map { $0 == 0 })
  }

  /// Pruned weights in all.
  public var count: Int { pruned.reduce(0) { $0 + ($1 ? 1 : 0) } }

  /// The fraction of weights pruned.
  public var sparsity: Double { pruned.isEmpty ? 0 : Double(count) / Double(pruned.count) }

  /// Pruned weights of row `r`.
  public func count(row r: Int) -> Int { pruned[(r * columns)..<((r + 1) * columns)].reduce(0) { $0 + ($1 ? 1 : 0) } }

  /// `weight` with the pruned positions set to 0.
  public func applied(to weight: Tensor) -> Tensor {
    precondition(weight.shape == [rows, columns], "SparsityMask.applied: weight \(weight.shape), mask \(rows) × \(columns)")
    var out = weight
    out.withUnsafeMutableBufferPointer { w in
      for i in w.indices where pruned[i] { w[i] = 0 }
    }
    return out
  }

  /// Whether every group of `m` consecutive weights of a row holds at most `n` unpruned ones.
  public func satisfies(n: Int, m: Int) -> Bool {
    guard columns % m == 0 else { return false }
    for r in 0..<rows {
      for g in stride(from: 0, to: columns, by: m) {
        let kept = (g..<(g + m)).reduce(0) { $0 + (pruned[r * columns + $1] ? 0 : 1) }
        if kept > n { return false }
      }
    }
    return true
  }
}
