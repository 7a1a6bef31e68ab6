import Foundation
import Inference
import Tokenizers

/// A model folder ready to run: its config, the engine's model over its (possibly compressed)
/// weights, and its tokenizer.
public struct LoadedModel: Sendable {
  public let folder: ModelFolder
  public let model: any TransformerModel
  public let tokenizer: Tokenizer

  /// Loads the folder at `path` (`config.json`, weights, `tokenizer.json`), holding the blocks'
  /// weights as `residency` says.
  public init(path: String, residency: BlockResidency = .resident) throws(CompressionError) {
    do throws(InferenceError) {
      folder = try ModelFolder(path: path)
    } catch {
      throw .inference(error)
    }
    let location = try ModelLocation(resolving: path)
    let weights = try CompressedWeightSource(path: location.weightsPath)
    do throws(InferenceError) {
      model = try loadTransformer(config: folder.config, weights: weights, residency: residency)
    } catch {
      throw .inference(error)
    }
    do throws(TokenizerError) {
      tokenizer = try Tokenizer.load(folder: path)
    } catch {
      throw .tokenizer(path: path, error)
    }
  }

  /// Token ids of `text` without special tokens.
  public func tokenize(_ text: String) -> [Int] {
    tokenizer.encode(text, addSpecialTokens: false)
  }

  /// The special tokens the tokenizer puts around every text.
  public var wrapping: SpecialTokenWrapping {
    SpecialTokenWrapping(
      encodeWithSpecialTokens: { tokenizer.encode($0, addSpecialTokens: true) }, encodePlain: tokenize)
  }

  /// Calibration samples for this model, wrapped in its special tokens like its inputs are.
  public func calibrationSet(path: String, options: CalibrationSet.Options) throws(CompressionError)
    -> CalibrationSet
  {
    guard options.sequenceLength <= folder.config.maxPositions else {
      throw .invalidCalibration(
        path: path, reason: "--seq-len \(options.sequenceLength) exceeds the model's \(folder.config.maxPositions) positions")
    }
    return try CalibrationSet.load(
      path: path, options: options, vocabularySize: folder.config.vocabularySize, tokenize: tokenize,
      wrapping: wrapping)
  }
}
