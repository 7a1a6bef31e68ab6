import CompressionTestSupport
import Foundation
import ModelCompression
import Testing

/// The `gptq` pass end to end on the tiny LLaMA GGUF fixture: the three sources of statistics,
/// and its errors.
@Suite final class GPTQCommandTests: CommandSuite {
  let folder = Fixtures.temporaryDirectory("gptq-cli")

  deinit { try? FileManager.default.removeItem(at: folder) }

  @Test func sequentialCalibrationBeatsRoundToNearestOnEveryLayer() throws {
    let model = try tinyModel()
    let output = folder.appendingPathComponent("tiny-gptq").path
    let run = try CommandRunner.run([
      model, "--pass", "gptq:bits=4,group-size=32", "--calibration", try text(), "--samples", "8", "--seq-len", "32",
      "-o", output, "--quiet",
    ])
    #expect(run.status == 0, "\(run.standardError)")
    let layers = try report(output).tensors.compactMap(\.layer)
    #expect(layers.count == 14)
    #expect(layers.allSatisfy { $0.hessianSource == "sequential" && $0.dampening == 0.01 })
    #expect(layers.allSatisfy { $0.relativeOutputError <= $0.baselineRelativeOutputError })
    let config = try String(contentsOfFile: output + "/quantize_config.json", encoding: .utf8)
    #expect(config.contains("\"quant_method\" : \"gptq\"") && config.contains("\"true_sequential\" : true"))
    let eval = try CommandRunner.run(["eval", output, "--data", try text(), "--context", "32"])
    #expect(eval.status == 0, "\(eval.standardError)")
  }

  @Test func hessianFilesFeedTheSolverAndMustCoverTheSelection() throws {
    let model = try tinyModel()
    let hessians = folder.appendingPathComponent("h.safetensors").path
    let calibrate = try CommandRunner.run([
      "calibrate", model, "--calibration", try text(), "--samples", "4", "--seq-len", "32", "-o", hessians, "--quiet",
    ])
    #expect(calibrate.status == 0, "\(calibrate.standardError)")
    let output = folder.appendingPathComponent("tiny-gptq-h").path
    let run = try CommandRunner.run([
      model + "/model.safetensors", "--pass", "gptq:bits=3,group-size=32", "--hessians", hessians, "-o", output + ".safetensors",
      "--quiet",
    ])
    #expect(run.status == 0, "\(run.standardError)")
    let layers = try report(output + ".safetensors").tensors.compactMap(\.layer)
    #expect(layers.count == 14 && layers.allSatisfy { $0.hessianSource == "hessian-file" })

    let partial = try CommandRunner.run([
      model + "/model.safetensors", "--pass", "gptq:targets=model.embed_tokens.weight", "--hessians", hessians,
      "-o", folder.appendingPathComponent("x.safetensors").path,
    ])
    #expect(partial.status == 1)
    #expect(partial.standardError.contains("no Hessian for `model.embed_tokens.weight`"), "\(partial.standardError)")
  }

  /// With H = I, GPTQ is round-to-nearest: the files must hold the same codes.
  @Test func identityHessianEqualsRoundToNearest() throws {
    let model = try tinyModel() + "/model.safetensors"
    let gptq = folder.appendingPathComponent("gptq.safetensors").path
    let rtn = folder.appendingPathComponent("rtn.safetensors").path
    let a = try CommandRunner.run([model, "--pass", "gptq:bits=4,group-size=32,allow-identity=true", "-o", gptq, "--quiet"])
    let b = try CommandRunner.run([model, "--pass", "rtn:bits=4,group-size=32", "-o", rtn, "--quiet"])
    #expect(a.status == 0 && b.status == 0, "\(a.standardError) \(b.standardError)")
    let x = try SafetensorsCheckpoint(path: gptq)
    let y = try SafetensorsCheckpoint(path: rtn)
    for info in y.tensors {
      let left = try x.withBytes(of: info.name) { Array($0) }
      let right = try y.withBytes(of: info.name) { Array($0) }
      #expect(left == right, "\(info.name)")
    }
    #expect(try report(gptq).tensors.compactMap(\.layer).allSatisfy { $0.hessianSource == "identity" })
  }

  /// Layers no later pass selects are written as soon as they are solved; the report still lists
  /// every tensor in checkpoint order. A later pass on a layer GPTQ encoded is refused.
  @Test func solvedLayersAreWrittenAtOnceAndReportedInOrder() throws {
    let model = try tinyModel() + "/model.safetensors"
    let output = folder.appendingPathComponent("mixed.safetensors").path
    let run = try CommandRunner.run([
      model, "--pass", "gptq:bits=4,group-size=32,allow-identity=true", "--pass",
      "cast:dtype=f16,targets=re:.*norm.*", "-o", output, "--quiet",
    ])
    #expect(run.status == 0, "\(run.standardError)")
    let names = try report(output).tensors.map(\.name)
    #expect(names == (try SafetensorsCheckpoint(path: model)).tensors.map(\.name).filter(names.contains))
    #expect(try report(output).tensors.contains { $0.layer != nil } && names.contains { $0.contains("norm") })

    let twice = try CommandRunner.run([
      model, "--pass", "gptq:bits=4,group-size=32,allow-identity=true", "--pass", "rtn",
      "-o", folder.appendingPathComponent("twice.safetensors").path,
    ])
    #expect(twice.status == 1)
    #expect(twice.standardError.contains("already"), "\(twice.standardError)")
  }

  @Test func withoutStatisticsTheErrorExplainsTheOptions() throws {
    let model = try tinyModel()
    let run = try CommandRunner.run([model, "--pass", "gptq", "-o", folder.appendingPathComponent("o").path])
    #expect(run.status == 2)
    #expect(run.standardError.contains("--calibration FILE") && run.standardError.contains("--hessians FILE"))
    let bare = try CommandRunner.run([
      model + "/model.safetensors", "--pass", "gptq", "--calibration", try text(),
      "-o", folder.appendingPathComponent("o.safetensors").path,
    ])
    #expect(bare.status == 2)
    #expect(bare.standardError.contains("needs a model folder"), "\(bare.standardError)")
  }
}
