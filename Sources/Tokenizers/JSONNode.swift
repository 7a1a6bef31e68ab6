/// A JSON value together with its path in the file, so that every refusal names where it happened.
struct JSONNode {
  let value: JSON
  let path: String

  init(_ value: JSON, path: String) {
    self.value = value
    self.path = path
  }

  /// `true` when the value is absent or `null`.
  var isNull: Bool { value == .null }

  /// The member `key` of an object (`null` when absent); throws when this is not an object.
  subscript(key: String) -> JSONNode {
    get throws(TokenizerError) {
      let childPath = path.isEmpty ? key : "\(path).\(key)"
      switch value {
      case .object(let members): return JSONNode(members[key] ?? .null, path: childPath)
      case .null: throw .missingField(path: path)
      default: throw .wrongType(path: path, expected: "an object", found: value.typeName)
      }
    }
  }

  /// The members of an object (`nil` when null).
  func optionalObject() throws(TokenizerError) -> [String: JSONNode]? {
    switch value {
    case .null: return nil
    case .object(let members):
      var result: [String: JSONNode] = [:]
      result.reserveCapacity(members.count)
      for (key, member) in members { result[key] = JSONNode(member, path: "\(path).\(key)") }
      return result
    default: throw .wrongType(path: path, expected: "an object", found: value.typeName)
    }
  }

  /// The elements of an array (`nil` when null).
  func optionalArray() throws(TokenizerError) -> [JSONNode]? {
    switch value {
    case .null: return nil
    case .array(let elements):
      return elements.enumerated().map { JSONNode($1, path: "\(path)[\($0)]") }
    default: throw .wrongType(path: path, expected: "an array", found: value.typeName)
    }
  }

  /// The elements of a required array.
  func array() throws(TokenizerError) -> [JSONNode] {
    guard let elements = try optionalArray() else { throw .missingField(path: path) }
    return elements
  }

  /// A string, or `nil` when null.
  func optionalString() throws(TokenizerError) -> String? {
    switch value {
    case .null: return nil
    case .string(let text): return text
    default: throw .wrongType(path: path, expected: "a string", found: value.typeName)
    }
  }

  /// A required string.
  func string() throws(TokenizerError) -> String {
    guard let text = try optionalString() else { throw .missingField(path: path) }
    return text
  }

  /// A boolean, or `defaultValue` when null.
  func bool(default defaultValue: Bool) throws(TokenizerError) -> Bool {
    switch value {
    case .null: return defaultValue
    case .bool(let flag): return flag
    default: throw .wrongType(path: path, expected: "a boolean", found: value.typeName)
    }
  }

  /// A boolean, or `nil` when null.
  func optionalBool() throws(TokenizerError) -> Bool? {
    isNull ? nil : try bool(default: false)
  }

  /// A non-negative integer, or `nil` when null.
  func optionalInt() throws(TokenizerError) -> Int? {
    switch value {
    case .null: return nil
    case .number(let number):
      guard number >= 0, number < 0x1p53, number.rounded() == number else {
        throw .invalidValue(path: path, value: "\(number)", reason: "not a non-negative integer")
      }
      return Int(number)
    default: throw .wrongType(path: path, expected: "an integer", found: value.typeName)
    }
  }

  /// A required non-negative integer.
  func int() throws(TokenizerError) -> Int {
    guard let number = try optionalInt() else { throw .missingField(path: path) }
    return number
  }

  /// A number, or `nil` when null.
  func optionalDouble() throws(TokenizerError) -> Double? {
    switch value {
    case .null: return nil
    case .number(let number): return number
    default: throw .wrongType(path: path, expected: "a number", found: value.typeName)
    }
  }

  /// The component's `type` field.
  func type() throws(TokenizerError) -> String { try self["type"].string() }
}
