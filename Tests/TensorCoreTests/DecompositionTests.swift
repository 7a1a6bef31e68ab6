// SVD and symmetric eigen decompositions checked by reconstruction, orthogonality, the Jacobi
// reference spectrum, Eckart–Young, and numpy golden values.
import Testing
import TensorCore

/// Awkward `(m, n)` shapes: tall, wide, square, vectors.
let decompositionShapes: [(Int, Int)] = [(1, 1), (7, 7), (33, 7), (7, 33), (1, 33), (33, 1), (129, 33), (33, 129), (129, 129)]

@Suite("Decompositions")
struct DecompositionTests {
  @Test("svd reconstructs A with orthonormal factors and descending values", arguments: decompositionShapes)
  func svdReconstruction(shape: (Int, Int)) throws {
    let (m, n) = shape
    let a = gaussianTensor(m, n, seed: 30)  // (m, n)
    let (u, s, vt) = try svd(a)
    let k = min(m, n)
    #expect(u.shape == [m, k] && s.count == k && vt.shape == [k, n])
    #expect(relativeError(Reference.reconstruct(u: u, s: s, vt: vt), a) <= Tolerance.reconstruction)
    #expect(Reference.orthogonalityDefect(columnsOf: u) <= Tolerance.orthogonality)
    #expect(Reference.orthogonalityDefect(columnsOf: vt.transposed()) <= Tolerance.orthogonality)
    #expect(zip(s, s.dropFirst()).allSatisfy { $0 >= $1 } && s.allSatisfy { $0 >= 0 })
  }

  @Test("singular values equal the square roots of the Jacobi eigenvalues of AᵀA",
        arguments: [(7, 7), (33, 7), (7, 33), (1, 7), (24, 24)])
  func svdSpectrum(shape: (Int, Int)) throws {
    let a = gaussianTensor(shape.0, shape.1, seed: 31)
    let s = try svd(a).s
    let expected = Reference.singularValues(a)
    let scale = Float(expected.first ?? 1)
    for (actual, value) in zip(s, expected) {
      #expect(abs(actual - Float(value)) <= Tolerance.spectrum * scale)
    }
  }

  @Test("symmetricEigen equals the Jacobi reference and reconstructs A", arguments: [1, 7, 24, 33])
  func eigenTwin(n: Int) throws {
    let x = gaussianTensor(n, n, seed: 32)
    let a = 0.5 * (x + x.transposed())  // (n, n), symmetric indefinite
    let (values, vectors) = try symmetricEigen(a)
    let reference = Reference.symmetricEigen(a)
    let scale = Float(reference.values.map(abs).max() ?? 1)
    for (actual, expected) in zip(values, reference.values) {
      #expect(abs(actual - Float(expected)) <= Tolerance.spectrum * scale)
    }
    #expect(zip(values, values.dropFirst()).allSatisfy { $0 <= $1 })
    #expect(Reference.orthogonalityDefect(columnsOf: vectors) <= Tolerance.orthogonality)
    let rebuilt = Reference.reconstruct(u: vectors, s: values, vt: vectors.transposed())
    #expect(relativeError(rebuilt, a) <= Tolerance.reconstruction)
    for column in 0..<n {  // A v = λ v for the eigenvector in each column
      let v = Tensor(shape: [n, 1], scalars: (0..<n).map { vectors[$0, column] })
      let residual = (Reference.matmul(a, v) - values[column] * v).frobeniusNorm
      #expect(residual <= Tolerance.reconstruction * a.frobeniusNorm, "eigenpair \(column)")
    }
  }

  @Test("Eckart–Young: rank-k truncation error is sqrt of the dropped s²")
  func eckartYoung() throws {
    for seed in UInt64(0)..<8 {
      let (m, n) = (20 + Int(seed) * 3, 31 - Int(seed) * 2)
      let a = gaussianTensor(m, n, seed: 200 + seed)
      let (u, s, vt) = try svd(a)
      for rank in [0, 1, s.count / 2, s.count - 1, s.count] {
        var truncated = s
        for i in rank..<s.count { truncated[i] = 0 }
        let error = (a - Reference.reconstruct(u: u, s: truncated, vt: vt)).frobeniusNorm
        let dropped = s[rank...].reduce(Double(0)) { $0 + Double($1) * Double($1) }.squareRoot()
        #expect(abs(error - Float(dropped)) <= Tolerance.reconstruction * a.frobeniusNorm,
                "(\(m), \(n)) rank \(rank)")
      }
    }
  }
}

@Suite("Linear algebra vs numpy")
struct LinearAlgebraGoldenTests {
  @Test("matmul, cholesky, inverse and eigenvalues match numpy")
  func products() throws {
    let golden = try linalgGolden()
    let c = matmul(golden["matmul_a"]!.tensor, golden["matmul_b"]!.tensor)
    #expect(relativeError(c, golden["matmul_c"]!.tensor) <= Tolerance.golden)
    let spd = golden["spd"]!.tensor
    #expect(relativeError(try cholesky(spd), golden["cholesky_lower"]!.tensor) <= Tolerance.golden)
    let inverse = try inverseFromCholesky(try cholesky(spd), upper: false)
    #expect(relativeError(inverse, golden["spd_inverse"]!.tensor) <= 10 * Tolerance.golden)
    let values = try symmetricEigen(spd).values
    #expect(closenessOK(values, golden["eigen_values"]!.tensor.scalars))
  }

  @Test("svd matches numpy up to the sign of each singular pair", arguments: ["tall", "wide"])
  func svdGolden(name: String) throws {
    let golden = try linalgGolden()
    let (u, s, vt) = try svd(golden["svd_\(name)"]!.tensor)
    let (gu, gs, gvt) = (golden["svd_\(name)_u"]!.tensor, golden["svd_\(name)_s"]!.tensor.scalars,
                         golden["svd_\(name)_vt"]!.tensor)
    #expect(closenessOK(s, gs))
    var aligned = (u: u, vt: vt)
    for k in 0..<s.count {
      let dot = (0..<u.shape[0]).reduce(Float(0)) { $0 + u[$1, k] * gu[$1, k] }
      if dot < 0 {
        for row in 0..<u.shape[0] { aligned.u[row, k] = -u[row, k] }
        for column in 0..<vt.shape[1] { aligned.vt[k, column] = -vt[k, column] }
      }
    }
    #expect(relativeError(aligned.u, gu) <= 10 * Tolerance.golden)
    #expect(relativeError(aligned.vt, gvt) <= 10 * Tolerance.golden)
  }

  private func closenessOK(_ actual: [Float], _ expected: [Float]) -> Bool {
    zip(actual, expected).allSatisfy { abs($0 - $1) <= Tolerance.golden * max(abs($1), 1) }
      && actual.count == expected.count
  }
}
