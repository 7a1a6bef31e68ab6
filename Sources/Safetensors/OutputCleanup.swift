import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// A process-wide registry of temporary outputs (files or folders) that must disappear when the
/// program is interrupted. The writer registers each temporary file it creates and unregisters it
/// once renamed into place or removed; the CLI calls `removeAll()` from its SIGINT handler.
public enum OutputCleanup {
  private static let shared = CleanupRegistry()

  /// Adds `path` to the files and folders removed by `removeAll()`.
  public static func register(_ path: String) { shared.register(path) }

  /// Removes `path` from the registry (it was renamed into place or already deleted).
  public static func unregister(_ path: String) { shared.unregister(path) }

  /// Deletes every registered path, folders recursively (like `rm -rf`), and empties the registry.
  public static func removeAll() { shared.removeAll() }

  /// Whether `path` is registered.
  static func isRegistered(_ path: String) -> Bool { shared.contains(path) }

}

/// A thread-safe set of paths to delete on interruption (one shared instance behind
/// `OutputCleanup`; tests make their own).
final class CleanupRegistry: Sendable {
  private let registered = Mutex<Set<String>>([])

  func register(_ path: String) { _ = registered.withLock { $0.insert(path) } }

  func unregister(_ path: String) { _ = registered.withLock { $0.remove(path) } }

  func contains(_ path: String) -> Bool { registered.withLock { $0.contains(path) } }

  func removeAll() {
    let paths = registered.withLock { paths in
      defer { paths.removeAll() }
      return paths
    }
    for path in paths { Self.removeTree(path) }
  }

  /// Deletes a file, or a folder and everything under it; never follows symbolic links.
  static func removeTree(_ path: String) {
    var info = stat()
    guard lstat(path, &info) == 0 else { return }
    if (info.st_mode & S_IFMT) == S_IFDIR {
      if let folder = opendir(path) {
        var children: [String] = []
        while let entry = readdir(folder) {
          let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
          }
          if name != "." && name != ".." { children.append(path + "/" + name) }
        }
        closedir(folder)
        for child in children { removeTree(child) }
      }
      rmdir(path)
    } else {
      unlink(path)
    }
  }
}
