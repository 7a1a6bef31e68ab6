import GGUF
import Inference
import Inference
import Safetensors
import TensorCore
import Tokenizers

/// Why a compression, decompression or inspection request was refused.
///
/// Each case is one rule; lower-level errors are wrapped, not stringified. The command-line tool
/// turns these into messages and exit codes in one place (`ErrorPresentation` in `compress`).
public enum CompressionError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A safetensors file, index or write failed a rule of the format or of the file system.
  case safetensors(SafetensorsError)
  /// A quantizer refused a tensor (for example a shape its storage layout cannot pack).
  case quantization(tensor: String, QuantizationError)
  /// A linear-algebra routine failed on a tensor.
  case linearAlgebra(tensor: String, LinearAlgebraError)
  /// `--pass NAME` names no known pass.
  case unknownPass(name: String, known: [String])
  /// A pass was given a parameter it does not have.
  case unknownParameter(pass: String, key: String, known: [String])
  /// A parameter's value is malformed or out of range.
  case invalidParameter(pass: String, key: String, value: String, expected: String)
  /// A `--pass` argument does not follow `NAME[:key=value,...]`.
  case malformedPassSpec(spec: String, reason: String)
  /// A `targets`/`ignore` selector matched no tensor of the checkpoint.
  case selectorMatchedNothing(pass: String, selector: String)
  /// A `re:` selector is not a valid regular expression.
  case invalidSelector(selector: String, reason: String)
  /// No pass was requested.
  case noPasses
  /// A pass selected a tensor that an earlier pass already encoded (quantized, factored, …).
  case tensorAlreadyEncoded(tensor: String, pass: String, encoding: String)
  /// A pass selected a tensor whose dtype it cannot work on (integers, booleans).
  case unsupportedDType(tensor: String, pass: String, dtype: DType)
  /// A pass selected a tensor whose shape it cannot work on.
  case unsupportedShape(tensor: String, pass: String, shape: [Int], expected: String)
  /// A selected tensor holds NaN or infinity.
  case nonFiniteWeight(tensor: String, index: Int, value: Float)
  /// The output path is one of the input paths.
  case outputIsInput(path: String)
  /// The output folder exists already and is not empty.
  case outputExists(path: String)
  /// The input path is neither a safetensors file, an index, nor a model folder.
  case invalidInput(path: String, reason: String)
  /// A recipe file could not be read or does not follow the recipe format.
  case invalidRecipe(path: String, reason: String)
  /// A JSON configuration file (`config.json`, `quantize_config.json`) is malformed.
  case invalidConfig(path: String, reason: String)
  /// `decompress` was given a checkpoint without this tool's manifest.
  case missingManifest(path: String)
  /// The manifest in `__metadata__["compression"]` is malformed or names absent tensors.
  case invalidManifest(path: String, reason: String)
  /// Calibration data is unreadable, empty, too short, or holds ids outside the vocabulary.
  case invalidCalibration(path: String, reason: String)
  /// A Hessian file lacks a selected weight's Hessian or holds one of the wrong shape.
  case invalidHessians(path: String, reason: String)
  /// A GGUF file was refused or could not be imported.
  case gguf(GGUFError)
  /// The engine refused a model folder, config or checkpoint.
  case inference(InferenceError)
  /// A model folder's tokenizer could not be loaded.
  case tokenizer(path: String, TokenizerError)
  /// Evaluation text or options do not fit the model (empty, not UTF-8, too long, wrong kind).
  case invalidEvaluation(path: String, reason: String)
  /// A calibrated pass got neither calibration data nor Hessians, and H = I is not allowed.
  case calibrationRequired(pass: String)
  /// The sequential loop needs a model folder (config.json, tokenizer.json), not a bare file.
  case calibrationNeedsModelFolder(path: String)
  /// A calibrated pass selected a tensor that is not a linear weight inside a block.
  case notABlockLinear(tensor: String)
  /// A calibrated pass selected a tensor an earlier pass of the pipeline also changes.
  case calibratedAfterEarlierPass(pass: String, earlier: String, tensor: String)
  /// The GPTQ solver refused a layer.
  case gptq(tensor: String, GPTQError)
  /// The SparseGPT solver refused a layer (it shares GPTQ's rules for the Hessian).
  case sparseGPT(tensor: String, GPTQError)
  /// The binarization solver refused a layer (its feedback and saliency share GPTQ's Hessian rules).
  case binarization(tensor: String, GPTQError)
  /// A file-system operation outside the safetensors writer failed.
  case io(path: String, reason: String)

  public var description: String {
    switch self {
    case .safetensors(let error):
      return error.description
    case .quantization(let tensor, let error):
      return "tensor `\(tensor)`: \(error)"
    case .linearAlgebra(let tensor, let error):
      return "tensor `\(tensor)`: \(error)"
    case .unknownPass(let name, let known):
      return "unknown pass `\(name)`; known passes: \(known.joined(separator: ", "))"
    case .unknownParameter(let pass, let key, let known):
      let list = known.isEmpty ? "it takes none" : "it takes \(known.joined(separator: ", "))"
      return "pass `\(pass)` has no parameter `\(key)`; \(list)"
    case .invalidParameter(let pass, let key, let value, let expected):
      return "pass `\(pass)`: \(key)=\(value) is invalid; expected \(expected)"
    case .malformedPassSpec(let spec, let reason):
      return "pass `\(spec)`: \(reason); expected NAME[:key=value,...]"
    case .selectorMatchedNothing(let pass, let selector):
      return "pass `\(pass)`: selector `\(selector)` matches no tensor"
    case .invalidSelector(let selector, let reason):
      return "selector `\(selector)` is not a valid regular expression: \(reason)"
    case .noPasses:
      return "no pass given; add --pass NAME[:key=value,...] or --recipe FILE"
    case .tensorAlreadyEncoded(let tensor, let pass, let encoding):
      return "pass `\(pass)` selected tensor `\(tensor)`, which an earlier pass already stored as "
        + "`\(encoding)`; run dense-to-dense passes first or narrow the selection"
    case .unsupportedDType(let tensor, let pass, let dtype):
      return "pass `\(pass)` selected tensor `\(tensor)` of dtype \(dtype.rawValue); "
        + "it works on floating-point tensors only"
    case .unsupportedShape(let tensor, let pass, let shape, let expected):
      return "pass `\(pass)` selected tensor `\(tensor)` of shape \(shape); expected \(expected)"
    case .nonFiniteWeight(let tensor, let index, let value):
      return "tensor `\(tensor)` holds \(value) at element \(index); weights must be finite"
    case .outputIsInput(let path):
      return "output `\(path)` is the input; choose another -o path"
    case .outputExists(let path):
      return "output folder `\(path)` exists and is not empty; remove it or choose another -o path"
    case .invalidInput(let path, let reason):
      return "\(path): \(reason)"
    case .invalidRecipe(let path, let reason):
      return "recipe \(path): \(reason)"
    case .invalidConfig(let path, let reason):
      return "\(path): \(reason)"
    case .missingManifest(let path):
      return "\(path): no compression manifest (`__metadata__[\"compression\"]`); "
        + "decompress reads checkpoints written by this tool"
    case .invalidManifest(let path, let reason):
      return "\(path): invalid compression manifest: \(reason)"
    case .invalidCalibration(let path, let reason):
      return "calibration data \(path): \(reason)"
    case .invalidHessians(let path, let reason):
      return "Hessians \(path): \(reason)"
    case .gguf(let error):
      return error.description
    case .inference(let error):
      return error.description
    case .tokenizer(let path, let error):
      return "\(path): tokenizer: \(error)"
    case .invalidEvaluation(let path, let reason):
      return "\(path): \(reason)"
    case .calibrationRequired(let pass):
      return "pass `\(pass)` needs input statistics: give --calibration FILE (text, JSONL or input_ids; "
        + "runs the model sequentially) or --hessians FILE (from `compress calibrate`); without data, "
        + "gptq takes allow-identity=true (H = I, which equals round-to-nearest), prune takes method=magnitude, "
        + "low-rank method=svd and binarize feedback=false"
    case .calibrationNeedsModelFolder(let path):
      return "\(path): --calibration needs a model folder (config.json, weights, tokenizer.json) to run the model"
    case .notABlockLinear(let tensor):
      return "tensor `\(tensor)` is not a linear weight inside a transformer block; calibrated passes work on those"
    case .calibratedAfterEarlierPass(let pass, let earlier, let tensor):
      return "pass `\(pass)` and the earlier pass `\(earlier)` both select `\(tensor)`; a calibrated pass must be the first to change a tensor"
    case .gptq(let tensor, let error):
      return "tensor `\(tensor)`: \(error)"
    case .sparseGPT(let tensor, let error):
      return "tensor `\(tensor)`: SparseGPT: \(error.reason)"
    case .binarization(let tensor, let error):
      return "tensor `\(tensor)`: binarize: \(error.reason)"
    case .io(let path, let reason):
      return "\(path): \(reason)"
    }
  }
}
