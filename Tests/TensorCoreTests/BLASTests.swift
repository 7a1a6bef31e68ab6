// sgemm, ssyrk and strsm held to their Double plain-loop twins on awkward sizes.
import Testing
import TensorCore

/// Awkward `(m, k, n)` triples: unit, odd, just above a power of two, non-square.
let productSizes: [(Int, Int, Int)] = [
  (1, 1, 1), (7, 7, 7), (33, 33, 33), (129, 129, 129), (1, 7, 33), (33, 1, 7), (129, 33, 7),
  (7, 129, 1),
]

@Suite("BLAS kernels vs references")
struct BLASTests {
  @Test("matmul equals the reference for every transpose combination", arguments: productSizes)
  func matmulTwin(size: (Int, Int, Int)) {
    let (m, k, n) = size
    for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
      let a = transposeA ? gaussianTensor(k, m, seed: 1) : gaussianTensor(m, k, seed: 1)
      let b = transposeB ? gaussianTensor(n, k, seed: 2) : gaussianTensor(k, n, seed: 2)
      let fast = matmul(a, b, transposeA: transposeA, transposeB: transposeB)  // (m, n)
      let reference = Reference.matmul(a, b, transposeA: transposeA, transposeB: transposeB)
      #expect(fast.shape == [m, n])
      #expect(relativeError(fast, reference) <= Tolerance.product(innerDimension: k),
              "transposeA \(transposeA) transposeB \(transposeB)")
    }
  }

  @Test("gemm accumulates alpha·AB + beta·C")
  func gemmAccumulates() {
    let a = gaussianTensor(33, 7, seed: 3)  // (m, k)
    let b = gaussianTensor(7, 129, seed: 4)  // (k, n)
    let c0 = gaussianTensor(33, 129, seed: 5)  // (m, n)
    var c = c0
    gemm(a, b, into: &c, alpha: 0.5, beta: -2)
    let expected = 0.5 * Reference.matmul(a, b) + (-2) * c0
    #expect(relativeError(c, expected) <= Tolerance.product(innerDimension: 7))
    var poisoned = Tensor(shape: [33, 129], repeating: .nan)
    gemm(a, b, into: &poisoned, alpha: 1, beta: 0)
    #expect(poisoned.scalars.allSatisfy { $0.isFinite }, "beta = 0 must not read C")
  }

  @Test("gemm on buffers updates a sub-matrix in place, leaving the rest")
  func gemmOnSubMatrices() {
    // C[2..<9, 3..<20] of a (12, 24) buffer −= A[1..<6, 4..<11]ᵀ (7 × 5) · B[0..<5, 2..<19] (5 × 17).
    let a = gaussianTensor(8, 13, seed: 8)  // A lies at rows 1..<6, columns 4..<11
    let b = gaussianTensor(6, 21, seed: 9)  // B lies at rows 0..<5, columns 2..<19
    let c0 = gaussianTensor(12, 24, seed: 10)
    var c = c0
    a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { pb in
        c.withUnsafeMutableBufferPointer { pc in
          gemm(
            m: 7, n: 17, k: 5, alpha: -1, a: pa.baseAddress! + 1 * 13 + 4, lda: 13, transposeA: true,
            b: pb.baseAddress! + 2, ldb: 21, beta: 1, c: pc.baseAddress! + 2 * 24 + 3, ldc: 24)
        }
      }
    }
    let subA = Tensor(shape: [5, 7], scalars: (1..<6).flatMap { r in (4..<11).map { a[r, $0] } })
    let subB = Tensor(shape: [5, 17], scalars: (0..<5).flatMap { r in (2..<19).map { b[r, $0] } })
    let product = Reference.matmul(subA, subB, transposeA: true)  // (7, 17)
    for r in 0..<12 {
      for col in 0..<24 {
        let inside = (2..<9).contains(r) && (3..<20).contains(col)
        let expected = inside ? c0[r, col] - product[r - 2, col - 3] : c0[r, col]
        #expect(abs(c[r, col] - expected) <= 1e-5 * max(1, abs(expected)), "(\(r), \(col))")
      }
    }
  }

  @Test("empty dimensions give empty or zero products")
  func emptyDimensions() {
    #expect(matmul(Tensor(shape: [0, 3]), Tensor(shape: [3, 2])).shape == [0, 2])
    #expect(matmul(Tensor(shape: [2, 0]), Tensor(shape: [0, 3])) == Tensor(shape: [2, 3]))
    var c = Tensor(shape: [2, 2], repeating: 3)
    gemm(Tensor(shape: [2, 0]), Tensor(shape: [0, 2]), into: &c, alpha: 1, beta: 2)
    #expect(c == Tensor(shape: [2, 2], repeating: 6))
  }

  @Test("accumulateGram fills the full symmetric alpha·XᵀX + beta·H", arguments: [1, 7, 33, 129])
  func gramTwin(d: Int) {
    let x = gaussianTensor(2 * d + 1, d, seed: 6)  // (n, d)
    let h0 = spdMatrix(d, seed: 7)  // (d, d), symmetric
    var h = h0
    accumulateGram(x, into: &h, alpha: 0.25, beta: 0.75)
    let expected = 0.25 * Reference.gram(x) + 0.75 * h0
    #expect(relativeError(h, expected) <= Tolerance.product(innerDimension: 2 * d + 1))
    #expect(h == h.transposed(), "both triangles filled")
    var empty = h0
    accumulateGram(Tensor(shape: [0, d]), into: &empty, alpha: 1, beta: 2)
    #expect(empty == 2 * h0)
  }

  @Test("solveTriangular equals the reference for every side, triangle and transpose",
        arguments: [1, 7, 33, 129])
  func solveTwin(n: Int) {
    for side in [MatrixSide.left, .right] {
      for upper in [false, true] {
        for transpose in [false, true] {
          for unitDiagonal in [false, true] {
            let t = triangularMatrix(n, upper: upper, seed: 8)  // (n, n)
            let b = side == .left ? gaussianTensor(n, 5, seed: 9) : gaussianTensor(5, n, seed: 9)
            let fast = solveTriangular(t, b, side: side, upper: upper, transpose: transpose,
                                       unitDiagonal: unitDiagonal)
            let reference = Reference.solveTriangular(t, b, side: side, upper: upper,
                                                      transpose: transpose, unitDiagonal: unitDiagonal)
            #expect(relativeError(fast, reference) <= Tolerance.factorization,
                    "\(side) upper \(upper) transpose \(transpose) unit \(unitDiagonal)")
          }
        }
      }
    }
  }

  @Test("solveTriangular really solves: op(T)·X = B")
  func solveResidual() {
    let t = triangularMatrix(33, upper: false, seed: 10)
    let b = gaussianTensor(33, 4, seed: 11)  // (n, columns)
    let x = solveTriangular(t, b, upper: false, transpose: true)
    #expect(relativeError(Reference.matmul(t, x, transposeA: true), b) <= Tolerance.factorization)
  }

  @Test("elementwise helpers")
  func helpers() {
    let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    #expect(a.transposed() == Tensor(shape: [3, 2], scalars: [1, 4, 2, 5, 3, 6]))
    #expect(a + a == 2 * a)
    #expect((a - a).frobeniusNorm == 0)
    #expect(Tensor(shape: [2], scalars: [3, 4]).frobeniusNorm == 5)
    #expect(Tensor.identity(2) == Tensor(shape: [2, 2], scalars: [1, 0, 0, 1]))
    var b = a
    b[1, 2] = 9
    #expect(b.scalars == [1, 2, 3, 4, 5, 9] && a[1, 2] == 6)
  }
}
