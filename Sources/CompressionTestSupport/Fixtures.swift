import Foundation

/// Paths to the committed files under `Fixtures/` at the repository root, found from this source
/// file's location so tests run from any working directory.
public enum Fixtures {
  /// The repository root (the folder holding `Package.swift`).
  public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()  // CompressionTestSupport
    .deletingLastPathComponent()  // Sources
    .deletingLastPathComponent()

  /// The absolute path of `Fixtures/<relativePath>`.
  public static func path(_ relativePath: String) -> String {
    repositoryRoot.appendingPathComponent("Fixtures").appendingPathComponent(relativePath).path
  }

  /// A fresh, empty temporary directory for one test; the caller removes it when done.
  public static func temporaryDirectory(_ label: String = "test") -> URL {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("smc-\(label)-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }
}
