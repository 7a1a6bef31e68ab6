import Foundation

/// A string compared and hashed byte for byte. Swift's `String` equality is canonical
/// equivalence (`"가" == "\u{1100}\u{1161}"`), but vocabularies, caches and added tokens need the
/// exact bytes, as the Rust hash maps use.
struct ExactString: Hashable, Sendable {
  let string: String

  init(_ string: String) { self.string = string }

  static func == (a: ExactString, b: ExactString) -> Bool {
    guard a.string.utf8.count == b.string.utf8.count else { return false }
    var left = a.string
    var right = b.string
    return left.withUTF8 { l in
      right.withUTF8 { r in l.isEmpty || memcmp(l.baseAddress!, r.baseAddress!, l.count) == 0 }
    }
  }

  func hash(into hasher: inout Hasher) {
    var copy = string
    copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
  }
}

/// A token → id map with exact (byte-wise) keys.
struct Vocabulary: Sendable {
  private(set) var ids: [ExactString: Int] = [:]

  init(minimumCapacity: Int = 0) { ids.reserveCapacity(minimumCapacity) }

  var count: Int { ids.count }

  subscript(token: String) -> Int? {
    get { ids[ExactString(token)] }
    set { ids[ExactString(token)] = newValue }
  }
}
