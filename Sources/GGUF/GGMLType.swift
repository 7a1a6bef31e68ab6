/// A ggml tensor type, as numbered by `enum ggml_type` in ggml.h.
///
/// The reader knows the block geometry of every type still found in files, so it can validate
/// any tensor; `isDequantizable` says which ones `dequantize` turns into Float32.
public enum GGMLType: UInt32, Sendable, Hashable, CaseIterable, CustomStringConvertible {
  case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9
  case q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, q8_K = 15
  case iq2_xxs = 16, iq2_xs = 17, iq3_xxs = 18, iq1_s = 19, iq4_nl = 20, iq3_s = 21, iq2_s = 22
  case iq4_xs = 23, i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28, iq1_m = 29, bf16 = 30
  case tq1_0 = 34, tq2_0 = 35, mxfp4 = 39, nvfp4 = 40, q1_0 = 41, q2_0 = 42

  /// Weights per block (1 for plain element types).
  public var blockSize: Int {
    switch self {
    case .f32, .f16, .bf16, .f64, .i8, .i16, .i32, .i64: 1
    case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1, .iq4_nl, .mxfp4: 32
    case .nvfp4, .q2_0: 64
    case .q1_0: 128
    case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K, .iq2_xxs, .iq2_xs, .iq3_xxs, .iq1_s, .iq3_s,
      .iq2_s, .iq4_xs, .iq1_m, .tq1_0, .tq2_0:
      256
    }
  }

  /// Bytes per block (`ggml_type_size`).
  public var blockBytes: Int {
    switch self {
    case .f32, .i32: 4
    case .f16, .bf16, .i16: 2
    case .f64, .i64: 8
    case .i8: 1
    case .q4_0, .iq4_nl: 18
    case .q4_1: 20
    case .q5_0: 22
    case .q5_1: 24
    case .q8_0: 34
    case .q8_1, .nvfp4: 36
    case .q1_0, .q2_0: 18
    case .mxfp4: 17
    case .q2_K: 84
    case .q3_K, .iq3_s: 110
    case .q4_K: 144
    case .q5_K: 176
    case .q6_K: 210
    case .q8_K: 292
    case .iq2_xxs, .tq2_0: 66
    case .iq2_xs: 74
    case .iq2_s: 82
    case .iq3_xxs: 98
    case .iq1_s: 50
    case .iq1_m: 56
    case .iq4_xs: 136
    case .tq1_0: 54
    }
  }

  /// Whether `dequantize(_:as:into:)` handles this type.
  public var isDequantizable: Bool {
    switch self {
    case .f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K:
      true
    default:
      false
    }
  }

  /// ggml's upper-case name: `Q4_1`, `F32`, `IQ2_XXS`.
  public var name: String { Self.names[self]! }

  private static let names: [GGMLType: String] = [
    .f32: "F32", .f16: "F16", .q4_0: "Q4_0", .q4_1: "Q4_1", .q5_0: "Q5_0", .q5_1: "Q5_1", .q8_0: "Q8_0",
    .q8_1: "Q8_1", .q2_K: "Q2_K", .q3_K: "Q3_K", .q4_K: "Q4_K", .q5_K: "Q5_K", .q6_K: "Q6_K", .q8_K: "Q8_K",
    .iq2_xxs: "IQ2_XXS", .iq2_xs: "IQ2_XS", .iq3_xxs: "IQ3_XXS", .iq1_s: "IQ1_S", .iq4_nl: "IQ4_NL",
    .iq3_s: "IQ3_S", .iq2_s: "IQ2_S", .iq4_xs: "IQ4_XS", .i8: "I8", .i16: "I16", .i32: "I32", .i64: "I64",
    .f64: "F64", .iq1_m: "IQ1_M", .bf16: "BF16", .tq1_0: "TQ1_0", .tq2_0: "TQ2_0", .mxfp4: "MXFP4",
    .nvfp4: "NVFP4", .q1_0: "Q1_0", .q2_0: "Q2_0",
  ]

  /// The same as `name`.
  public var description: String { name }
}
