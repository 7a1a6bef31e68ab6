// Level-3 BLAS on row-major `Tensor`s through OpenBLAS's CBLAS interface.
//
// Legend: m, n = rows and columns of the result; k = the contracted dimension;
// op(X) = X or Xᵀ. CBLAS takes `CblasRowMajor` directly, so no transposition trick is needed
// here (LAPACK, in LAPACK.swift, is another story).
import COpenBLAS

/// The dimensions `(rows, cols)` of op(x) for a rank-2 tensor.
private func operandShape(_ x: Tensor, transposed: Bool) -> (rows: Int, cols: Int) {
  transposed ? (x.shape[1], x.shape[0]) : (x.shape[0], x.shape[1])
}

private func cblasTranspose(_ transposed: Bool) -> CBLAS_TRANSPOSE {
  transposed ? CblasTrans : CblasNoTrans
}

/// The matrix product `op(A) · op(B)` (sgemm), where op transposes when asked.
///
/// `a` is `(m, k)` (or `(k, m)` with `transposeA`), `b` is `(k, n)` (or `(n, k)`); the result is
/// `(m, n)`.
public func matmul(
  _ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false
) -> Tensor {
  precondition(
    a.rank == 2 && b.rank == 2, "matmul: expected rank-2 tensors, got \(a.shape) and \(b.shape)")
  let rows = operandShape(a, transposed: transposeA).rows
  let cols = operandShape(b, transposed: transposeB).cols
  var c = Tensor(shape: [rows, cols])  // (m, n)
  gemm(a, b, into: &c, alpha: 1, beta: 0, transposeA: transposeA, transposeB: transposeB)
  return c
}

/// `C = alpha · op(A) · op(B) + beta · C` in place (sgemm).
///
/// Shapes as in `matmul`; `c` must already be `(m, n)`. As in BLAS, with `beta == 0` the old
/// contents of `c` are not read (NaN there does not propagate).
public func gemm(
  _ a: Tensor, _ b: Tensor, into c: inout Tensor, alpha: Float, beta: Float,
  transposeA: Bool = false, transposeB: Bool = false
) {
  precondition(
    a.rank == 2 && b.rank == 2 && c.rank == 2,
    "gemm: expected rank-2 tensors, got a \(a.shape), b \(b.shape), c \(c.shape)")
  let (m, k) = operandShape(a, transposed: transposeA)
  let (kb, n) = operandShape(b, transposed: transposeB)
  precondition(
    k == kb,
    "gemm: inner dimensions differ: op(a) is (\(m), \(k)) from \(a.shape), op(b) is (\(kb), \(n)) from \(b.shape)"
  )
  precondition(
    c.shape == [m, n], "gemm: c has shape \(c.shape), expected [\(m), \(n)] from \(a.shape) and \(b.shape)")
  if m == 0 || n == 0 { return }
  if k == 0 {
    let factor = beta
    c.withUnsafeMutableBufferPointer { buffer in
      for i in buffer.indices { buffer[i] = factor == 0 ? 0 : factor * buffer[i] }
    }
    return
  }
  a.withUnsafeBufferPointer { pa in
    b.withUnsafeBufferPointer { pb in
      c.withUnsafeMutableBufferPointer { pc in
        cblas_sgemm(
          CblasRowMajor, cblasTranspose(transposeA), cblasTranspose(transposeB),
          blasInt(m), blasInt(n), blasInt(k), alpha,
          pa.baseAddress, blasInt(a.shape[1]), pb.baseAddress, blasInt(b.shape[1]),
          beta, pc.baseAddress, blasInt(n))
      }
    }
  }
}

/// `C = alpha · op(A) · op(B) + beta · C` (sgemm) on row-major buffers with leading dimensions,
/// for updates of sub-matrices in place: `c` is `(m, n)` with row stride `ldc`; `a` is `(m, k)`
/// (or `(k, m)` with `transposeA`) with row stride `lda`; `b` is `(k, n)` (or `(n, k)`) with
/// row stride `ldb`.
public func gemm(
  m: Int, n: Int, k: Int, alpha: Float,
  a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
  b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
  beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
) {
  precondition(m >= 0 && n >= 0 && k >= 0, "gemm: negative size m \(m), n \(n), k \(k)")
  precondition(
    lda >= max(transposeA ? m : k, 1) && ldb >= max(transposeB ? k : n, 1) && ldc >= max(n, 1),
    "gemm: leading dimensions lda \(lda), ldb \(ldb), ldc \(ldc) too small for m \(m), n \(n), k \(k)")
  if m == 0 || n == 0 || k == 0 {
    precondition(k > 0 || beta == 1, "gemm: k = 0 with beta ≠ 1 is not supported on buffers")
    return
  }
  cblas_sgemm(
    CblasRowMajor, cblasTranspose(transposeA), cblasTranspose(transposeB),
    blasInt(m), blasInt(n), blasInt(k), alpha, a, blasInt(lda), b, blasInt(ldb), beta, c, blasInt(ldc))
}

