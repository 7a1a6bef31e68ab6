import Foundation

/// Writes `quantize_config.json` and `config.json["quantization_config"]` for GPTQ-layout
/// tensors, and compressed-tensors' `quantization_config` with a `sparsity_config` for
/// sparse-bitmask tensors, so that transformers, vLLM and the GPTQ loaders take the output folder
/// as is.
///
/// The most common (bits, group size, sym) is the folder's setting; tensors quantized otherwise
/// are listed under GPTQModel's `dynamic` key as exact-module regular expressions.
enum QuantizationConfig {
  static func write(manifest: Manifest, config: [String: Any], into plan: OutputPlan)
    throws(CompressionError)
  {
    var config = config
    if let quantization = quantizationConfig(manifest) {
      config["quantization_config"] = quantization
      try plan.writeJSON(quantization, named: "quantize_config.json")
    } else if let sparsity = sparsityConfig(manifest) {
      config["quantization_config"] = sparsity
    }
    try plan.writeJSON(config, named: "config.json")
  }

  /// The GPTQ `quantization_config` object, or `nil` when no tensor is GPTQ-encoded.
  static func quantizationConfig(_ manifest: Manifest) -> [String: Any]? {
    struct Setting: Hashable {
      var bits: Int
      var groupSize: Int
      var symmetric: Bool
    }
    var settings: [String: Setting] = [:]  // module name → setting
    for (name, entry) in manifest.tensors where entry.encoding == GPTQEncoding.name {
      let p = entry.parameters
      settings[moduleName(of: name)] = Setting(
        bits: Int(p["bits"] ?? "") ?? 4, groupSize: Int(p["group_size"] ?? "") ?? -1,
        symmetric: p["sym"] == "true")
    }
    guard !settings.isEmpty else { return nil }
    let counts = Dictionary(settings.values.map { ($0, 1) }, uniquingKeysWith: +)
    let common = counts.max { a, b in
      (a.value, b.key.bits, b.key.groupSize) < (b.value, a.key.bits, a.key.groupSize)
    }!.key
    var dynamic: [String: Any] = [:]
    for (module, setting) in settings where setting != common {
      let pattern = "+:^" + NSRegularExpression.escapedPattern(for: module) + "$"
      dynamic[pattern] = ["bits": setting.bits, "group_size": setting.groupSize, "sym": setting.symmetric]
    }
    let gptqPass = manifest.passes.last { $0.name == "gptq" }?.settings ?? [:]
    var result: [String: Any] = [
      "quant_method": "gptq",
      "bits": common.bits,
      "group_size": common.groupSize,
      "sym": common.symmetric,
      "desc_act": gptqPass["act-order"] == "true",
      "static_groups": gptqPass["static-groups"] == "true",
      "true_sequential": gptqPass["true-sequential"] != "false",
      "damp_percent": Double(gptqPass["damp"] ?? "") ?? 0.01,
      "checkpoint_format": "gptq",
      "pack_dtype": "int32",
      "meta": ["quantizer": ["\(CompressionPipeline.tool):\(CompressionPipeline.version)"]],
    ]
    if !dynamic.isEmpty { result["dynamic"] = dynamic }
    return result
  }

  /// compressed-tensors' `quantization_config` for sparse-bitmask tensors (no quantization
  /// groups), or `nil` when there are none: the format, the structure (`unstructured`, `2:4`, …),
  /// the sparsity over the encoded tensors and the modules they belong to.
  static func sparsityConfig(_ manifest: Manifest) -> [String: Any]? {
    let sparse = manifest.tensors.filter { $0.value.encoding == SparseBitmaskEncoding.name }
    guard !sparse.isEmpty else { return nil }
    let structures = Set(sparse.values.map { $0.parameters["sparsity_structure"] ?? "unstructured" })
    let modules = sparse.keys.map { moduleName(of: $0) }.sorted()
    let sparsity = manifest.passes.last { $0.name == "prune" }?.settings["sparsity"].flatMap(Double.init)
    return [
      "quant_method": "compressed-tensors",
      "format": "dense",
      "quantization_status": "compressed",
      "config_groups": [String: Any](),
      "sparsity_config": [
        "format": SparseBitmaskEncoding.name,
        "sparsity_structure": structures.count == 1 ? structures.first! : "unstructured",
        "global_sparsity": sparsity ?? 0,
        "targets": modules,
        "ignore": [String](),
        "registry_requires_subclass": false,
      ] as [String: Any],
    ]
  }
}
