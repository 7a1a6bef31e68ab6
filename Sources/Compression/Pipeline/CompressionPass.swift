import Inference
import Safetensors
import TensorCore

/// What a compression pass is called, what it takes, and whether it needs calibration data;
/// `compress passes` lists these.
public struct PassDescription: Sendable, Equatable, Codable {
  /// One parameter of a pass.
  public struct Parameter: Sendable, Equatable, Codable {
    public var name: String
    public var defaultValue: String
    public var summary: String

    public init(_ name: String, default defaultValue: String, _ summary: String) {
      self.name = name
      self.defaultValue = defaultValue
      self.summary = summary
    }
  }

  /// The CLI and report name, kebab-case (`rtn`, `cast`).
  public var name: String
  public var summary: String
  public var parameters: [Parameter]
  public var needsCalibration: Bool

  public init(name: String, summary: String, parameters: [Parameter], needsCalibration: Bool) {
    self.name = name
    self.summary = summary
    self.parameters = parameters
    self.needsCalibration = needsCalibration
  }
}

/// A tensor as it moves through the passes of a pipeline.
public enum WorkingTensor: Sendable {
  /// Dense values, to be stored as `dtype`.
  case dense(Tensor, dtype: DType)
  /// A compressed encoding; no later pass may change it.
  case encoded(EncodedTensor)
}

/// The module a weight belongs to: its name without `.weight` (`….q_proj.weight` → `….q_proj`),
/// the prefix of an encoding's stored parts.
func moduleName(of tensor: String) -> String {
  tensor.hasSuffix(".weight") ? String(tensor.dropLast(".weight".count)) : tensor
}

/// A tensor stored in a compressed encoding: the tensors that replace it in the checkpoint, the
/// manifest entry that lets `decompress` rebuild it, and the dense values it stands for.
public struct EncodedTensor: Sendable {
  /// One stored tensor of the encoding, named `<module>.<suffix>` (`….qweight`).
  public struct Part: Sendable {
    public var suffix: String
    public var dtype: DType
    public var shape: [Int]
    public var bytes: [UInt8]

    public init(suffix: String, dtype: DType, shape: [Int], bytes: [UInt8]) {
      self.suffix = suffix
      self.dtype = dtype
      self.shape = shape
      self.bytes = bytes
    }
  }

  /// The manifest's description of the encoding (its parts are filled in by the pipeline).
  public var entry: ManifestEntry
  public var parts: [Part]

  public init(entry: ManifestEntry, parts: [Part]) {
    self.entry = entry
    self.parts = parts
  }

  /// The dense weight the parts decode to, in the original orientation and shape (decoded as a
  /// loader would, so that the report measures what is stored). `tensor` names it in errors.
  public func decoded(tensor: String) throws(CompressionError) -> Tensor {
    try Decompressor.decode(StoredParts(tensor: tensor, path: "(encoded in memory)", encoded: self), entry: entry)
  }
}

/// A transformation of selected tensors, one tensor at a time.
///
/// A pass is a value built from its `PassParameters` (validated once, in `init`) that maps a
/// dense tensor to a dense tensor (cast, pruning) or to an encoding (quantization). Passes keep
/// no mutable state, so a pipeline may run them on any thread.
public protocol CompressionPass: Sendable {
  /// Name, parameters and defaults.
  static var description: PassDescription { get }
  /// Reads and validates the parameters; unknown keys are refused by `parameters.finish()`.
  init(parameters: inout PassParameters) throws(CompressionError)
  /// The resolved parameters, for the report and the manifest.
  var settings: [String: String] { get }
  /// Transforms one selected tensor. `tensor` is dense: the pipeline refuses encoded inputs.
  func apply(to tensor: Tensor, dtype: DType, name: String, layout: WeightLayout)
    throws(CompressionError) -> WorkingTensor
  /// Refuses a selected tensor the pass cannot work on, from its header alone; the pipeline asks
  /// before any tensor is read. By default every tensor is accepted here.
  func validate(name: String, shape: [Int], layout: WeightLayout) throws(CompressionError)
}

extension CompressionPass {
  public func validate(name: String, shape: [Int], layout: WeightLayout) throws(CompressionError) {}
}

/// How a 2-D weight is stored: `(out, in)` like `nn.Linear`, or `(in, out)` like GPT-2's `Conv1D`.
public enum WeightLayout: String, Sendable, Codable {
  case outIn = "out-in"
  case inOut = "in-out"

  /// GPT-2 stores its block projections as `Conv1D`, transposed with respect to `nn.Linear`.
  public static func of(name: String, modelType: String?) -> WeightLayout {
    let conv1DNames = [".attn.c_attn.", ".attn.c_proj.", ".mlp.c_fc.", ".mlp.c_proj."]
    let isGPT2 = modelType == "gpt2" || (modelType == nil && conv1DNames.contains { name.contains($0) })
    return isGPT2 && conv1DNames.contains { name.contains($0) } ? .inOut : .outIn
  }
}
