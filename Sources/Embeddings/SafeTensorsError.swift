import MappedMemory

/// Why a safetensors file could not be read, or a tensor in it could not be viewed as asked.
///
/// Every check happens when the file is opened (``SafeTensors/init(path:)``), before any tensor
/// byte is touched, so a damaged or hostile file gives one of these errors and never an
/// out-of-bounds read.
public struct SafeTensorsError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Reason: Equatable, Sendable {
        /// The file could not be opened or mapped.
        case mapping(MappedMemoryError)
        /// The file is shorter than the 8-byte header length.
        case fileTooSmall(size: Int)
        /// The header length is larger than the file, or than the 100 MB the format allows.
        case headerLengthInvalid(length: UInt64, fileSize: Int)
        /// The header is not a JSON object, or an entry lacks or misuses a field. The text says which.
        case headerInvalid(String)
        /// A tensor has a dtype this reader does not know.
        case unknownDType(tensor: String, dtype: String)
        /// A tensor's byte range does not match its shape and dtype.
        case sizeMismatch(tensor: String, expectedBytes: Int, actualBytes: Int)
        /// A tensor's `data_offsets` reach outside the data section of the file.
        case offsetsOutOfBounds(tensor: String, begin: Int, end: Int, dataSize: Int)
        /// Two tensors share bytes.
        case overlap(tensor: String, other: String)
        /// No tensor of this name in the file.
        case tensorNotFound(String)
        /// The tensor's dtype is not the one the caller asked for.
        case wrongDType(tensor: String, expected: String, actual: SafeTensors.DType)
        /// The tensor's shape is not the one the caller asked for.
        case wrongShape(tensor: String, expected: [Int], actual: [Int])
        /// The tensor's bytes are not aligned for a zero-copy typed view (copy it with `float32Array`).
        case misaligned(tensor: String, fileOffset: Int, alignment: Int)
    }

    /// The file.
    public var path: String
    /// Why it failed.
    public var reason: Reason

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        let subject = "safetensors file '\(path)'"
        switch reason {
        case .mapping(let error):
            return "\(subject): \(error)"
        case .fileTooSmall(let size):
            return "\(subject) is damaged: \(size) bytes, shorter than the 8-byte header length. Download it again."
        case .headerLengthInvalid(let length, let fileSize):
            return "\(subject) is damaged: its header claims \(length) bytes in a file of \(fileSize) bytes. Download it again."
        case .headerInvalid(let text):
            return "\(subject) has an invalid header: \(text). Download it again."
        case .unknownDType(let tensor, let dtype):
            return "\(subject): tensor '\(tensor)' has the unknown dtype '\(dtype)'."
        case .sizeMismatch(let tensor, let expected, let actual):
            return "\(subject) is damaged: tensor '\(tensor)' needs \(expected) bytes for its shape and dtype but its offsets span \(actual)."
        case .offsetsOutOfBounds(let tensor, let begin, let end, let dataSize):
            return "\(subject) is damaged: tensor '\(tensor)' lies at bytes \(begin)..<\(end) of a data section of \(dataSize) bytes. The file may be truncated; download it again."
        case .overlap(let tensor, let other):
            return "\(subject) is damaged: tensors '\(tensor)' and '\(other)' share bytes."
        case .tensorNotFound(let name):
            return "\(subject) has no tensor '\(name)'. Is it the right model file?"
        case .wrongDType(let tensor, let expected, let actual):
            return "\(subject): tensor '\(tensor)' is \(actual.rawValue), not \(expected)."
        case .wrongShape(let tensor, let expected, let actual):
            return "\(subject): tensor '\(tensor)' has shape \(actual), not \(expected). Is it the right model file?"
        case .misaligned(let tensor, let fileOffset, let alignment):
            return "\(subject): tensor '\(tensor)' starts at file offset \(fileOffset), not a multiple of \(alignment), so it cannot be viewed in place; copy it with float32Array(_:)."
        }
    }
}
