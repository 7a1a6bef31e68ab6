import Foundation

extension CompressionReport {
  /// The report as a plain-text table for people: one row per touched tensor, then totals.
  public func table(maximumRows: Int = 40) -> String {
    // The share of zeros is shown when a pass prunes, the rank (or `dense`) when one factors.
    let zeros = passes.contains { $0.name == "prune" }
    let ranks = passes.contains { $0.name == "low-rank" }
    var rows: [[String]] = [
      ["tensor", "method", "shape", "before", "after", "bits/w", "rel.err"] + (zeros ? ["zeros"] : []) + (ranks ? ["rank"] : [])
    ]
    for record in tensors.prefix(maximumRows) {
      let factored = record.layers.first { $0.pass == "low-rank" }
      let rank = factored.map { $0.figures["factored"] == 1 ? String(Int($0.figures["rank"] ?? 0)) : "dense" } ?? ""
      rows.append(
        [
          record.name, record.method, record.shape.map(String.init).joined(separator: "×"),
          formatBytes(record.bytesBefore), formatBytes(record.bytesAfter),
          String(format: "%.2f", record.bitsPerWeight), String(format: "%.2e", record.relativeError),
        ] + (zeros ? [String(format: "%.1f%%", 100 * record.sparsity)] : []) + (ranks ? [rank] : []))
    }
    var lines = align(rows)
    if tensors.count > maximumRows {
      lines.append("… \(tensors.count - maximumRows) more tensors (see the JSON report)")
    }
    lines.append("")
    for pass in passes {
      let settings = pass.settings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
      // Whether the method beat its data-free baseline (docs/report.md), layer by layer, is said
      // here, so that an ingredient that did not help is never silent.
      let layers = tensors.flatMap { $0.layers.filter { $0.pass == pass.name } }
      let worse = layers.filter { $0.relativeOutputError > $0.baselineRelativeOutputError * (1 + 1e-9) }.count
      lines.append(
        "pass \(pass.name) [\(settings.joined(separator: ", "))]: \(pass.tensors) tensors, "
          + String(format: "%.2f s", pass.seconds)
          + (layers.isEmpty ? "" : "; output error above its baseline on \(worse) of \(layers.count) layers"))
    }
    let t = totals
    lines.append(
      "weights: \(formatBytes(t.fileBytesBefore)) → \(formatBytes(t.fileBytesAfter)) "
        + String(format: "(%.3f×)", t.ratio) + ", zstd \(formatBytes(t.zstdBytes)), "
        + String(format: "%.2f s", t.seconds))
    return lines.joined(separator: "\n")
  }
}

/// Left-aligns text columns (numbers right-aligned) with two spaces between them.
func align(_ rows: [[String]]) -> [String] {
  guard let width = rows.first?.count else { return [] }
  let widths = (0..<width).map { column in rows.map { $0[column].count }.max() ?? 0 }
  return rows.map { row in
    row.enumerated().map { column, cell in
      let padding = String(repeating: " ", count: widths[column] - cell.count)
      let numeric = column > 0 && cell.first.map { $0.isNumber } == true
      return numeric ? padding + cell : cell + padding
    }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
  }
}

/// `1234567` → `"1.23 MB"` (decimal units, as file managers show).
public func formatBytes(_ bytes: Int) -> String {
  let units = ["B", "kB", "MB", "GB", "TB"]
  var value = Double(bytes)
  var unit = 0
  while value >= 1000 && unit < units.count - 1 {
    value /= 1000
    unit += 1
  }
  return unit == 0 ? "\(bytes) B" : String(format: "%.2f", value) + " " + units[unit]
}
