// Conversion throughput, printed only: run with
//   TENSORCORE_THROUGHPUT=1 swift test -c release --filter ThroughputTests
import Foundation
import Testing
import TensorCore

@Suite("Conversion throughput (prints MB/s; opt-in)")
struct ThroughputTests {
  @Test(.enabled(if: ProcessInfo.processInfo.environment["TENSORCORE_THROUGHPUT"] != nil))
  func decodeAndEncodeThroughput() {
    let count = 16 << 20  // 16 Mi elements
    var generator = SystemRandomNumberGenerator()
    let bytes = (0..<(2 * count)).map { _ in UInt8.random(in: 0...255, using: &generator) }
    for encoding in FloatEncoding.allCases {
      let input = bytes  // 32 MiB, a multiple of every byte size
      let start = Date()
      let decoded = input.withUnsafeBytes { decodeFloats($0, as: encoding) }
      let decodeSeconds = Date().timeIntervalSince(start)
      let encodeStart = Date()
      let encoded = encodeFloats(decoded, as: encoding)
      let encodeSeconds = Date().timeIntervalSince(encodeStart)
      let megabytes = Double(input.count) / 1e6
      print("\(encoding): decode \(Int(megabytes / decodeSeconds)) MB/s, encode \(Int(megabytes / encodeSeconds)) MB/s (\(encoded.count) bytes)")
    }
  }
}
