import Foundation
import ModelCompression

/// Output helpers: messages on standard error, and a progress line that is drawn only when
/// standard error is a terminal.
enum Terminal {
  static func standardError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
  }

  static func standardOutput(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
  }

  static let isInteractive = isatty(STDERR_FILENO) == 1

  /// A progress handler that draws `[stage] i/n item · ETA` on one line, or `nil` when quiet.
  static func progress(quiet: Bool) -> ProgressHandler? {
    guard !quiet, isInteractive else { return nil }
    let start = Date()
    return { event in
      guard event.total > 0 else { return }
      if event.completed >= event.total {
        clearProgress()
        return
      }
      let elapsed = Date().timeIntervalSince(start)
      var eta = ""
      if event.completed > 0 {
        let remaining = elapsed / Double(event.completed) * Double(event.total - event.completed)
        eta = " · ETA \(Int(remaining.rounded()))s"
      }
      var line = "[\(event.stage)] \(event.completed + 1)/\(event.total) \(event.item)"
      let budget = 78 - eta.count
      if line.count > budget { line = String(line.prefix(budget - 1)) + "…" }
      FileHandle.standardError.write(Data(("\r\u{1B}[K" + line + eta).utf8))
    }
  }

  static func clearProgress() {
    if isInteractive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
  }
}

/// Ctrl-C and termination: remove partial outputs, then exit 130. Also ignores SIGXFSZ so that a
/// file-size limit makes writes fail with EFBIG (a clean error) instead of killing the process.
enum Interruption {
  nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

  static func install() {
    signal(SIGXFSZ, SIG_IGN)
    for number in [SIGINT, SIGTERM] {
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler {
        OutputCleanup.removeAll()
        Terminal.clearProgress()
        Terminal.standardError("interrupted; partial output removed")
        exit(130)
      }
      source.resume()
      sources.append(source)
    }
  }
}
