import Foundation
import Safetensors

/// What an import wrote.
public struct ImportSummary: Sendable, Equatable {
  /// The model folder written.
  public var folder: String
  /// The tensors in `model.safetensors`.
  public var tensorCount: Int
  /// Their total element count.
  public var parameterCount: Int
  /// How many of them each GGUF type held.
  public var typeCounts: [GGMLType: Int]
  /// Wall-clock time of the import.
  public var seconds: Double
}

/// Turns a llama.cpp GGUF of a llama model into a Hugging Face model folder:
/// `model.safetensors` (every tensor dequantized to F32, with Hugging Face names and the q/k RoPE
/// permutation undone), `config.json` (`LlamaForCausalLM`), `tokenizer.json`,
/// `tokenizer_config.json` and `generation_config.json`. See docs/gguf.md.
public enum GGUFImporter {
  /// Imports `ggufPath` into `folder`, which must not exist or be empty. Everything is written in
  /// a hidden staging folder beside it and renamed into place at the end: on failure nothing is
  /// left behind.
  public static func importModel(from ggufPath: String, to folder: String) throws(GGUFError) -> ImportSummary {
    let start = Date()
    let destination = folder.count > 1 && folder.hasSuffix("/") ? String(folder.dropLast()) : folder
    try requireEmptyOrAbsent(destination)
    let file = try GGUFFile(path: ggufPath)
    let plan: ImportPlan
    do throws(GGUFError) {
      plan = try ImportPlan(file.header)
    } catch {
      throw error.inFile(ggufPath)
    }
    let staging = try makeStaging(beside: destination)
    do throws(GGUFError) {
      var summary = try writeWeights(file, plan, to: staging + "/model.safetensors")
      try write(plan.configJSON, to: staging + "/config.json")
      try write(plan.generationConfigJSON, to: staging + "/generation_config.json")
      try write(plan.tokenizer.tokenizerJSON, to: staging + "/tokenizer.json")
      let tokenizerConfig = plan.tokenizer.tokenizerConfigJSON(maxLength: plan.hyperparameters.contextLength)
      try write(tokenizerConfig, to: staging + "/tokenizer_config.json")
      try moveIntoPlace(staging, destination)
      summary.folder = destination
      summary.seconds = Date().timeIntervalSince(start)
      return summary
    } catch {
      try? FileManager.default.removeItem(atPath: staging)
      throw error
    }
  }

  /// Dequantizes every tensor (one at a time), undoes the q/k permutation, and writes them.
  static func writeWeights(_ file: GGUFFile, _ plan: ImportPlan, to path: String) throws(GGUFError) -> ImportSummary {
    var summary = ImportSummary(folder: "", tensorCount: 0, parameterCount: 0, typeCounts: [:], seconds: 0)
    do throws(SafetensorsError) {
      let writer = try SafetensorsWriter(path: path)
      for entry in plan.tensors.entries {
        let info = file.header.tensor(named: entry.ggufName)!  // validated by the plan
        var scalars = file.withBytes(of: info) { dequantize($0, as: info.type) }  // (rows, columns)
        if let heads = entry.permutedHeads {
          scalars = unpermuteRoPERows(scalars, rows: entry.shape[0], columns: entry.shape[1], heads: heads)
        }
        var failure: SafetensorsError?
        scalars.withUnsafeBytes { bytes in
          do throws(SafetensorsError) {
            try writer.add(name: entry.huggingFaceName, dtype: .f32, shape: entry.shape, bytes: bytes)
          } catch {
            failure = error
          }
        }
        if let failure { throw failure }
        summary.tensorCount += 1
        summary.parameterCount += info.elementCount
        summary.typeCounts[info.type, default: 0] += 1
      }
      _ = try writer.finish(metadata: ["format": "pt"])
    } catch {
      throw .output(error)
    }
    return summary
  }

  static func write(_ json: JSONText, to path: String) throws(GGUFError) {
    do {
      try Data(json.rendered.utf8).write(to: URL(fileURLWithPath: path))
    } catch {
      throw .io(path: path, reason: "write: \(error.localizedDescription)")
    }
  }

  static func requireEmptyOrAbsent(_ path: String) throws(GGUFError) {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return }
    let contents = isFolder.boolValue ? (try? FileManager.default.contentsOfDirectory(atPath: path)) : nil
    guard contents?.isEmpty == true else { throw .destinationNotEmpty(path: path) }
  }

  static func makeStaging(beside destination: String) throws(GGUFError) -> String {
    let url = URL(fileURLWithPath: destination)
    let random = String(UInt32.random(in: .min ... .max), radix: 16)
    let name = "." + url.lastPathComponent + ".import-\(getpid())-" + random
    let staging = url.deletingLastPathComponent().appendingPathComponent(name).path
    do {
      try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: false)
    } catch {
      throw .io(path: staging, reason: "mkdir: \(error.localizedDescription)")
    }
    return staging
  }

  /// Renames the finished staging folder to `destination` (replacing an empty folder there).
  static func moveIntoPlace(_ staging: String, _ destination: String) throws(GGUFError) {
    try requireEmptyOrAbsent(destination)
    if FileManager.default.fileExists(atPath: destination), rmdir(destination) != 0 {
      throw GGUFFile.failure(destination, "rmdir")
    }
    guard rename(staging, destination) == 0 else { throw GGUFFile.failure(destination, "rename") }
  }
}
