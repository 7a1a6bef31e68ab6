import CompressionTestSupport
import Foundation
import ModelCompression
import Testing

/// The README's library example, compiled and run on a synthetic model folder.
@Test func readmeLibraryExample() throws {
  let work = Fixtures.temporaryDirectory("library")
  defer { try? FileManager.default.removeItem(at: work) }
  try TinyCheckpoint.writeBERTFolder(at: work.appendingPathComponent("all-MiniLM-L6-v2"))
  let previous = FileManager.default.currentDirectoryPath
  #expect(FileManager.default.changeCurrentDirectoryPath(work.path))
  defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }

  // --- README example ---
  let pipeline = try CompressionPipeline(
    specs: [try PassSpec(parsing: "rtn:bits=4,group-size=64")], registry: .standard)
  let report = try pipeline.run(
    input: try ModelLocation(resolving: "all-MiniLM-L6-v2"),
    output: OutputOptions(path: "minilm-rtn4"))
  // --- end ---

  #expect(report.tensors.count == 12)
  #expect(report.totals.ratio < 0.75)
  #expect(report.table().contains("rtn"))
  #expect(FileManager.default.fileExists(atPath: work.path + "/minilm-rtn4/quantize_config.json"))
}
