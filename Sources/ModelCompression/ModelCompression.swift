// The umbrella module: `import ModelCompression` gives the whole library.
@_exported import Compression
@_exported import CompressionPasses
@_exported import GGUF
@_exported import Inference
@_exported import Safetensors
@_exported import TensorCore
@_exported import Tokenizers
