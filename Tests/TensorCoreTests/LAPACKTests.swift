// Cholesky, inverses and their errors, held to Double plain-loop twins and to A = L Lᵀ.
import Testing
import TensorCore

@Suite("LAPACK factorizations vs references")
struct LAPACKTests {
  @Test("cholesky equals the reference and reproduces A", arguments: [1, 7, 33, 129])
  func choleskyTwin(n: Int) throws {
    let a = spdMatrix(n, seed: 20)  // (n, n)
    let lower = try cholesky(a)
    let upper = try cholesky(a, upper: true)
    #expect(relativeError(lower, try Reference.cholesky(a)) <= Tolerance.factorization)
    // LAPACK's 'U' and 'L' paths order their sums differently, so U = Lᵀ only to rounding;
    // the zero triangle is exact.
    #expect(relativeError(upper, lower.transposed()) <= Tolerance.factorization)
    #expect((0..<n).allSatisfy { row in (0..<row).allSatisfy { upper[row, $0] == 0 && lower[$0, row] == 0 } })
    #expect(relativeError(Reference.matmul(lower, lower, transposeB: true), a) <= Tolerance.reconstruction)
  }

  @Test("cholesky reads only the named triangle")
  func choleskyTriangle() throws {
    var a = spdMatrix(7, seed: 21)
    let clean = try cholesky(a)
    for row in 0..<7 { for column in (row + 1)..<7 { a[row, column] = row == 0 ? .nan : 1e6 } }  // junk above
    #expect(try cholesky(a) == clean)
  }

  @Test("SPD property: A = L Lᵀ for seeded random SPD matrices of many sizes")
  func choleskyProperty() throws {
    for seed in UInt64(0)..<40 {
      let n = Int(seed % 24) + 1
      let a = spdMatrix(n, seed: 100 + seed)
      let l = try cholesky(a)
      #expect(relativeError(Reference.matmul(l, l, transposeB: true), a) <= Tolerance.reconstruction,
              "n \(n) seed \(seed)")
      for row in 0..<n { #expect(l[row, row] > 0) }
    }
  }

  @Test("inverseFromCholesky equals the Gauss–Jordan inverse", arguments: [1, 7, 33, 129])
  func inverseTwin(n: Int) throws {
    let a = spdMatrix(n, seed: 22)
    let expected = try Reference.inverse(a)
    for upper in [false, true] {
      let inverse = try inverseFromCholesky(try cholesky(a, upper: upper), upper: upper)
      #expect(relativeError(inverse, expected) <= Tolerance.factorization, "upper \(upper)")
      #expect(inverse == inverse.transposed())
    }
  }

  @Test("triangularInverse equals the reference", arguments: [1, 7, 33, 129])
  func triangularInverseTwin(n: Int) throws {
    for upper in [false, true] {
      let t = triangularMatrix(n, upper: upper, seed: 23)
      let inverse = try triangularInverse(t, upper: upper)
      #expect(relativeError(inverse, Reference.triangularInverse(t, upper: upper)) <= Tolerance.factorization)
      #expect(relativeError(Reference.matmul(t, inverse), .identity(n)) <= Tolerance.factorization)
    }
  }

  @Test("Double Cholesky and inverse agree with the Float32 ones")
  func doubleVariants() throws {
    let n = 33
    let a = spdMatrix(n, seed: 24)
    let doubles = a.scalars.map(Double.init)
    for upper in [false, true] {
      let factor = try cholesky(doubles, n: n, upper: upper)
      let asFloat = Tensor(shape: [n, n], scalars: factor.map { Float($0) })
      #expect(relativeError(asFloat, try cholesky(a, upper: upper)) <= Tolerance.factorization)
      let inverse = try inverseFromCholesky(factor, n: n, upper: upper)
      let inverseFloat = Tensor(shape: [n, n], scalars: inverse.map { Float($0) })
      #expect(relativeError(inverseFloat, try Reference.inverse(a)) <= Tolerance.factorization)
    }
  }

