import ArgumentParser
import Foundation
import ModelCompression

/// The one place that turns library errors into what a user sees: a one-line message on standard
/// error and an exit code.
///
/// Exit codes: 1 the input is invalid (bad file, tensor, manifest); 2 the request is invalid
/// (unknown pass or parameter, selector matching nothing, output equal to input); 74 an I/O
/// failure (disk full, permissions); 130 interrupted.
enum ErrorPresentation {
  static func exitCode(for error: CompressionError) -> Int32 {
    switch error {
    case .unknownPass, .unknownParameter, .invalidParameter, .malformedPassSpec,
      .selectorMatchedNothing, .invalidSelector, .noPasses, .outputIsInput, .outputExists,
      .invalidRecipe, .calibrationRequired, .calibrationNeedsModelFolder, .notABlockLinear,
      .calibratedAfterEarlierPass:
      return 2
    case .io:
      return 74
    case .safetensors(let inner):
      return isIOError(inner) ? 74 : 1
    case .gguf(let inner):
      return exitCode(for: inner)
    default:
      return 1
    }
  }

  private static func exitCode(for error: GGUFError) -> Int32 {
    switch error {
    case .destinationNotEmpty: return 2
    case .io: return 74
    case .output(let inner): return isIOError(inner) ? 74 : 1
    case .file(_, let inner): return exitCode(for: inner)
    default: return 1
    }
  }

  private static func isIOError(_ error: SafetensorsError) -> Bool {
    switch error {
    case .io: return true
    case .file(_, let inner): return isIOError(inner)
    default: return false
    }
  }

  /// Runs `body`, printing any `CompressionError` and exiting with its code.
  static func run(_ body: () throws(CompressionError) -> Void) throws {
    do {
      try body()
    } catch {
      Terminal.clearProgress()
      Terminal.standardError("error: \(error.description)")
      throw ExitCode(exitCode(for: error))
    }
  }
}
