import Foundation
import Safetensors

/// Small synthetic checkpoints for end-to-end tests, written with the toolkit's own writer.
public enum TinyCheckpoint {
  /// A BERT-shaped model folder: 2 blocks of hidden 64, intermediate 128, with `config.json`,
  /// a stand-in `tokenizer.json` and a `1_Pooling/config.json`, weights as F32.
  /// Returns the folder; `nonFinite` plants a NaN at element 5 of
  /// `encoder.layer.0.attention.self.query.weight`.
  @discardableResult
  public static func writeBERTFolder(at folder: URL, seed: UInt64 = 1, nonFinite: Bool = false) throws -> URL {
    try FileManager.default.createDirectory(
      at: folder.appendingPathComponent("1_Pooling"), withIntermediateDirectories: true)
    let config = #"{"model_type": "bert", "hidden_size": 64, "num_hidden_layers": 2, "intermediate_size": 128}"#
    try config.write(to: folder.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
    try #"{"version": "1.0"}"#.write(
      to: folder.appendingPathComponent("tokenizer.json"), atomically: true, encoding: .utf8)
    try #"{"pooling_mode_mean_tokens": true}"#.write(
      to: folder.appendingPathComponent("1_Pooling/config.json"), atomically: true, encoding: .utf8)
    var tensors = bertTensors(seed: seed)
    if nonFinite, let index = tensors.firstIndex(where: { $0.name == "encoder.layer.0.attention.self.query.weight" }) {
      tensors[index].values[5] = .nan
    }
    try write(tensors, to: folder.appendingPathComponent("model.safetensors").path, metadata: ["format": "pt"])
    return folder
  }

  /// A named F32 tensor.
  public struct Entry {
    public var name: String
    public var shape: [Int]
    public var values: [Float]
  }

  /// The tensors of the BERT-shaped model, in name order.
  public static func bertTensors(seed: UInt64) -> [Entry] {
    var generator = SeededGenerator(seed: seed)
    var entries: [Entry] = []
    func add(_ name: String, _ shape: [Int], scale: Float = 0.05) {
      entries.append(Entry(name: name, shape: shape, values: generator.gaussians(shape.reduce(1, *), scale: scale)))
    }
    add("embeddings.word_embeddings.weight", [100, 64])
    add("embeddings.LayerNorm.weight", [64])
    for layer in 0..<2 {
      let p = "encoder.layer.\(layer)."
      for name in ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"] {
        add(p + name + ".weight", [64, 64])
        add(p + name + ".bias", [64])
      }
      add(p + "intermediate.dense.weight", [128, 64])
      add(p + "output.dense.weight", [64, 128])
    }
    return entries.sorted { $0.name < $1.name }
  }

  /// Writes F32 tensors to a safetensors file.
  public static func write(_ entries: [Entry], to path: String, metadata: [String: String]? = nil) throws {
    let writer = try SafetensorsWriter(path: path)
    for entry in entries {
      try entry.values.withUnsafeBytes { try writer.add(name: entry.name, dtype: .f32, shape: entry.shape, bytes: $0) }
    }
    _ = try writer.finish(metadata: metadata)
  }
}
