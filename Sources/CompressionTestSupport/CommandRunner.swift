import Foundation

/// Runs the built `compress` executable, for end-to-end tests.
public enum CommandRunner {
  /// The result of one run.
  public struct Result: Sendable {
    public var status: Int32
    public var standardOutput: String
    public var standardError: String
  }

  /// The `compress` binary next to the test bundle (`.build/<config>/compress`).
  public static let executable: String = {
    let bundle = Bundle.main.bundleURL
    let candidates = [
      bundle.deletingLastPathComponent().appendingPathComponent("compress"),
      bundle.appendingPathComponent("compress"),
      Fixtures.repositoryRoot.appendingPathComponent(".build/debug/compress"),
      Fixtures.repositoryRoot.appendingPathComponent(".build/release/compress"),
    ]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }?.path
      ?? candidates[0].path
  }()

  /// Runs `compress` with `arguments`; `shellPrefix` (e.g. `ulimit -f 64;`) runs it under bash.
  public static func run(_ arguments: [String], shellPrefix: String? = nil) throws -> Result {
    let process = Process()
    if let shellPrefix {
      process.executableURL = URL(fileURLWithPath: "/bin/bash")
      let quoted = ([executable] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
      process.arguments = ["-c", shellPrefix + " exec " + quoted.joined(separator: " ")]
    } else {
      process.executableURL = URL(fileURLWithPath: executable)
      process.arguments = arguments
    }
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    // Read both pipes before waiting, so a chatty child never blocks on a full pipe.
    let errorData = LockedData()
    let reader = Thread { errorData.set(error.fileHandleForReading.readDataToEndOfFile()) }
    reader.start()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while !errorData.isSet { usleep(1000) }
    return Result(
      status: process.terminationStatus,
      standardOutput: String(decoding: outputData, as: UTF8.self),
      standardError: String(decoding: errorData.value, as: UTF8.self))
  }
}

/// A `Data` value handed between threads.
private final class LockedData: @unchecked Sendable {
  private let lock = NSLock()
  private var data: Data?

  func set(_ value: Data) { lock.withLock { data = value } }
  var isSet: Bool { lock.withLock { data != nil } }
  var value: Data { lock.withLock { data ?? Data() } }
}
