// Conversion throughput, printed only: run with
//   TENSORCORE_THROUGHPUT=1 swift test -c release --filter ThroughputTests
import CompressionTestSupport
import Foundation
import Testing
import TensorCore

@Suite("Conversion throughput (prints MB/s; opt-in)")
struct ThroughputTests {
  /// Checkpoint-like data (Gaussian weights, scale 0.02) in every encoding, 8 Mi elements.
  @Test(.enabled(if: ProcessInfo.processInfo.environment["TENSORCORE_THROUGHPUT"] != nil))
  func decodeAndEncodeThroughput() {
    var generator = SeededGenerator(seed: 1)
    let weights = generator.gaussians(8 << 20, scale: 0.02)
    for encoding in FloatEncoding.allCases {
      let bytes = encodeFloats(weights, as: encoding)
      var best = (decode: Double.infinity, encode: Double.infinity)
      var decoded = [Float](repeating: 0, count: weights.count)  // reused: no page faults timed
      for _ in 0..<3 {
        let start = Date()
        bytes.withUnsafeBytes { raw in
          decoded.withUnsafeMutableBufferPointer { decodeFloats(raw, as: encoding, into: $0) }
        }
        let middle = Date()
        let encoded = encodeFloats(decoded, as: encoding)
        let end = Date()
        precondition(encoded == bytes)
        best = (min(best.decode, middle.timeIntervalSince(start)), min(best.encode, end.timeIntervalSince(middle)))
      }
      let megabytes = Double(bytes.count) / 1e6  // narrow side of the conversion
      print("\(encoding): decode \(Int(megabytes / best.decode)) MB/s, encode \(Int(megabytes / best.encode)) MB/s of \(encoding) data")
    }
  }
}
