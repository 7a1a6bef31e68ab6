import ArgumentParser
import Foundation
import ModelCompression

/// `compress benchmark-io FILE`: read and write throughput of the safetensors reader and writer,
/// measured against `cp` of the same file in the same run (rounds alternate to share the noise).
struct BenchmarkIO: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "benchmark-io",
    abstract: "Measure reader/writer throughput against cp on one file (prints a Markdown table).")

  @Argument(help: "A .safetensors file.")
  var input: String

  @Option(help: "Rounds of each measurement; the median is reported.")
  var rounds = 3

  @Option(help: "Folder for the temporary copies (default: beside the input).")
  var scratch: String?

  func run() throws {
    let folder = scratch ?? (input as NSString).deletingLastPathComponent
    let copyPath = (folder as NSString).appendingPathComponent(".benchmark-cp.safetensors")
    let writePath = (folder as NSString).appendingPathComponent(".benchmark-write.safetensors")
    defer {
      try? FileManager.default.removeItem(atPath: copyPath)
      try? FileManager.default.removeItem(atPath: writePath)
    }
    var timings: [String: [Double]] = [:]
    for _ in 0..<rounds {
      timings["cp", default: []].append(try time { try Self.shell("cp \"$0\" \"$1\"", input, copyPath) })
      timings["cp+sync", default: []].append(
        try time { try Self.shell("cp \"$0\" \"$1\" && sync \"$1\"", input, copyPath) })
      timings["header", default: []].append(try time { _ = try SafetensorsFile.readHeader(path: input) })
      timings["read", default: []].append(try time { _ = try Self.readAll(input) })
      timings["read+write", default: []].append(try time { try Self.rewrite(input, writePath) })
    }
    let bytes = fileSize(input)
    let median = timings.mapValues { $0.sorted()[$0.count / 2] }
    let cp = median["cp"]!
    print("| operation | median seconds | MB/s | time / cp |")
    print("|---|---|---|---|")
    for name in ["cp", "cp+sync", "header", "read", "read+write"] {
      let seconds = median[name]!
      let rate = Double(bytes) / seconds / 1e6
      print("| \(name) | " + String(format: "%.4f | %.0f | %.2f |", seconds, rate, seconds / cp))
    }
    print("\nfile: \(input) (\(formatBytes(bytes))), rounds: \(rounds)")
  }

  private func time(_ body: () throws -> Void) throws -> Double {
    let start = ContinuousClock.now
    try body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
  }

  /// Runs a baseline shell command with `$0`, `$1` bound to the two paths.
  static func shell(_ script: String, _ source: String, _ destination: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", script, source, destination]
    try process.run()
    process.waitUntilExit()
  }

  /// Opens the file and touches every byte of every tensor (a checksum keeps the reads alive).
  static func readAll(_ path: String) throws -> UInt64 {
    let file = try SafetensorsFile(path: path)
    var checksum: UInt64 = 0
    for info in file.header.tensors {
      checksum &+= file.withBytes(of: info) { bytes in
        var sum: UInt64 = 0
        var offset = 0
        while offset + 8 <= bytes.count {
          sum &+= bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
          offset += 8
        }
        return sum
      }
    }
    return checksum
  }

  /// Reads every tensor and writes it again through the streaming, atomic writer.
  static func rewrite(_ source: String, _ destination: String) throws {
    let file = try SafetensorsFile(path: source)
    let writer = try SafetensorsWriter(path: destination)
    for info in file.header.tensors {
      try file.withBytes(of: info) { try writer.add(name: info.name, dtype: info.dtype, shape: info.shape, bytes: $0) }
    }
    _ = try writer.finish(metadata: file.header.metadata)
  }
}

/// The size of a file in bytes, 0 if it cannot be read.
private func fileSize(_ path: String) -> Int {
  ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
}
