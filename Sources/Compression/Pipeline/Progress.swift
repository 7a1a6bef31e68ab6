/// A step of long work, reported to whoever shows progress (the CLI draws a line on a terminal).
public struct ProgressEvent: Sendable {
  /// What is being done (`compress`, `decompress`).
  public var stage: String
  /// Items finished so far, and in all.
  public var completed: Int
  public var total: Int
  /// The item being worked on next.
  public var item: String

  public init(stage: String, completed: Int, total: Int, item: String) {
    self.stage = stage
    self.completed = completed
    self.total = total
    self.item = item
  }
}

/// Receives progress events; library code never prints.
public typealias ProgressHandler = @Sendable (ProgressEvent) -> Void
