import Inference
import Safetensors
import TensorCore

/// The weights of any checkpoint this toolkit reads or writes, dense or compressed, for the
/// engine: a tensor stored in an encoding (GPTQ layout, …) is decoded on load, so every
/// compressed checkpoint runs as it is.
public struct CompressedWeightSource: WeightSource {
  public let checkpoint: SafetensorsCheckpoint
  /// The manifest, when the checkpoint was written by this tool.
  public let manifest: Manifest?

  public init(path: String) throws(CompressionError) {
    checkpoint = try withSafetensorsErrors { () throws(SafetensorsError) in try SafetensorsCheckpoint(path: path) }
    manifest = try Manifest.decode(from: checkpoint.metadata, path: checkpoint.path)
  }

  public func tensorInfo(_ name: String) -> (shape: [Int], dtype: DType)? {
    if let entry = manifest?.tensors[name], entry.encoding != "cast", let dtype = DType(rawValue: entry.dtype) {
      return (entry.shape, dtype)
    }
    return checkpoint[name].map { ($0.shape, $0.dtype) }
  }

  public func loadTensor(_ name: String) throws(InferenceError) -> Tensor {
    do throws(CompressionError) {
      if let entry = manifest?.tensors[name], entry.encoding != "cast" {
        let parts = try StoredParts(tensor: name, entry: entry, checkpoint: checkpoint)
        return try Decompressor.decode(parts, entry: entry)
      }
      guard let info = checkpoint[name] else { throw .invalidManifest(path: checkpoint.path, reason: "no `\(name)`") }
      guard info.dtype.isFloatingPoint else { throw .unsupportedDType(tensor: name, pass: "load", dtype: info.dtype) }
      return try readBytes(name, from: checkpoint) { Tensor(decoding: $0, dtype: info.dtype, shape: info.shape) }
    } catch {
      throw .undecodableTensor(name: name, reason: error.description)
    }
  }

  /// The factors of a weight stored in the low-rank encoding, decoded (a quantized factor is
  /// dequantized), in `nn.Linear` orientation.
  public func lowRankFactors(_ name: String) throws(InferenceError) -> (a: Tensor, b: Tensor)? {
    guard let entry = manifest?.tensors[name], entry.encoding == LowRankEncoding.name else { return nil }
    do throws(CompressionError) {
      let factors = try LowRankEncoding.factors(
        StoredParts(tensor: name, entry: entry, checkpoint: checkpoint), entry: entry)
      return (factors.a, factors.b)
    } catch {
      throw .undecodableTensor(name: name, reason: error.description)
    }
  }

  /// A weight stored in the binary encoding, packed as stored.
  public func binaryLinear(_ name: String) throws(InferenceError) -> BinaryLinear? {
    guard let entry = manifest?.tensors[name], entry.encoding == BinaryEncoding.name else { return nil }
    do throws(CompressionError) {
      return try BinaryEncoding.matrix(StoredParts(tensor: name, entry: entry, checkpoint: checkpoint), entry: entry)
    } catch {
      throw .undecodableTensor(name: name, reason: error.description)
    }
  }
}
