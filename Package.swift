// swift-tools-version: 6.1
import PackageDescription

// Dependencies point down only:
// compress ─► ModelCompression ─► CompressionPasses ─► Compression ─┬► Inference ─┬► TensorCore ─► COpenBLAS
//                                                                  │             ├► Safetensors ─► CZstd
//                                                                  │             └► Tokenizers
//                                                                  └► GGUF ─► TensorCore, Safetensors
let package = Package(
  name: "swift-model-compression",
  products: [
    .library(name: "ModelCompression", targets: ["ModelCompression"]),
    .executable(name: "compress", targets: ["compress"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
  ],
  targets: [
    // MARK: - System libraries (C shims; no Swift API of their own)
    .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),

    // MARK: - Library modules, bottom-up
    .target(name: "Safetensors", dependencies: ["CZstd"]),
    .target(name: "TensorCore", dependencies: ["COpenBLAS"]),
    .target(name: "Tokenizers"),
    .target(name: "GGUF", dependencies: ["TensorCore", "Safetensors"]),
    .target(name: "Inference", dependencies: ["TensorCore", "Safetensors", "Tokenizers"]),
    .target(
      name: "Compression",
      dependencies: [
        "Safetensors", "TensorCore", "Inference", "GGUF", .product(name: "Yams", package: "Yams"),
      ]),
    .target(name: "CompressionPasses", dependencies: ["Compression"]),
    .target(
      name: "ModelCompression",
      dependencies: [
        "Safetensors", "TensorCore", "Tokenizers", "GGUF", "Inference", "Compression",
        "CompressionPasses",
      ]),

    // MARK: - The command-line tool
    .executableTarget(
      name: "compress",
      dependencies: [
        "ModelCompression", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    // MARK: - Tests
    .target(name: "CompressionTestSupport", dependencies: ["Safetensors", "TensorCore"]),
    .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "CompressionTestSupport"]),
    .testTarget(name: "GGUFTests", dependencies: ["GGUF", "CompressionTestSupport"]),
    .testTarget(name: "InferenceTests", dependencies: ["Inference", "CompressionTestSupport"]),
    .testTarget(
      name: "SafetensorsTests",
      dependencies: [
        "Safetensors", "CompressionTestSupport",
        .product(name: "PropertyBased", package: "swift-property-based"),
      ]),
    .testTarget(
      name: "TensorCoreTests",
      dependencies: [
        "TensorCore", "CompressionTestSupport",
        .product(name: "PropertyBased", package: "swift-property-based"),
      ]),
    .testTarget(
      name: "CompressionTests",
      dependencies: [
        "Compression", "CompressionTestSupport",
        .product(name: "PropertyBased", package: "swift-property-based"),
      ]),
    .testTarget(
      name: "CompressionPassesTests",
      dependencies: ["CompressionPasses", "ModelCompression", "CompressionTestSupport"]),
    .testTarget(name: "CLITests", dependencies: ["ModelCompression", "CompressionTestSupport"]),
  ]
)