/// `H = alpha · Xᵀ X + beta · H` (ssyrk), with both triangles of `h` filled on return.
///
/// `x` is `(n, d)`: one sample per row (n may be 0); `h` is `(d, d)` and must be symmetric on
/// entry, because only its upper triangle is read. This is the Hessian accumulation of GPTQ and
/// SparseGPT.
public func accumulateGram(_ x: Tensor, into h: inout Tensor, alpha: Float, beta: Float) {
  precondition(x.rank == 2, "accumulateGram: x must be (n, d), got \(x.shape)")
  let samples = x.shape[0]
  let d = x.shape[1]
  precondition(h.shape == [d, d], "accumulateGram: h has shape \(h.shape), expected [\(d), \(d)] for x \(x.shape)")
  if d == 0 { return }
  x.withUnsafeBufferPointer { px in
    h.withUnsafeMutableBufferPointer { ph in
      if samples == 0 {
        for i in ph.indices { ph[i] = beta == 0 ? 0 : beta * ph[i] }
      } else {
        cblas_ssyrk(
          CblasRowMajor, CblasUpper, CblasTrans, blasInt(d), blasInt(samples), alpha,
          px.baseAddress, blasInt(d), beta, ph.baseAddress, blasInt(d))
      }
      mirrorUpperToLower(ph, n: d)
    }
  }
}

/// Which side of the unknown the triangular matrix multiplies in `solveTriangular`.
public enum MatrixSide: Sendable, Equatable {
  /// Solve `op(T) · X = B`.
  case left
  /// Solve `X · op(T) = B`.
  case right
}

/// Solves a triangular system (strsm) and returns `X`.
///
/// - `.left`: `op(T) · X = B`, with `t` `(m, m)` and `b` `(m, n)`;
/// - `.right`: `X · op(T) = B`, with `t` `(n, n)` and `b` `(m, n)`;
///
/// where op(T) is T or Tᵀ (`transpose`). Only the triangle named by `upper` is read; with
/// `unitDiagonal` the diagonal is taken as ones and not read. A zero on the diagonal is not
/// detected: it produces infinities or NaN, as in BLAS.
public func solveTriangular(
  _ t: Tensor, _ b: Tensor, side: MatrixSide = .left, upper: Bool, transpose: Bool = false,
  unitDiagonal: Bool = false
) -> Tensor {
  precondition(
    t.rank == 2 && b.rank == 2 && t.shape[0] == t.shape[1],
    "solveTriangular: t must be square and b rank 2, got t \(t.shape), b \(b.shape)")
  let (m, n) = (b.shape[0], b.shape[1])
  let order = side == .left ? m : n
  precondition(
    t.shape[0] == order,
    "solveTriangular: t \(t.shape) does not fit b \(b.shape) on the \(side) side")
  var x = b  // (m, n)
  if m == 0 || n == 0 { return x }
  t.withUnsafeBufferPointer { pt in
    x.withUnsafeMutableBufferPointer { px in
      cblas_strsm(
        CblasRowMajor, side == .left ? CblasLeft : CblasRight, upper ? CblasUpper : CblasLower,
        cblasTranspose(transpose), unitDiagonal ? CblasUnit : CblasNonUnit,
        blasInt(m), blasInt(n), 1, pt.baseAddress, blasInt(order), px.baseAddress, blasInt(n))
    }
  }
  return x
}

/// Copies the upper triangle of a row-major `(n, n)` buffer onto its lower triangle.
func mirrorUpperToLower<T>(_ buffer: UnsafeMutableBufferPointer<T>, n: Int) {
  for row in 1..<max(n, 1) {
    for column in 0..<row { buffer[row * n + column] = buffer[column * n + row] }
  }
}

/// A dimension as the 32-bit integer BLAS and LAPACK take.
func blasInt(_ value: Int) -> blasint {
  precondition(value <= Int(blasint.max), "BLAS: dimension \(value) exceeds \(blasint.max)")
  return blasint(value)
}
