// Caller misuse is a precondition failure (checked in a child process by exit tests).
import Testing
import TensorCore

@Suite("Preconditions on misuse")
struct PreconditionTests {
  @Test("matmul with mismatched inner dimensions stops")
  func matmulMismatch() async {
    await #expect(processExitsWith: .failure) {
      _ = matmul(Tensor(shape: [2, 3]), Tensor(shape: [4, 5]))
    }
  }

  @Test("decodeFloats with a partial element stops")
  func partialElement() async {
    await #expect(processExitsWith: .failure) {
      _ = [UInt8](repeating: 0, count: 3).withUnsafeBytes { decodeFloats($0, as: .f16) }
    }
  }

  @Test("cholesky of a non-square matrix stops")
  func choleskyNonSquare() async {
    await #expect(processExitsWith: .failure) {
      _ = try? cholesky(Tensor(shape: [2, 3]))
    }
  }
}
