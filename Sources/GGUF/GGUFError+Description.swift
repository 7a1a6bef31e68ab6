extension GGUFError {
  /// A one-line message naming the key, tensor or file and the numbers.
  public var description: String {
    framingDescription ?? tensorDescription ?? importDescription
  }

  private var framingDescription: String? {
    switch self {
    case .badMagic(let found):
      "not a GGUF file: starts with \(found.map { String($0, radix: 16) }) instead of `GGUF`"
    case .unsupportedVersion(let version):
      "GGUF version \(version) is not supported (2 and 3 are)"
    case .truncated(let what, let offset, let needed, let fileSize):
      "truncated file: \(what) needs \(needed) bytes at offset \(offset), but the file is \(fileSize) bytes"
    case .countTooLarge(let what, let count, let offset, let remaining):
      "\(what) of \(count) at offset \(offset) cannot fit in the \(remaining) bytes left in the file"
    case .unknownValueType(let key, let type, let offset):
      "metadata `\(key)`: unknown value type \(type) at offset \(offset)"
    case .invalidUTF8(let what, let offset):
      "\(what) at offset \(offset) is not valid UTF-8"
    case .arrayTooDeep(let key, let limit):
      "metadata `\(key)`: arrays nest deeper than \(limit) levels"
    case .invalidBool(let key, let byte, let offset):
      "metadata `\(key)`: boolean byte \(byte) at offset \(offset) is neither 0 nor 1"
    case .duplicateKey(let key):
      "metadata key `\(key)` appears twice"
    case .invalidAlignment(let found):
      "`general.alignment` must be a uint32 power of two, found \(found)"
    case .missingMetadata(let key):
      "metadata `\(key)` is missing"
    case .invalidMetadata(let key, let expected, let found):
      "metadata `\(key)`: expected \(expected), found \(found)"
    default: nil
    }
  }

  private var tensorDescription: String? {
    switch self {
    case .duplicateTensor(let name):
      "tensor `\(name)` appears twice"
    case .invalidTensorName(let name, let length):
      "tensor name `\(name)` is \(length) bytes; names must be 1...63 bytes"
    case .tooManyDimensions(let tensor, let count):
      "tensor `\(tensor)`: \(count) dimensions, ggml allows at most 4"
    case .negativeDimension(let tensor, let dimensions):
      "tensor `\(tensor)`: negative dimension in \(dimensions)"
    case .unknownTensorType(let tensor, let type):
      "tensor `\(tensor)`: unknown ggml type \(type)"
    case .rowNotBlockAligned(let tensor, let type, let rowLength, let blockSize):
      "tensor `\(tensor)`: row length \(rowLength) is not a multiple of \(type.name)'s block of \(blockSize)"
    case .sizeOverflow(let tensor, let dimensions):
      "tensor `\(tensor)`: size of dimensions \(dimensions) overflows"
    case .misalignedOffset(let tensor, let offset, let alignment):
      "tensor `\(tensor)`: data offset \(offset) is not a multiple of the alignment \(alignment)"
    case .dataPastEnd(let tensor, let end, let fileSize):
      "tensor `\(tensor)`: data ends at byte \(end), past the end of the \(fileSize)-byte file"
    case .overlappingTensors(let tensor, let begin, let previous, let previousEnd):
      "tensor `\(tensor)` begins at data offset \(begin), inside `\(previous)` (which ends at \(previousEnd))"
    case .unsupportedTensorType(let tensor, let type):
      "tensor `\(tensor)`: dequantizing \(type.name) is not supported"
    default: nil
    }
  }

  private var importDescription: String {
    switch self {
    case .unsupportedArchitecture(let name):
      "architecture `\(name)` is not supported by the importer (only `llama`)"
    case .unsupportedTokenizer(let model, let pre):
      "tokenizer `\(model)`" + (pre.map { " with pre-tokenizer `\($0)`" } ?? "") + " is not supported"
    case .missingTensor(let name):
      "tensor `\(name)` is missing"
    case .unexpectedTensor(let name):
      "tensor `\(name)` is not part of a llama model"
    case .shapeMismatch(let tensor, let expected, let found):
      "tensor `\(tensor)`: shape \(found), expected \(expected) from the hyperparameters"
    case .invalidTokenizer(let reason):
      "invalid tokenizer metadata: \(reason)"
    case .destinationNotEmpty(let path):
      "\(path) exists and is not an empty folder"
    case .output(let error):
      error.description
    case .io(let path, let reason):
      "\(path): \(reason)"
    case .file(let path, let inner):
      "\(path): \(inner.description)"
    default:
      "unreachable"
    }
  }
}
