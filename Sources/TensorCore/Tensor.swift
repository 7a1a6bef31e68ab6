/// A dense, row-major, contiguous Float32 tensor with value semantics.
///
/// Shapes are written outermost first: a linear weight is `(out, in)`, so element `(r, c)` sits at
/// `scalars[r * in + c]`. Copy-on-write comes from `Array`.
public struct Tensor: Sendable, Equatable {
  /// The extent of each dimension, outermost first. `[]` is a scalar (rank 0, one element).
  public private(set) var shape: [Int]
  /// The elements; kept private so that in-place kernels and the 2-D subscript mutate the array
  /// without the copy a property observer would force.
  private var storage: [Float]

  /// The elements in row-major order; `scalars.count == shape.reduce(1, *)`.
  ///
  /// Assigning an array of another length is a precondition failure. For in-place element
  /// writes prefer `self[row, column]` or `withUnsafeMutableBufferPointer(_:)`.
  public var scalars: [Float] {
    get { storage }
    set {
      precondition(
        newValue.count == storage.count,
        "Tensor: assigning \(newValue.count) scalars to a tensor of shape \(shape)")
      storage = newValue
    }
  }

  /// Creates a tensor from its shape and row-major elements.
  public init(shape: [Int], scalars: [Float]) {
    precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shape)")
    precondition(
      scalars.count == shape.reduce(1, *),
      "Tensor: \(scalars.count) scalars do not fill shape \(shape)")
    self.shape = shape
    self.storage = scalars
  }

  /// A tensor of the given shape filled with `value`.
  public init(shape: [Int], repeating value: Float = 0) {
    self.init(shape: shape, scalars: [Float](repeating: value, count: shape.reduce(1, *)))
  }

  /// The number of dimensions.
  public var rank: Int { shape.count }
  /// The number of elements.
  public var count: Int { storage.count }

  /// The element at `(row, column)` of a rank-2 tensor.
  public subscript(row: Int, column: Int) -> Float {
    get {
      precondition(rank == 2, "Tensor: 2-D subscript on shape \(shape)")
      return storage[row * shape[1] + column]
    }
    set {
      precondition(rank == 2, "Tensor: 2-D subscript on shape \(shape)")
      storage[row * shape[1] + column] = newValue
    }
  }

  /// The same elements viewed under another shape with the same element count.
  public func reshaped(_ newShape: [Int]) -> Tensor {
    Tensor(shape: newShape, scalars: storage)
  }

  /// Calls `body` with the row-major elements, read-only.
  public func withUnsafeBufferPointer<R, E: Error>(
    _ body: (UnsafeBufferPointer<Float>) throws(E) -> R
  ) throws(E) -> R {
    try storage.withUnsafeBufferPointer { buffer throws(E) in try body(buffer) }
  }

  /// Calls `body` with the row-major elements for in-place mutation (no copy unless shared).
  /// The buffer's base address and count must not change.
  public mutating func withUnsafeMutableBufferPointer<R, E: Error>(
    _ body: (UnsafeMutableBufferPointer<Float>) throws(E) -> R
  ) throws(E) -> R {
    try storage.withUnsafeMutableBufferPointer { buffer throws(E) in try body(buffer) }
  }
}
