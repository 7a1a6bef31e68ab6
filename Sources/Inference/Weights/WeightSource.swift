import Safetensors
import TensorCore

/// Where a model's tensors come from, by Hugging Face name.
///
/// The engine only ever asks for Float32 tensors, so a source of quantized or compressed weights
/// implements `loadTensor` by dequantizing: `tensorInfo` reports the stored dtype and the shape
/// the dense tensor has.
public protocol WeightSource: Sendable {
  /// The shape of the (dense) tensor `name` and the dtype it is stored in, or `nil` when absent.
  func tensorInfo(_ name: String) -> (shape: [Int], dtype: DType)?
  /// The tensor `name` decoded to Float32, in its stored shape.
  func loadTensor(_ name: String) throws(InferenceError) -> Tensor
  /// The factors of a linear weight `name` stored as a low-rank product B·A, in `nn.Linear`
  /// orientation (A `(r, in)`, B `(out, r)`), so that the engine runs it as two products; nil
  /// when `name` is stored otherwise (the default).
  func lowRankFactors(_ name: String) throws(InferenceError) -> (a: Tensor, b: Tensor)?
  /// A linear weight `name` stored binarized, packed as stored, in `nn.Linear` orientation, so
  /// that the engine multiplies with the signs (`BinaryLinear.apply`); nil when `name` is stored
  /// otherwise (the default).
  func binaryLinear(_ name: String) throws(InferenceError) -> BinaryLinear?
}

extension WeightSource {
  public func lowRankFactors(_ name: String) throws(InferenceError) -> (a: Tensor, b: Tensor)? { nil }
  public func binaryLinear(_ name: String) throws(InferenceError) -> BinaryLinear? { nil }

  /// Whether the source holds a tensor named `name`.
  public func contains(_ name: String) -> Bool { tensorInfo(name) != nil }

  /// Checks that `name` exists with `shape` (without reading its data).
  public func check(_ name: String, shape: [Int]) throws(InferenceError) {
    guard let info = tensorInfo(name) else { throw .missingTensor(name: name) }
    guard info.shape == shape else { throw .shapeMismatch(name: name, expected: shape, found: info.shape) }
  }
}

/// The tensors of a safetensors checkpoint (one file, a `.zst` file, a sharded index or a folder),
/// decoded from any float dtype to Float32.
public struct SafetensorsWeightSource: WeightSource {
  /// The opened checkpoint.
  public let checkpoint: SafetensorsCheckpoint

  /// Wraps an opened checkpoint.
  public init(checkpoint: SafetensorsCheckpoint) { self.checkpoint = checkpoint }

  /// Opens the checkpoint at `path` (a file or a model folder).
  public init(path: String) throws(InferenceError) {
    do {
      checkpoint = try SafetensorsCheckpoint(path: path)
    } catch {
      throw .checkpoint(path: path, error: error)
    }
  }

  /// Shape and dtype from the header.
  public func tensorInfo(_ name: String) -> (shape: [Int], dtype: DType)? {
    checkpoint[name].map { ($0.shape, $0.dtype) }
  }

  /// Decodes the tensor from its stored float dtype.
  public func loadTensor(_ name: String) throws(InferenceError) -> Tensor {
    guard let info = checkpoint[name] else { throw .missingTensor(name: name) }
    guard info.dtype.floatEncoding != nil else { throw .unsupportedDType(name: name, dtype: info.dtype) }
    do {
      return try checkpoint.withBytes(of: name) { Tensor(decoding: $0, dtype: info.dtype, shape: info.shape) }
    } catch let error as SafetensorsError {
      throw .checkpoint(path: checkpoint.path, error: error)
    } catch {
      throw .missingTensor(name: name)
    }
  }
}

/// Tensors held in memory, by name (tests, and weights a compression pass produced).
public struct InMemoryWeightSource: WeightSource {
  /// The tensors by Hugging Face name.
  public var tensors: [String: Tensor]

  /// Wraps a dictionary of tensors.
  public init(_ tensors: [String: Tensor]) { self.tensors = tensors }

  /// Shape of the tensor; the dtype is always F32.
  public func tensorInfo(_ name: String) -> (shape: [Int], dtype: DType)? {
    tensors[name].map { ($0.shape, .f32) }
  }

  /// The stored tensor.
  public func loadTensor(_ name: String) throws(InferenceError) -> Tensor {
    guard let tensor = tensors[name] else { throw .missingTensor(name: name) }
    return tensor
  }
}
