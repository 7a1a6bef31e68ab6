import Foundation
import Yams

/// A recipe file: the passes to run, in order, with their parameters and tensor selections.
///
/// YAML or JSON (JSON is read as YAML):
/// ```yaml
/// passes:
///   - pass: rtn
///     bits: 4
///     group-size: 64
///     targets: ["re:.*mlp.*"]
///     ignore: ["model.layers.0.mlp.down_proj.weight"]
///   - pass: cast
///     dtype: f16
/// ```
public enum Recipe {
  /// Reads the pass specs of the recipe at `path`.
  public static func load(path: String) throws(CompressionError) -> [PassSpec] {
    let text: String
    do {
      text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
      throw .invalidRecipe(path: path, reason: "cannot be read as UTF-8 text")
    }
    let document: Any?
    do {
      document = try Yams.load(yaml: text)
    } catch {
      throw .invalidRecipe(path: path, reason: "not YAML or JSON: \(error)")
    }
    guard let root = document as? [String: Any], let passes = root["passes"] as? [Any] else {
      throw .invalidRecipe(path: path, reason: "expected a top-level `passes:` list")
    }
    var specs: [PassSpec] = []
    for (index, entry) in passes.enumerated() {
      specs.append(try spec(from: entry, index: index, path: path))
    }
    return specs
  }

  private static func spec(from entry: Any, index: Int, path: String) throws(CompressionError)
    -> PassSpec
  {
    guard let map = entry as? [String: Any], let name = map["pass"] as? String else {
      throw .invalidRecipe(path: path, reason: "passes[\(index)] needs a `pass:` name")
    }
    var parameters: [String: String] = [:]
    var targets: [String]?
    var ignore: [String] = []
    for (key, value) in map where key != "pass" {
      switch key {
      case "targets", "ignore":
        let list = (value as? [Any])?.map { "\($0)" } ?? (value as? String).map { [$0] }
        guard let list else {
          throw .invalidRecipe(path: path, reason: "passes[\(index)].\(key) must be a list of strings")
        }
        if key == "targets" { targets = list } else { ignore = list }
      default:
        guard value is String || value is Int || value is Double || value is Bool else {
          throw .invalidRecipe(path: path, reason: "passes[\(index)].\(key) must be a scalar")
        }
        parameters[key] = "\(value)"
      }
    }
    return try PassSpec(name: name, parameters: parameters, targets: targets, ignore: ignore)
  }
}
