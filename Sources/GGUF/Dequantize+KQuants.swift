// The K-quants: super-blocks of 256 weights split into sub-blocks with their own 4- or 6-bit
// scales (ggml-common.h `block_q*_K`, ggml-quants.c `dequantize_row_q*_K`).

/// Q2_K (84 bytes): 16 scale bytes (low nibble scale, high nibble min, one per 16 weights),
/// 64 bytes of 2-bit quants, F16 d, F16 dmin; y = (d·sc)·q − dmin·m.
func dequantizeQ2_K(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
  let bytes = block.assumingMemoryBound(to: UInt8.self)
  let d = half(block, 80)
  let dmin = half(block, 82)
  var out = y
  for n in 0..<2 {
    let q = bytes + 16 + 32 * n
    for j in 0..<4 {
      let shift = UInt8(2 * j)
      for part in 0..<2 {
        let sc = bytes[8 * n + 2 * j + part]
        let dl = d * Float(sc & 0x0F)
        let ml = dmin * Float(sc >> 4)
        for l in 0..<16 { out[l] = dl * Float((q[16 * part + l] >> shift) & 3) - ml }
        out += 16
      }
    }
  }
}

/// Q3_K (110 bytes): 32 bytes hmask (the 3rd bit, set meaning "no −4"), 64 bytes of 2-bit quants,
/// 12 bytes of sixteen 6-bit scales (bias 32), F16 d; y = (d·(sc − 32))·(q − 4·!h).
func dequantizeQ3_K(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
  let bytes = block.assumingMemoryBound(to: UInt8.self)
  let d = half(block, 108)
  let packed = bytes + 96
  var scales = [Int32](repeating: 0, count: 16)
  for k in 0..<16 {
    let low = k < 8 ? packed[k] & 0x0F : packed[k - 8] >> 4
    let high = (packed[8 + k % 4] >> UInt8(2 * (k / 4))) & 3
    scales[k] = Int32(low | (high << 4)) - 32
  }
  let hmask = bytes
  var out = y
  for n in 0..<2 {
    let q = bytes + 32 + 32 * n
    for j in 0..<4 {
      let shift = UInt8(2 * j)
      let bit = UInt8(1) << UInt8(4 * n + j)
      for part in 0..<2 {
        let dl = d * Float(scales[8 * n + 2 * j + part])
        for l in 0..<16 {
          let index = 16 * part + l
          let low = Int32((q[index] >> shift) & 3)
          out[l] = dl * Float(low - (hmask[index] & bit != 0 ? 0 : 4))
        }
        out += 16
      }
    }
  }
}

/// The 6-bit scale and min of sub-block `j` (0..<8) from Q4_K/Q5_K's 12 packed bytes
/// (ggml's `get_scale_min_k4`).
@inline(__always)
func scaleMinK4(_ j: Int, _ q: UnsafePointer<UInt8>) -> (scale: UInt8, min: UInt8) {
  if j < 4 { return (q[j] & 63, q[j + 4] & 63) }
  return ((q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4))
}

/// Q4_K (144 bytes): F16 d, F16 dmin, 12 bytes of 6-bit scales/mins for 8 sub-blocks of 32,
/// 128 bytes of nibbles (low nibbles: first 32 of each 64, high nibbles: the next 32);
/// y = (d·sc)·q − dmin·m.
func dequantizeQ4_K(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
  let bytes = block.assumingMemoryBound(to: UInt8.self)
  let d = half(block, 0)
  let dmin = half(block, 2)
  for group in 0..<4 {
    let q = bytes + 16 + 32 * group
    for part in 0..<2 {
      let (sc, m) = scaleMinK4(2 * group + part, bytes + 4)
      let scale = d * Float(sc)
      let offset = dmin * Float(m)
      let shift = UInt8(4 * part)
      let out = y + 64 * group + 32 * part
      for l in 0..<32 { out[l] = scale * Float((q[l] >> shift) & 0x0F) - offset }
    }
  }
}

/// Q5_K (176 bytes): as Q4_K, with 32 bytes of 5th bits (bit 2g+part of qh[l]) before the nibbles.
func dequantizeQ5_K(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
  let bytes = block.assumingMemoryBound(to: UInt8.self)
  let d = half(block, 0)
  let dmin = half(block, 2)
  let qh = bytes + 16
  for group in 0..<4 {
    let q = bytes + 48 + 32 * group
    for part in 0..<2 {
      let (sc, m) = scaleMinK4(2 * group + part, bytes + 4)
      let scale = d * Float(sc)
      let offset = dmin * Float(m)
      let shift = UInt8(4 * part)
      let highShift = UInt8(2 * group + part)
      let out = y + 64 * group + 32 * part
      for l in 0..<32 {
        let value = ((q[l] >> shift) & 0x0F) | (((qh[l] >> highShift) & 1) << 4)
        out[l] = scale * Float(value) - offset
      }
    }
  }
}

/// Q6_K (210 bytes): 128 bytes of low nibbles, 64 bytes of high 2-bit pairs, 16 int8 scales
/// (one per 16 weights), F16 d; y = (d·sc)·(q − 32).
func dequantizeQ6_K(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
  let bytes = block.assumingMemoryBound(to: UInt8.self)
  let d = half(block, 208)
  let scales = (block + 192).assumingMemoryBound(to: Int8.self)
  for n in 0..<2 {
    let ql = bytes + 64 * n
    let qh = bytes + 128 + 32 * n
    let sc = scales + 8 * n
    let out = y + 128 * n
    for l in 0..<32 {
      let s = l / 16
      let q1 = Int32((ql[l] & 0x0F) | (((qh[l] >> 0) & 3) << 4)) - 32
      let q2 = Int32((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) - 32
      let q3 = Int32((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32
      let q4 = Int32((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32
      out[l] = d * Float(sc[s]) * Float(q1)
      out[l + 32] = d * Float(sc[s + 2]) * Float(q2)
      out[l + 64] = d * Float(sc[s + 4]) * Float(q3)
      out[l + 96] = d * Float(sc[s + 6]) * Float(q4)
    }
  }
}

/// Q8_K (292 bytes): F32 d, 256 int8, 16 int16 block sums (unused here); y = d·q.
func dequantizeQ8_K(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
  let d = Float(bitPattern: UInt32(littleEndian: block.loadUnaligned(as: UInt32.self)))
  let qs = (block + 4).assumingMemoryBound(to: Int8.self)
  for j in 0..<256 { y[j] = d * Float(qs[j]) }
}
