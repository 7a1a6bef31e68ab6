import Inference
import Safetensors
import TensorCore

/// A low-rank layer as an `EncodedTensor`: for module `M` (the weight's name without `.weight`),
/// `M.low_rank.A.weight` `(r, in)` and `M.low_rank.B.weight` `(out, r)`, so that the weight is
/// B·A (in `nn.Linear` orientation, whatever the checkpoint's layout; the manifest's `layout`
/// says how to turn B·A back into the stored shape). The bias is not touched.
///
/// A factor may itself be stored in another encoding (low-rank then GPTQ): its parts are then
/// `M.low_rank.A.qweight`, …, and the manifest's parameters carry that encoding's name and
/// parameters under `A.` (`A.encoding`, `A.bits`, …). See docs/low-rank.md.
public enum LowRankEncoding {
  /// The manifest's encoding name.
  public static let name = "low-rank"
  static let factorNames = ["A", "B"]

  /// Stores `a` `(r, in)` and `b` `(out, r)`, each dense or already encoded.
  public static func encode(
    a: WorkingTensor, b: WorkingTensor, rank: Int, originalDType: DType, originalShape: [Int], layout: WeightLayout
  ) -> EncodedTensor {
    var parts: [EncodedTensor.Part] = []
    var parameters = ["rank": "\(rank)", "layout": layout.rawValue]
    for (factor, state) in zip(factorNames, [a, b]) {
      let prefix = "low_rank.\(factor)."
      switch state {
      case .dense(let tensor, let dtype):
        parts.append(.init(suffix: prefix + "weight", dtype: dtype, shape: tensor.shape, bytes: tensor.encoded(as: dtype)))
      case .encoded(let inner):
        parts += inner.parts.map { .init(suffix: prefix + $0.suffix, dtype: $0.dtype, shape: $0.shape, bytes: $0.bytes) }
        parameters["\(factor).encoding"] = inner.entry.encoding
        parameters["\(factor).shape"] = inner.entry.shape.map(String.init).joined(separator: ",")
        for (key, value) in inner.entry.parameters { parameters["\(factor).\(key)"] = value }
      }
    }
    let entry = ManifestEntry(
      encoding: name, dtype: originalDType.rawValue, shape: originalShape, parameters: parameters)
    return EncodedTensor(entry: entry, parts: parts)
  }

  /// The two factors, decoded.
  static func factors(_ parts: StoredParts, entry: ManifestEntry) throws(CompressionError) -> LowRankFactors {
    func invalid(_ reason: String) -> CompressionError {
      .invalidManifest(path: parts.path, reason: "low-rank `\(parts.tensor)`: \(reason)")
    }
    guard entry.shape.count == 2, let rank = Int(entry.parameters["rank"] ?? ""), rank >= 1,
      let layout = WeightLayout(rawValue: entry.parameters["layout"] ?? "")
    else { throw invalid("the entry lacks rank/layout or a 2-D shape") }
    let (out, inputs) = layout == .outIn ? (entry.shape[0], entry.shape[1]) : (entry.shape[1], entry.shape[0])
    var decoded: [Tensor] = []
    for (factor, shape) in zip(factorNames, [[rank, inputs], [out, rank]]) {
      let scoped = parts.scoped("low_rank.\(factor).")
      let tensor: Tensor
      if let encoding = entry.parameters["\(factor).encoding"] {
        var inner: [String: String] = [:]
        for (key, value) in entry.parameters where key.hasPrefix("\(factor).") {
          inner[String(key.dropFirst(factor.count + 1))] = value
        }
        let innerShape = (inner.removeValue(forKey: "shape") ?? "").split(separator: ",").compactMap { Int($0) }
        inner["encoding"] = nil
        guard innerShape == shape else { throw invalid("factor \(factor) has shape \(innerShape), expected \(shape)") }
        tensor = try Decompressor.decode(
          scoped, entry: ManifestEntry(encoding: encoding, dtype: entry.dtype, shape: shape, parameters: inner))
      } else {
        guard try scoped.shape("weight") == shape else {
          throw invalid("factor \(factor) is \(try scoped.shape("weight")), expected \(shape)")
        }
        tensor = Tensor(shape: shape, scalars: try scoped.floats("weight"))
      }
      decoded.append(tensor)
    }
    return LowRankFactors(a: decoded[0], b: decoded[1])
  }

  /// Rebuilds the dense weight B·A in its stored orientation.
  static func decode(_ parts: StoredParts, entry: ManifestEntry) throws(CompressionError) -> Tensor {
    let product = try factors(parts, entry: entry).product()
    return entry.parameters["layout"] == WeightLayout.inOut.rawValue ? product.transposed() : product
  }
}

extension Tensor {
  /// The values as `dtype` stores them (rounded to F16, BF16, …; unchanged for F32).
  public func rounded(to dtype: DType) -> Tensor {
    guard dtype != .f32 else { return self }
    return encoded(as: dtype).withUnsafeBytes { Tensor(decoding: $0, dtype: dtype, shape: shape) }
  }
}
