import TensorCore

// Dequantization of ggml blocks to Float32, block by block in ggml's own order
// (`dequantize_row_*` in ggml-quants.c). Each value is computed with the same float operations,
// in the same order, as gguf-py's `gguf.quants.dequantize` (scale × quant, then ± the min), so
// results agree bit for bit; Swift does not contract `a * b + c` into a fused multiply-add.
// `GGMLReference` is the per-element twin that the tests hold these loops against.
//
// Legend: `d` block scale (F16 unless noted), `m`/`dmin` block minimum, `qs` packed quants,
// `qh` high bits, one block of `blockSize` weights → `blockSize` floats.

/// Dequantizes whole blocks of `type` into `destination`.
///
/// `bytes.count` must be a multiple of `type.blockBytes` and `destination.count` must be
/// `bytes.count / type.blockBytes × type.blockSize`; `type.isDequantizable` must hold.
public func dequantize(
  _ bytes: UnsafeRawBufferPointer, as type: GGMLType, into destination: UnsafeMutableBufferPointer<Float>
) {
  precondition(type.isDequantizable, "dequantize: \(type) has no dequantization")
  precondition(
    bytes.count % type.blockBytes == 0,
    "dequantize: \(bytes.count) bytes is not a whole number of \(type) blocks of \(type.blockBytes) bytes")
  let blocks = bytes.count / type.blockBytes
  precondition(
    destination.count == blocks * type.blockSize,
    "dequantize: \(blocks) \(type) blocks make \(blocks * type.blockSize) floats, not \(destination.count)")
  guard blocks > 0, let source = bytes.baseAddress, let out = destination.baseAddress else { return }
  let kernel: (UnsafeRawPointer, UnsafeMutablePointer<Float>) -> Void
  switch type {
  case .f32:
    decodeFloats(bytes, as: .f32, into: destination)
    return
  case .f16:
    decodeFloats(bytes, as: .f16, into: destination)
    return
  case .bf16:
    decodeFloats(bytes, as: .bf16, into: destination)
    return
  case .q4_0: kernel = dequantizeQ4_0
  case .q4_1: kernel = dequantizeQ4_1
  case .q5_0: kernel = dequantizeQ5_0
  case .q5_1: kernel = dequantizeQ5_1
  case .q8_0: kernel = dequantizeQ8_0
  case .q2_K: kernel = dequantizeQ2_K
  case .q3_K: kernel = dequantizeQ3_K
  case .q4_K: kernel = dequantizeQ4_K
  case .q5_K: kernel = dequantizeQ5_K
  case .q6_K: kernel = dequantizeQ6_K
  case .q8_K: kernel = dequantizeQ8_K
  default: preconditionFailure("dequantize: \(type) has no dequantization")
  }
  for block in 0..<blocks {
    kernel(source + block * type.blockBytes, out + block * type.blockSize)
  }
}

/// Dequantizes whole blocks of `type` into a new array (see `dequantize(_:as:into:)`).
public func dequantize(_ bytes: UnsafeRawBufferPointer, as type: GGMLType) -> [Float] {
  let count = bytes.count / type.blockBytes * type.blockSize
  return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
    dequantize(bytes, as: type, into: UnsafeMutableBufferPointer(rebasing: buffer[0..<count]))
    initialized = count
  }
}

/// The F16 at byte `offset` of `p`, widened exactly.
@inline(__always)
func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
  Float(float16Bits: UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
}

/// Q4_0 (18 bytes): F16 d, 16 bytes of nibbles; y[j] = d·(lo(qs[j]) − 8), y[j+16] = d·(hi(qs[j]) − 8).
func dequantizeQ4_0(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
  let d = half(block, 0)
  let qs = block.assumingMemoryBound(to: UInt8.self) + 2
  for j in 0..<16 {
    y[j] = d * Float(Int32(qs[j] & 0x0F) - 8)
    y[j + 16] = d * Float(Int32(qs[j] >> 4) - 8)
  }
}

/// Q4_1 (20 bytes): F16 d, F16 m, 16 bytes of nibbles; y = d·q + m.
func dequantizeQ4_1(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
  let d = half(block, 0)
  let m = half(block, 2)
  let qs = block.assumingMemoryBound(to: UInt8.self) + 4
  for j in 0..<16 {
    y[j] = d * Float(qs[j] & 0x0F) + m
    y[j + 16] = d * Float(qs[j] >> 4) + m
  }
}

/// Q5_0 (22 bytes): F16 d, uint32 qh (bit j = 5th bit of weight j), 16 bytes of nibbles;
/// y = d·(q − 16).
func dequantizeQ5_0(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
  let d = half(block, 0)
  let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
  let qs = block.assumingMemoryBound(to: UInt8.self) + 6
  for j in 0..<16 {
    let high0 = UInt8(truncatingIfNeeded: (qh >> UInt32(j)) & 1) << 4
    let high1 = UInt8(truncatingIfNeeded: (qh >> UInt32(j + 16)) & 1) << 4
    y[j] = d * Float(Int32((qs[j] & 0x0F) | high0) - 16)
    y[j + 16] = d * Float(Int32((qs[j] >> 4) | high1) - 16)
  }
}

/// Q5_1 (24 bytes): F16 d, F16 m, uint32 qh, 16 bytes of nibbles; y = d·q + m.
func dequantizeQ5_1(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
  let d = half(block, 0)
  let m = half(block, 2)
  let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
  let qs = block.assumingMemoryBound(to: UInt8.self) + 8
  for j in 0..<16 {
    let high0 = UInt8(truncatingIfNeeded: (qh >> UInt32(j)) & 1) << 4
    let high1 = UInt8(truncatingIfNeeded: (qh >> UInt32(j + 16)) & 1) << 4
    y[j] = d * Float((qs[j] & 0x0F) | high0) + m
    y[j + 16] = d * Float((qs[j] >> 4) | high1) + m
  }
}

/// Q8_0 (34 bytes): F16 d, 32 int8; y = q·d.
func dequantizeQ8_0(_ block: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
  let d = half(block, 0)
  let qs = (block + 2).assumingMemoryBound(to: Int8.self)
  for j in 0..<32 { y[j] = Float(qs[j]) * d }
}
