/// A JSON value with ordered object keys, rendered deterministically (two-space indent, UTF-8
/// kept as is, floats in their shortest round-trip form), for the files the importer writes.
indirect enum JSONText {
  case null
  case bool(Bool)
  case int(Int)
  /// A Float32 written in its shortest form (`1e-05`, `100000.0`); must be finite.
  case float(Float)
  case string(String)
  case array([JSONText])
  case object([(String, JSONText)])

  /// The text, with a final newline.
  var rendered: String {
    var out = ""
    write(to: &out, indent: 0)
    out += "\n"
    return out
  }

  private func write(to out: inout String, indent: Int) {
    switch self {
    case .null: out += "null"
    case .bool(let value): out += value ? "true" : "false"
    case .int(let value): out += String(value)
    case .float(let value):
      precondition(value.isFinite, "JSONText: \(value) has no JSON form")
      out += value.description
    case .string(let value): Self.quote(value, into: &out)
    case .array(let items):
      writeContainer(items.map { (nil, $0) }, open: "[", close: "]", to: &out, indent: indent)
    case .object(let members):
      writeContainer(members.map { ($0.0, $0.1) }, open: "{", close: "}", to: &out, indent: indent)
    }
  }

  private func writeContainer(
    _ items: [(String?, JSONText)], open: String, close: String, to out: inout String, indent: Int
  ) {
    guard !items.isEmpty else {
      out += open + close
      return
    }
    let inner = String(repeating: " ", count: indent + 2)
    out += open + "\n"
    for (index, (key, value)) in items.enumerated() {
      out += inner
      if let key {
        Self.quote(key, into: &out)
        out += ": "
      }
      value.write(to: &out, indent: indent + 2)
      out += index == items.count - 1 ? "\n" : ",\n"
    }
    out += String(repeating: " ", count: indent) + close
  }

  /// Writes `text` as a JSON string: quotes, backslashes and control characters escaped.
  static func quote(_ text: String, into out: inout String) {
    out += "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20 || scalar.value == 0x7F:
        let hex = String(scalar.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(scalar)
      }
    }
    out += "\""
  }
}
