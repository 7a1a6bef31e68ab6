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

  /// A progress handler that draws `[stage] i/n item · ETA` on one line at most ten times a
  /// second, or `nil` when quiet or when standard error is not a terminal.
  static func progress(quiet: Bool) -> ProgressHandler? {
    guard !quiet, isInteractive else { return nil }
    let line = ProgressLine()
    return { event in line.draw(event) }
  }

  static func clearProgress() {
    if isInteractive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
  }
}

/// The state of the progress line: when it started and when it was last drawn.
private final class ProgressLine: @unchecked Sendable {
  private let lock = NSLock()
  private let start = Date()
  private var lastDraw = Date.distantPast

  func draw(_ event: ProgressEvent) {
    guard event.total > 0 else { return }
    if event.completed >= event.total {
      Terminal.clearProgress()
      return
    }
    let now = Date()
    let due = lock.withLock {
      guard now.timeIntervalSince(lastDraw) >= 0.1 else { return false }
      lastDraw = now
      return true
    }
    guard due else { return }
    var eta = ""
    if event.completed > 0 {
      let elapsed = now.timeIntervalSince(start)
      let remaining = elapsed / Double(event.completed) * Double(event.total - event.completed)
      eta = " · ETA \(Int(remaining.rounded()))s"
    }
    var text = "[\(event.stage)] \(event.completed + 1)/\(event.total) \(event.item)"
    let budget = 78 - eta.count
    if text.count > budget { text = String(text.prefix(budget - 1)) + "…" }
    FileHandle.standardError.write(Data(("\r\u{1B}[K" + text + eta).utf8))
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
