import TensorCore

/// The activations flowing between blocks, with what the blocks need to read them: the padding
/// (sequence lengths) and the position of every slot.
///
/// Sequences are right-padded to a common length T: slot `t` of sequence `b` is a real token
/// when `t < lengths[b]`. Attention never looks at padding keys; the values computed in padding
/// slots are kept (as transformers keeps them) but mean nothing.
public struct HiddenStates: Sendable, Equatable {
  /// The activations, (B, T, C).
  public var values: Tensor
  /// The number of real tokens of each sequence, each in 1...T; `lengths.count == B`.
  public var lengths: [Int]
  /// The position of each slot, (T); `0..<T` unless tokens were dropped between blocks. Only
  /// rotary embeddings read it.
  public var positions: [Int]

  /// Wraps (B, T, C) activations; `lengths` defaults to no padding, `positions` to `0..<T`.
  public init(values: Tensor, lengths: [Int]? = nil, positions: [Int]? = nil) {
    precondition(values.rank == 3, "HiddenStates: values must be (B, T, C), got \(values.shape)")
    let (batch, length) = (values.shape[0], values.shape[1])
    self.values = values
    self.lengths = lengths ?? Array(repeating: length, count: batch)
    self.positions = positions ?? Array(0..<length)
    precondition(self.lengths.count == batch, "HiddenStates: \(self.lengths.count) lengths for batch \(batch)")
    precondition(
      self.lengths.allSatisfy { (1...max(length, 1)).contains($0) },
      "HiddenStates: lengths \(self.lengths) outside 1...\(length)")
    precondition(self.positions.count == length, "HiddenStates: \(self.positions.count) positions for T = \(length)")
  }

  /// B.
  public var batchSize: Int { values.shape[0] }
  /// T.
  public var length: Int { values.shape[1] }
  /// C.
  public var width: Int { values.shape[2] }
  /// Whether every sequence fills all T slots.
  public var isUnpadded: Bool { lengths.allSatisfy { $0 == length } }

  /// The activations as (B·T, C) rows, for the linear layers.
  var rows: Tensor { values.reshaped([batchSize * length, width]) }

  /// Same layout, new (B·T, C') rows.
  func replacingRows(_ rows: Tensor) -> HiddenStates {
    var copy = self
    copy.values = rows.reshaped([batchSize, length, rows.shape[1]])
    return copy
  }

  /// The rows of `x` (B·T, ·) that hold real tokens, sequence by sequence: (Σ lengths, ·).
  func realRows(_ x: Tensor) -> Tensor {
    if isUnpadded { return x }
    let width = x.shape[1]
    var scalars: [Float] = []
    scalars.reserveCapacity(lengths.reduce(0, +) * width)
    x.withUnsafeBufferPointer { p in
      for (b, count) in lengths.enumerated() {
        scalars.append(contentsOf: p[(b * length * width)..<((b * length + count) * width)])
      }
    }
    return Tensor(shape: [scalars.count / max(width, 1), width], scalars: scalars)
  }

  /// The real tokens of each sequence, (lengths[b], C) each.
  public func sequences() -> [Tensor] {
    (0..<batchSize).map { b in
      let slice = Array(values.scalars[(b * length * width)..<((b * length + lengths[b]) * width)])
      return Tensor(shape: [lengths[b], width], scalars: slice)
    }
  }
}
