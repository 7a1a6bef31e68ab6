import Safetensors

/// Every way a GGUF file or an import can be refused: one case per rule.
///
/// Byte offsets are absolute positions in the file. Messages name the key, tensor or file and
/// the numbers involved.
public indirect enum GGUFError: Error, Equatable, Sendable, CustomStringConvertible {
  // MARK: Framing

  /// The file does not start with the bytes `GGUF`.
  case badMagic(found: [UInt8])
  /// The version field is not one this reader understands (2 and 3).
  case unsupportedVersion(UInt32)
  /// A field needs `needed` bytes at `offset`, but the file ends first.
  case truncated(what: String, offset: Int, needed: Int, fileSize: Int)
  /// A count or length field claims more items than the remaining bytes could hold.
  case countTooLarge(what: String, count: UInt64, offset: Int, remaining: Int)

  // MARK: Metadata

  /// A metadata value type id is not one of GGUF's 13 value types.
  case unknownValueType(key: String, type: UInt32, offset: Int)
  /// A string (key, value, or tensor name) is not valid UTF-8.
  case invalidUTF8(what: String, offset: Int)
  /// Arrays nest deeper than the limit.
  case arrayTooDeep(key: String, limit: Int)
  /// A boolean byte is neither 0 nor 1.
  case invalidBool(key: String, byte: UInt8, offset: Int)
  /// The same metadata key appears twice.
  case duplicateKey(String)
  /// `general.alignment` is not a uint32 power of two.
  case invalidAlignment(found: String)
  /// A metadata key the caller needs is absent.
  case missingMetadata(key: String)
  /// A metadata value has the wrong type, or a value out of range.
  case invalidMetadata(key: String, expected: String, found: String)

  // MARK: Tensor infos

  /// A tensor name appears twice.
  case duplicateTensor(String)
  /// A tensor name is empty or longer than llama.cpp's 63-byte limit.
  case invalidTensorName(name: String, length: Int)
  /// A tensor has more dimensions than ggml's 4.
  case tooManyDimensions(tensor: String, count: UInt32)
  /// A dimension is negative.
  case negativeDimension(tensor: String, dimensions: [Int64])
  /// The tensor type id is not a ggml type.
  case unknownTensorType(tensor: String, type: UInt32)
  /// The row length (innermost dimension) is not a multiple of the type's block size.
  case rowNotBlockAligned(tensor: String, type: GGMLType, rowLength: Int, blockSize: Int)
  /// The element or byte count of a tensor overflows `Int`.
  case sizeOverflow(tensor: String, dimensions: [Int64])
  /// A tensor's data offset is not a multiple of the file's alignment.
  case misalignedOffset(tensor: String, offset: UInt64, alignment: Int)
  /// A tensor's data runs past the end of the file.
  case dataPastEnd(tensor: String, end: UInt64, fileSize: Int)
  /// Two tensors' data ranges overlap.
  case overlappingTensors(tensor: String, begin: Int, previous: String, previousEnd: Int)

  // MARK: Dequantization and import

  /// A tensor's type has no dequantization here (IQ types, integers, …).
  case unsupportedTensorType(tensor: String, type: GGMLType)
  /// `general.architecture` is not one the importer handles.
  case unsupportedArchitecture(String)
  /// `tokenizer.ggml.model` (or its pre-tokenizer) is not one the importer can rebuild.
  case unsupportedTokenizer(model: String, pre: String?)
  /// A tensor the architecture needs is absent.
  case missingTensor(String)
  /// A tensor that the architecture does not define is present.
  case unexpectedTensor(String)
  /// A tensor's shape disagrees with the hyperparameters.
  case shapeMismatch(tensor: String, expected: [Int], found: [Int])
  /// Tokenizer metadata is inconsistent (array lengths, token ids, merge syntax).
  case invalidTokenizer(reason: String)
  /// The destination folder exists and is not empty.
  case destinationNotEmpty(path: String)
  /// Writing the safetensors output failed.
  case output(SafetensorsError)
  /// A system call failed; `reason` names the call and the errno text.
  case io(path: String, reason: String)
  /// Wraps an error with the path of the GGUF file it concerns.
  case file(path: String, GGUFError)

  /// Wraps `self` with a file path unless it already carries one.
  func inFile(_ path: String) -> GGUFError {
    if case .file = self { return self }
    return .file(path: path, self)
  }
}
