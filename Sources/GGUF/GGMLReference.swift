/// Plain per-element twins of the block kernels: each weight is computed on its own from the
/// block layout in ggml-common.h, with no loops shared with the fast path. Tests hold
/// `dequantize(_:as:)` to these bit for bit.
public enum GGMLReference {
  /// Every element of `bytes` (whole blocks of `type`), one at a time.
  public static func dequantize(_ bytes: UnsafeRawBufferPointer, as type: GGMLType) -> [Float] {
    precondition(type.isDequantizable && bytes.count % type.blockBytes == 0, "GGMLReference: bad input")
    let count = bytes.count / type.blockBytes * type.blockSize
    return (0..<count).map { index in
      let block = UnsafeRawBufferPointer(
        rebasing: bytes[(index / type.blockSize * type.blockBytes)...].prefix(type.blockBytes))
      return element(index % type.blockSize, of: block, type: type)
    }
  }

  static func u8(_ b: UnsafeRawBufferPointer, _ i: Int) -> Int { Int(b[i]) }
  static func i8(_ b: UnsafeRawBufferPointer, _ i: Int) -> Int { Int(Int8(bitPattern: b[i])) }
  static func f16(_ b: UnsafeRawBufferPointer, _ i: Int) -> Float {
    Float(float16Bits: UInt16(b[i]) | UInt16(b[i + 1]) << 8)
  }
  /// Bit `bit` of the little-endian bit string starting at byte `start`.
  static func bit(_ b: UnsafeRawBufferPointer, _ start: Int, _ bit: Int) -> Int {
    (Int(b[start + bit / 8]) >> (bit % 8)) & 1
  }
  /// Weight `j`'s nibble in a 32-weight block: low nibbles hold 0..<16, high nibbles 16..<32.
  static func nibble32(_ b: UnsafeRawBufferPointer, _ start: Int, _ j: Int) -> Int {
    (u8(b, start + j % 16) >> (4 * (j / 16))) & 0xF
  }

  /// Element `j` of one block.
  static func element(_ j: Int, of b: UnsafeRawBufferPointer, type: GGMLType) -> Float {
    switch type {
    case .f32: Float(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[4 * j + $1]) << (8 * $1) })
    case .f16: f16(b, 2 * j)
    case .bf16: Float(bfloat16Bits: UInt16(b[2 * j]) | UInt16(b[2 * j + 1]) << 8)
    case .q4_0: f16(b, 0) * Float(nibble32(b, 2, j) - 8)
    case .q4_1: f16(b, 0) * Float(nibble32(b, 4, j)) + f16(b, 2)
    case .q5_0: f16(b, 0) * Float((nibble32(b, 6, j) | bit(b, 2, j) << 4) - 16)
    case .q5_1: f16(b, 0) * Float(nibble32(b, 8, j) | bit(b, 4, j) << 4) + f16(b, 2)
    case .q8_0: Float(i8(b, 2 + j)) * f16(b, 0)
    case .q8_K:
      Float(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[$1]) << (8 * $1) }) * Float(i8(b, 4 + j))
    default: kQuantElement(j, of: b, type: type)
    }
  }

  static func kQuantElement(_ j: Int, of b: UnsafeRawBufferPointer, type: GGMLType) -> Float {
    // 128-weight halves (n), 32-weight quarters of them (quarter), 16-weight parts, position l.
    let n = j / 128, quarter = j % 128 / 32, part = j % 32 / 16, l16 = j % 16
    switch type {
    case .q2_K:
      let sc = u8(b, 8 * n + 2 * quarter + part)
      let q = (u8(b, 16 + 32 * n + 16 * part + l16) >> (2 * quarter)) & 3
      return f16(b, 80) * Float(sc & 0xF) * Float(q) - f16(b, 82) * Float(sc >> 4)
    case .q3_K:
      let k = 8 * n + 2 * quarter + part
      let low = k < 8 ? u8(b, 96 + k) & 0xF : u8(b, 96 + k - 8) >> 4
      let high = (u8(b, 104 + k % 4) >> (2 * (k / 4))) & 3
      let q = (u8(b, 32 + 32 * n + 16 * part + l16) >> (2 * quarter)) & 3
      let h = bit(b, 16 * part + l16, 4 * n + quarter)  // bit (4n + quarter) of hmask[16·part + l]
      return f16(b, 108) * Float((low | high << 4) - 32) * Float(q - (h == 1 ? 0 : 4))
    case .q4_K, .q5_K:
      let sub = j / 32, l = j % 32
      let (sc, m) = scaleMin(sub, b)
      let base = type == .q4_K ? 16 : 48
      var q = (u8(b, base + 32 * (sub / 2) + l) >> (4 * (sub % 2))) & 0xF
      if type == .q5_K { q |= ((u8(b, 16 + l) >> sub) & 1) << 4 }
      return f16(b, 0) * Float(sc) * Float(q) - f16(b, 2) * Float(m)
    case .q6_K:
      let l = j % 32
      let low = (u8(b, 64 * n + l + 32 * (quarter % 2)) >> (4 * (quarter / 2))) & 0xF
      let high = (u8(b, 128 + 32 * n + l) >> (2 * quarter)) & 3
      let scale = i8(b, 192 + 8 * n + l / 16 + 2 * quarter)
      return f16(b, 208) * Float(scale) * Float((low | high << 4) - 32)
    default:
      preconditionFailure("GGMLReference: \(type) has no dequantization")
    }
  }

  /// ggml's `get_scale_min_k4`, from the spec: sub-blocks 0..<4 keep 6 bits in bytes 0..<8;
  /// 4..<8 keep their low 4 bits in bytes 8..<12 and their top 2 bits in the top of bytes 0..<8.
  static func scaleMin(_ sub: Int, _ b: UnsafeRawBufferPointer) -> (Int, Int) {
    let s = 4  // the 12 packed bytes start at byte 4
    if sub < 4 { return (u8(b, s + sub) & 63, u8(b, s + sub + 4) & 63) }
    let scale = (u8(b, s + sub + 4) & 0xF) | (u8(b, s + sub - 4) >> 6) << 4
    let minimum = (u8(b, s + sub + 4) >> 4) | (u8(b, s + sub) >> 6) << 4
    return (scale, minimum)
  }
}
