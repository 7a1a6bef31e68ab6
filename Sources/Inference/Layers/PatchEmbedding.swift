// ViT patch embedding: a convolution with stride = kernel = P, computed as one matmul over
// flattened patches.
//
// Legend: B = images, Ch = channels, S = image side, P = patch side, G = S / P patches per side,
// Np = G² patches, C = hidden features. Patches are numbered row-major (gy, gx) and flattened in
// the conv weight's (Ch, P, P) order, so the weight (C, Ch, P, P) is used as (C, Ch·P·P).
import TensorCore

/// The patches of `pixels` (B, Ch, S, S) as rows: (B·Np, Ch·P·P).
func extractPatches(_ pixels: Tensor, patch: Int) -> Tensor {
  precondition(pixels.rank == 4 && pixels.shape[2] == pixels.shape[3], "patches: pixels must be (B, Ch, S, S), got \(pixels.shape)")
  let (batch, channels, side) = (pixels.shape[0], pixels.shape[1], pixels.shape[2])
  precondition(side % patch == 0, "patches: image side \(side) is not a multiple of patch \(patch)")
  let grid = side / patch
  let patchWidth = channels * patch * patch
  var out = Tensor(shape: [batch * grid * grid, patchWidth])  // (B·Np, Ch·P·P)
  pixels.withUnsafeBufferPointer { p in
    out.withUnsafeMutableBufferPointer { o in
      for b in 0..<batch {
        for gy in 0..<grid {
          for gx in 0..<grid {
            var target = ((b * grid + gy) * grid + gx) * patchWidth
            for ch in 0..<channels {
              for py in 0..<patch {
                let source = ((b * channels + ch) * side + gy * patch + py) * side + gx * patch
                for px in 0..<patch { o[target + px] = p[source + px] }
                target += patch
              }
            }
          }
        }
      }
    }
  }
  return out
}

/// Patch embeddings with the CLS token in front and learned positions added: (B, 1 + Np, C).
///
/// `weight` is the conv kernel (C, Ch, P, P), `bias` (C), `cls` (1, 1, C), `positions` (1, 1 + Np, C).
func patchEmbedding(
  _ pixels: Tensor, weight: Tensor, bias: Tensor, cls: Tensor, positions: Tensor, patch: Int
) -> Tensor {
  let width = weight.shape[0]
  let rows = extractPatches(pixels, patch: patch)  // (B·Np, Ch·P·P)
  let embedded = linear(rows, weight: weight.reshaped([width, rows.shape[1]]), bias: bias)  // (B·Np, C)
  let batch = pixels.shape[0]
  let patches = rows.shape[0] / batch
  precondition(positions.count == (patches + 1) * width, "patches: \(patches) patches for positions \(positions.shape)")
  var out = Tensor(shape: [batch, patches + 1, width])  // (B, 1 + Np, C)
  embedded.withUnsafeBufferPointer { e in
    cls.withUnsafeBufferPointer { c in
      positions.withUnsafeBufferPointer { pos in
        out.withUnsafeMutableBufferPointer { o in
          for b in 0..<batch {
            for t in 0...patches {
              let target = (b * (patches + 1) + t) * width
              for j in 0..<width {
                let value = t == 0 ? c[j] : e[(b * patches + t - 1) * width + j]
                o[target + j] = value + pos[t * width + j]
              }
            }
          }
        }
      }
    }
  }
  return out
}
