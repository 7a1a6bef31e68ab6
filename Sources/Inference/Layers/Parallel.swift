import Dispatch

/// Runs `body` over `0..<count` split into contiguous chunks, on the cores Dispatch offers;
/// serial when the work is small (`count * costPerItem` below about a million operations).
func parallelRows(_ count: Int, costPerItem: Int, _ body: @Sendable (Range<Int>) -> Void) {
  let chunks = min(count, count * costPerItem >= 1 << 20 ? 8 : 1)
  if chunks <= 1 {
    body(0..<count)
    return
  }
  DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
    body((chunk * count / chunks)..<((chunk + 1) * count / chunks))
  }
}
