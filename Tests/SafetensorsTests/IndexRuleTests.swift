import CompressionTestSupport
import Foundation
import Safetensors
import Testing

/// One test per rule of sharded checkpoints (`*.safetensors.index.json`).
@Suite struct IndexRuleTests {
  /// A folder with shards `a.safetensors` (tensors x, y) and `b.safetensors` (tensor z) and an
  /// index with the given text; returns the index path and the folder.
  func makeCheckpoint(_ index: String, extraShards: [String: [Sample]] = [:]) throws -> (String, URL) {
    let folder = Fixtures.temporaryDirectory("st-index")
    let shards: [String: [Sample]] = [
      "a.safetensors": [Sample(name: "x", dtype: .u8, shape: [1], bytes: [1]), Sample(name: "y", dtype: .u8, shape: [1], bytes: [2])],
      "b.safetensors": [Sample(name: "z", dtype: .u8, shape: [1], bytes: [3])],
    ].merging(extraShards) { $1 }
    for (name, samples) in shards {
      try write(samples, to: folder.appendingPathComponent(name).path)
    }
    let path = folder.appendingPathComponent("model.safetensors.index.json").path
    writeFile(path, Array(index.utf8))
    return (path, folder)
  }

  let valid = #"{"metadata":{"total_size":3,"x":[{"nested":true}]},"weight_map":{"x":"a.safetensors","y":"a.safetensors","z":"b.safetensors"}}"#

  func error(_ index: String, extraShards: [String: [Sample]] = [:]) throws -> SafetensorsError? {
    let (path, folder) = try makeCheckpoint(index, extraShards: extraShards)
    defer { try? FileManager.default.removeItem(at: folder) }
    do {
      _ = try SafetensorsCheckpoint(path: path)
    } catch {
      let headerOnly = Result { () throws(SafetensorsError) in try SafetensorsCheckpoint.readHeaders(path: path) }
      guard case .failure(let same) = headerOnly, same == error else { return .missingTensor(name: "readHeaders disagrees") }
      guard case .file(path, let inner) = error else { return error }
      return inner
    }
    return nil
  }

  @Test func validIndexOpens() throws {
    #expect(try error(valid) == nil)
  }

  @Test func indexNotJSONOrNotObject() throws {
    #expect(try error("{\"weight_map\":") == .invalidJSON(offset: 14, reason: "unexpected end of text, expected a value"))
    #expect(try error("[]") == .indexNotObject(found: "[]"))
    #expect(try error("{} x") == .invalidJSON(offset: 3, reason: "unexpected text after the JSON value"))
  }

  @Test func indexFields() throws {
    #expect(try error("{\"metadata\":{}}") == .indexMissingWeightMap)
    #expect(try error("{\"weight_map\":{},\"extra\":1}") == .indexUnknownField(field: "extra"))
    #expect(try error("{\"weight_map\":[]}") == .indexWeightMapNotObject(found: "[]"))
    #expect(try error("{\"metadata\":3,\"weight_map\":{}}") == .indexMetadataNotObject(found: "3"))
    #expect(try error("{\"weight_map\":{\"x\":1}}") == .shardNameNotString(tensor: "x", found: "1"))
    #expect(try error("{\"weight_map\":{\"x\":\"a\",\"x\":\"a\"}}") == .duplicateKey(key: "x", parent: "weight_map"))
  }

  @Test func shardPathsStayInTheFolder() throws {
    #expect(try error("{\"weight_map\":{\"x\":\"../a.safetensors\"}}") == .shardOutsideFolder(tensor: "x", shard: "../a.safetensors"))
    #expect(try error("{\"weight_map\":{\"x\":\"/etc/passwd\"}}") == .shardOutsideFolder(tensor: "x", shard: "/etc/passwd"))
  }

  @Test func shardFileMissing() throws {
    let index = #"{"weight_map":{"x":"a.safetensors","y":"a.safetensors","z":"c.safetensors"}}"#
    #expect(try error(index) == .shardNotFound(shard: "c.safetensors"))
  }

  @Test func listedTensorAbsentFromItsShard() throws {
    let index = #"{"weight_map":{"x":"a.safetensors","y":"a.safetensors","z":"b.safetensors","w":"b.safetensors"}}"#
    #expect(try error(index) == .tensorNotInShard(tensor: "w", shard: "b.safetensors"))
  }

  @Test func tensorInTwoShards() throws {
    let index = #"{"weight_map":{"x":"a.safetensors","y":"a.safetensors","z":"b.safetensors"}}"#
    let extra = ["b.safetensors": [Sample(name: "z", dtype: .u8, shape: [1], bytes: [3]), Sample(name: "x", dtype: .u8, shape: [1], bytes: [1])]]
    #expect(try error(index, extraShards: extra) == .tensorInTwoShards(tensor: "x", first: "a.safetensors", second: "b.safetensors"))
  }

  @Test func shardTensorNotInWeightMap() throws {
    let index = #"{"weight_map":{"x":"a.safetensors","z":"b.safetensors"}}"#
    #expect(try error(index) == .tensorNotListed(tensor: "y", shard: "a.safetensors", listed: nil))
    let moved = #"{"weight_map":{"x":"a.safetensors","y":"b.safetensors","z":"b.safetensors"}}"#
    #expect(try error(moved) == .tensorNotListed(tensor: "y", shard: "a.safetensors", listed: "b.safetensors"))
  }

  @Test func folderWithoutCheckpoint() {
    let folder = Fixtures.temporaryDirectory("st-empty")
    defer { try? FileManager.default.removeItem(at: folder) }
    #expect(throws: SafetensorsError.noCheckpointInFolder(path: folder.path)) {
      _ = try SafetensorsCheckpoint(path: folder.path)
    }
  }
}
