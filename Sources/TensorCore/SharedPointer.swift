/// A raw pointer handed to parallel workers (`DispatchQueue.concurrentPerform`) that read a
/// shared buffer or write disjoint parts of it; the caller keeps the buffer alive and owns the
/// data-race freedom that `Sendable` cannot check here.
public struct SharedPointer<Element>: @unchecked Sendable {
  public let base: UnsafeMutablePointer<Element>

  public init(base: UnsafeMutablePointer<Element>) { self.base = base }
}
