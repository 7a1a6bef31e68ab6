import Foundation
import TensorCore

/// The activation functions of the supported architectures, named as in Hugging Face configs.
public enum Activation: Sendable, Equatable, CaseIterable {
  /// `gelu`: x·Φ(x) with the exact error function.
  case gelu
  /// `gelu_new`, `gelu_pytorch_tanh`: the tanh approximation 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))).
  case geluTanh
  /// `silu` (`swish`): x·σ(x).
  case silu
  /// `relu`: max(x, 0).
  case relu

  /// The activation a Hugging Face `hidden_act` / `activation_function` names, or `nil`.
  public init?(huggingFaceName name: String) {
    switch name {
    case "gelu": self = .gelu
    case "gelu_new", "gelu_pytorch_tanh": self = .geluTanh
    case "silu", "swish": self = .silu
    case "relu": self = .relu
    default: return nil
    }
  }

  /// The activation of one value.
  @inline(__always)
  public func callAsFunction(_ x: Float) -> Float {
    switch self {
    case .gelu: return 0.5 * x * (1 + erf(x * 0.707_106_781_186_547_5))
    case .geluTanh:
      let inner: Float = 0.797_884_560_802_865_4 * (x + 0.044715 * x * x * x)
      return 0.5 * x * (1 + tanh(inner))
    case .silu: return x / (1 + exp(-x))
    case .relu: return max(x, 0)
    }
  }

  /// Applies the activation to every element in place.
  public func apply(_ x: inout Tensor) {
    x.withUnsafeMutableBufferPointer { p in
      for i in p.indices { p[i] = self(p[i]) }
    }
  }
}
