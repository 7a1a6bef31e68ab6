import Compression
import Foundation
import Testing

@Suite struct PassSpecTests {
  @Test func parsesNameAndParameters() throws {
    let spec = try PassSpec(parsing: "rtn:bits=4,group-size=64,sym=false")
    #expect(spec.name == "rtn")
    #expect(spec.parameters == ["bits": "4", "group-size": "64", "sym": "false"])
    #expect(spec.selection == TensorSelection())
    #expect(try PassSpec(parsing: "cast").parameters.isEmpty)
  }

  @Test func selectorsComeOutOfTheParameters() throws {
    let spec = try PassSpec(parsing: "rtn:bits=8,targets=re:.*q_proj.*|*.k_proj.weight,ignore=a.weight")
    #expect(spec.parameters == ["bits": "8"])
    #expect(spec.selection.targets?.map(\.text) == ["re:.*q_proj.*", "*.k_proj.weight"])
    #expect(spec.selection.ignore.map(\.text) == ["a.weight"])
  }

  /// Every malformed spec and the exact message a user sees.
  @Test(arguments: [
    (":bits=4", "pass `:bits=4`: the pass name is empty; expected NAME[:key=value,...]"),
    ("rtn:bits", "pass `rtn:bits`: `bits` is not key=value; expected NAME[:key=value,...]"),
    ("rtn:bits=", "pass `rtn:bits=`: `bits=` is not key=value; expected NAME[:key=value,...]"),
    ("rtn:bits=4,bits=8", "pass `rtn:bits=4,bits=8`: `bits` is given twice; expected NAME[:key=value,...]"),
  ])
  func malformedSpecs(spec: String, message: String) {
    #expect(throws: (any Error).self) { try PassSpec(parsing: spec) }
    do {
      _ = try PassSpec(parsing: spec)
    } catch {
      #expect("\(error)" == message)
    }
  }

  @Test func parametersRefuseUnknownKeysAndBadValues() throws {
    var parameters = PassParameters(pass: "rtn", values: ["bits": "9", "group_size": "64"])
    #expect(
      throws: CompressionError.invalidParameter(
        pass: "rtn", key: "bits", value: "9", expected: "an integer in 2...4 or 8")
    ) { try parameters.int("bits", default: 4, in: 2...4, or: [8]) }
    parameters = PassParameters(pass: "rtn", values: ["group_size": "64"])
    _ = try parameters.int("group-size", default: 128, in: 1...1024, or: [-1])
    #expect(
      throws: CompressionError.unknownParameter(pass: "rtn", key: "group_size", known: ["group-size"])
    ) { try parameters.finish() }
    var flags = PassParameters(pass: "x", values: ["sym": "maybe"])
    #expect(throws: CompressionError.self) { try flags.bool("sym", default: true) }
  }

  @Test func recipesInYAMLAndJSON() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let yaml = folder.appendingPathComponent("r.yaml")
    try """
    passes:
      - pass: rtn
        bits: 4
        sym: false
        targets: ["re:.*mlp.*"]
      - pass: cast
        dtype: bf16
    """.write(to: yaml, atomically: true, encoding: .utf8)
    let specs = try Recipe.load(path: yaml.path)
    #expect(specs.map(\.name) == ["rtn", "cast"])
    #expect(specs[0].parameters == ["bits": "4", "sym": "false"])
    #expect(specs[0].selection.targets?.map(\.text) == ["re:.*mlp.*"])
    let json = folder.appendingPathComponent("r.json")
    try #"{"passes": [{"pass": "rtn", "bits": 8, "ignore": ["x.weight"]}]}"#
      .write(to: json, atomically: true, encoding: .utf8)
    let fromJSON = try Recipe.load(path: json.path)
    #expect(fromJSON[0].parameters == ["bits": "8"])
    #expect(fromJSON[0].selection.ignore.map(\.text) == ["x.weight"])
    let bad = folder.appendingPathComponent("bad.yaml")
    try "passes: 3".write(to: bad, atomically: true, encoding: .utf8)
    #expect(
      throws: CompressionError.invalidRecipe(path: bad.path, reason: "expected a top-level `passes:` list")
    ) { try Recipe.load(path: bad.path) }
  }
}
