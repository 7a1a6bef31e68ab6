/// The passes a pipeline can build by name.
public struct PassRegistry: Sendable {
  /// Pass types by CLI name.
  public let passes: [String: any CompressionPass.Type]

  public init(_ types: [any CompressionPass.Type]) {
    var passes: [String: any CompressionPass.Type] = [:]
    for type in types { passes[type.description.name] = type }
    self.passes = passes
  }

  /// Every pass's description, sorted by name.
  public var descriptions: [PassDescription] {
    passes.values.map { $0.description }.sorted { $0.name < $1.name }
  }

  /// Builds the pass a spec names, validating its parameters.
  public func makePass(_ spec: PassSpec) throws(CompressionError) -> any CompressionPass {
    guard let type = passes[spec.name] else {
      throw .unknownPass(name: spec.name, known: passes.keys.sorted())
    }
    var parameters = PassParameters(pass: spec.name, values: spec.parameters)
    let pass = try type.init(parameters: &parameters)
    try parameters.finish()
    return pass
  }
}