  @Test("invertCholeskyFactor equals triangularInverse(cholesky(a)) in place", arguments: [1, 7, 33, 129])
  func invertCholeskyFactorTwin(n: Int) throws {
    let a = spdMatrix(n, seed: 24)
    for upper in [false, true] {
      var inPlace = a
      try invertCholeskyFactor(&inPlace, upper: upper)
      let expected = try triangularInverse(try cholesky(a, upper: upper), upper: upper)
      #expect(relativeError(inPlace, expected) <= Tolerance.factorization, "upper \(upper)")
      let factor = try cholesky(a, upper: upper)
      #expect(relativeError(Reference.matmul(factor, inPlace), .identity(n)) <= Tolerance.factorization)
    }
    var indefinite = Tensor(shape: [3, 3], scalars: [1, 0, 0, 0, -1, 0, 0, 0, 1])
    #expect(throws: LinearAlgebraError.notPositiveDefinite(leadingMinor: 2)) {
      try invertCholeskyFactor(&indefinite, upper: false)
    }
    var withNaN = Tensor.identity(3)
    withNaN[2, 0] = .nan
    #expect(throws: LinearAlgebraError.nonFiniteInput(routine: "spotrf")) { try invertCholeskyFactor(&withNaN, upper: false) }
    var empty = Tensor(shape: [0, 0])
    try invertCholeskyFactor(&empty, upper: true)
    #expect(empty == Tensor(shape: [0, 0]))
  }

  @Test("each failure is its own error case")
  func errors() {
    let indefinite = Tensor(shape: [3, 3], scalars: [1, 0, 0, 0, -1, 0, 0, 0, 1])
    #expect(throws: LinearAlgebraError.notPositiveDefinite(leadingMinor: 2)) { try cholesky(indefinite) }
    #expect(throws: LinearAlgebraError.notPositiveDefinite(leadingMinor: 2)) {
      try Reference.cholesky(indefinite)
    }
    #expect(throws: LinearAlgebraError.notPositiveDefinite(leadingMinor: 2)) {
      try cholesky([1, 0, 0, -1], n: 2)
    }
    var withNaN = Tensor.identity(3)
    withNaN[1, 1] = .nan
    #expect(throws: LinearAlgebraError.nonFiniteInput(routine: "spotrf")) { try cholesky(withNaN) }
    #expect(throws: LinearAlgebraError.nonFiniteInput(routine: "sgesdd")) { try svd(withNaN) }
    #expect(throws: LinearAlgebraError.nonFiniteInput(routine: "ssyevd")) { try symmetricEigen(withNaN) }
    let singular = Tensor(shape: [2, 2], scalars: [1, 0, 5, 0])
    #expect(throws: LinearAlgebraError.singular(routine: "strtri", index: 1)) {
      try triangularInverse(singular, upper: false)
    }
    #expect(throws: LinearAlgebraError.singular(routine: "spotri", index: 1)) {
      try inverseFromCholesky(singular, upper: false)
    }
  }

  @Test("error messages name the routine and the numbers")
  func messages() {
    #expect(LinearAlgebraError.notPositiveDefinite(leadingMinor: 4).description
      == "matrix is not positive definite: leading minor of order 4 is not positive")
    #expect(LinearAlgebraError.noConvergence(routine: "sgesdd", info: 3).description
      == "sgesdd did not converge (info = 3)")
    #expect(LinearAlgebraError.illegalArgument(routine: "spotrf", position: 2).description
      == "spotrf rejected argument 2")
    #expect(LinearAlgebraError.nonFiniteInput(routine: "ssyevd").description
      == "ssyevd: input contains NaN or infinity")
    #expect(LinearAlgebraError.singular(routine: "strtri", index: 0).description
      == "strtri: matrix is singular (zero diagonal element at index 0)")
  }

  @Test("empty matrices factor to empty results")
  func empty() throws {
    let empty = Tensor(shape: [0, 0])
    #expect(try cholesky(empty) == empty)
    #expect(try triangularInverse(empty, upper: true) == empty)
    #expect(try inverseFromCholesky(empty, upper: false) == empty)
    #expect(try symmetricEigen(empty).values == [])
    let thin = try svd(Tensor(shape: [3, 0]))
    #expect(thin.u.shape == [3, 0] && thin.s == [] && thin.vt.shape == [0, 0])
  }
}
