import Inference
import Safetensors
import TensorCore

/// The GPTQ checkpoint layout (AutoGPTQ/GPTQModel "gptq" v1 format) as an `EncodedTensor`:
/// `M.qweight` I32 [in·bits/32, out], `M.qzeros` I32 [groups, out·bits/32] (zero − 1),
/// `M.scales` F16 [groups, out], `M.g_idx` I32 [in]. See docs/quantization.md.
public enum GPTQEncoding {
  /// The manifest's encoding name.
  public static let name = "gptq"
  /// The stored tensors' suffixes, in manifest order.
  static let suffixes = ["qweight", "qzeros", "scales", "g_idx"]

  /// Stores a quantized `(out, in)` matrix. `originalShape` is the weight's shape as it was in the
  /// checkpoint (transposed for `.inOut` layouts).
  public static func encode(
    _ matrix: QuantizedMatrix, name: String, originalDType: DType, originalShape: [Int],
    layout: WeightLayout
  ) throws(CompressionError) -> EncodedTensor {
    let packed: GPTQPackedTensors
    do {
      packed = try GPTQPackedTensors.pack(matrix)
    } catch {
      throw .quantization(tensor: name, error)
    }
    let parts = [
      EncodedTensor.Part(
        suffix: "qweight", dtype: .i32, shape: packed.qweightShape,
        bytes: packed.qweight.littleEndianBytes),
      EncodedTensor.Part(
        suffix: "qzeros", dtype: .i32, shape: packed.qzerosShape,
        bytes: packed.qzeros.littleEndianBytes),
      EncodedTensor.Part(
        suffix: "scales", dtype: .f16, shape: packed.scalesShape,
        bytes: packed.scales.littleEndianBytes),
      EncodedTensor.Part(
        suffix: "g_idx", dtype: .i32, shape: [matrix.columns], bytes: packed.gIdx.littleEndianBytes),
    ]
    let entry = ManifestEntry(
      encoding: Self.name, dtype: originalDType.rawValue,
      shape: originalShape,
      parameters: [
        "bits": "\(matrix.scheme.bits)",
        "group_size": "\(matrix.scheme.groupSize ?? -1)",
        "sym": "\(matrix.scheme.symmetric)",
        "layout": layout.rawValue,
      ])
    return EncodedTensor(entry: entry, parts: parts)
  }

  /// Rebuilds the dense weight, in its original orientation, from the stored parts.
  static func decode(_ parts: StoredParts, entry: ManifestEntry) throws(CompressionError) -> Tensor {
    guard let bits = Int(entry.parameters["bits"] ?? ""),
      let groupSize = Int(entry.parameters["group_size"] ?? ""),
      let symmetric = Bool(entry.parameters["sym"] ?? ""),
      let layout = WeightLayout(rawValue: entry.parameters["layout"] ?? "out-in"),
      entry.shape.count == 2
    else {
      throw .invalidManifest(path: parts.path, reason: "gptq entry lacks bits/group_size/sym/shape")
    }
    let (rows, columns) =
      layout == .outIn ? (entry.shape[0], entry.shape[1]) : (entry.shape[1], entry.shape[0])
    let scheme: QuantizationScheme
    do {
      scheme = try QuantizationScheme(
        bits: bits, groupSize: groupSize == -1 ? nil : groupSize, symmetric: symmetric)
      let packed = GPTQPackedTensors(
        qweight: try parts.integers("qweight", as: Int32.self),
        qweightShape: try parts.shape("qweight"),
        qzeros: try parts.integers("qzeros", as: Int32.self),
        qzerosShape: try parts.shape("qzeros"),
        scales: try parts.integers("scales", as: UInt16.self),
        scalesShape: try parts.shape("scales"),
        gIdx: try parts.integers("g_idx", as: Int32.self))
      let matrix = try packed.unpack(rows: rows, columns: columns, scheme: scheme)
      let dense = matrix.dequantized()  // (out, in)
      return layout == .inOut ? dense.transposed() : dense
    } catch let error as QuantizationError {
      throw .quantization(tensor: parts.tensor, error)
    } catch let error as CompressionError {
      throw error
    } catch {
      throw .invalidManifest(path: parts.path, reason: "\(error)")
    }
  }
}
