import Foundation
import MappedMemory

/// A safetensors file (the Hugging Face weight format), mapped read-only: tensors are views into
/// the mapping, so opening costs one `mmap` and a parse of the JSON header, whatever the file's size.
///
/// Layout: an 8-byte little-endian header length `n`, `n` bytes of JSON
/// (`{"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, "__metadata__": {...}}`),
/// then the data section, which the offsets index.
///
/// Guarantees, all checked in `init` before any tensor byte is read:
/// - the header length is at most 100 MB and fits in the file; the header is a JSON object;
/// - every tensor has a known dtype, a shape of non-negative integers, and offsets with
///   `begin <= end <= data section size`;
/// - `end - begin` equals the element count times the dtype's size (no overflow);
/// - no two tensors share a byte.
///
/// So every view lies inside the file. Gaps between tensors are allowed. Typed views are zero-copy
/// and need the tensor to start at an offset aligned for its element type (true of files written by
/// the `safetensors` library for 4-byte types); ``float32Array(_:)`` copies and converts instead.
///
/// The views stay valid while this object lives. If another process truncates the file under the
/// mapping, reading the lost pages raises SIGBUS: model files are replaced by renaming, never rewritten.
public final class SafeTensors: @unchecked Sendable {
    /// The element types of the safetensors format.
    public enum DType: String, Sendable, CaseIterable {
        case bool = "BOOL", u8 = "U8", i8 = "I8", f8e5m2 = "F8_E5M2", f8e4m3 = "F8_E4M3"
        case i16 = "I16", u16 = "U16", f16 = "F16", bf16 = "BF16"
        case i32 = "I32", u32 = "U32", f32 = "F32"
        case f64 = "F64", i64 = "I64", u64 = "U64"

        /// Bytes per element.
        public var size: Int {
            switch self {
            case .bool, .u8, .i8, .f8e5m2, .f8e4m3: 1
            case .i16, .u16, .f16, .bf16: 2
            case .i32, .u32, .f32: 4
            case .f64, .i64, .u64: 8
            }
        }
    }

    /// One tensor's entry in the header.
    public struct TensorInfo: Sendable, Equatable {
        public let name: String
        public let dtype: DType
        public let shape: [Int]
        /// Byte range within the data section.
        public let dataRange: Range<Int>
        /// Number of elements (the product of `shape`; 1 for a scalar).
        public var elementCount: Int { shape.reduce(1, *) }
    }

    /// The largest header the format allows.
    public static let maximumHeaderLength = 100_000_000

    /// The file's path.
    public let path: String
    /// The tensors by name.
    public let tensors: [String: TensorInfo]
    /// The header's `__metadata__` strings (may be empty).
    public let metadata: [String: String]
    /// The file offset where the data section starts (8 + header length).
    public let dataOffset: Int

    private let file: MappedFile

    /// Maps the file at `path` and validates its header.
    ///
    /// Cost: one `open` + `mmap`, and a JSON parse of the header (about 11 KB for MiniLM).
    /// - Throws: ``SafeTensorsError`` naming what is wrong with the file.
    public init(path: String) throws(SafeTensorsError) {
        let file: MappedFile
        do {
            file = try MappedFile(path: path)
        } catch {
            throw SafeTensorsError(path: path, reason: .mapping(error))
        }
        let header = try file.withUnsafeBytes { bytes throws(SafeTensorsError) in
            try Self.parseHeader(bytes, path: path)
        }
        self.path = path
        self.tensors = header.tensors
        self.metadata = header.metadata
        self.dataOffset = header.dataOffset
        // Start reading ahead in the background; tensors are usually all read soon after opening.
        try? file.advise(.willNeed)
        self.file = file
    }

    /// The names of the tensors, sorted.
    public var names: [String] { tensors.keys.sorted() }

    /// Drops the pages that lie wholly inside the named tensors from this process's resident set
    /// (`madvise(MADV_DONTNEED)` on the read-only mapping): a later read finds them in the page cache
    /// or the file again. For tensors that have been copied elsewhere. Unknown names are skipped;
    /// failures are ignored (it is advice).
    func releasePages(of names: [String]) {
        for name in names {
            guard let info = tensors[name] else { continue }
            try? file.advise(.dontNeed, range: (dataOffset + info.dataRange.lowerBound)..<(dataOffset + info.dataRange.upperBound))
        }
    }

    /// The entry of the tensor `name`.
    /// - Throws: `.tensorNotFound`.
    public func info(_ name: String) throws(SafeTensorsError) -> TensorInfo {
        guard let info = tensors[name] else { throw SafeTensorsError(path: path, reason: .tensorNotFound(name)) }
        return info
    }

    /// The raw bytes of the tensor `name`, without copying; valid only inside `body`.
    /// - Throws: `.tensorNotFound`, or what `body` throws.
    public func withRawBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let info = try info(name)
        return try body(rawBuffer(info))
    }

    /// The elements of the tensor `name` as `T`, without copying; valid only inside `body`.
    ///
    /// `Float` views F32, `Int64` views I64, `UInt16` views the bits of F16 and BF16
    /// (convert with ``float(fromFloat16Bits:)`` and ``float(fromBFloat16Bits:)``).
    /// - Throws: `.tensorNotFound`, `.wrongDType`, `.misaligned`, or what `body` throws.
    public func withElements<T: SafeTensorsElement, R>(_ name: String, as type: T.Type, _ body: (UnsafeBufferPointer<T>) throws -> R) throws -> R {
        try body(unsafeElements(name, as: type))
    }

    /// A copy of the tensor `name` as `Float`, converting F16 and BF16 (and F32 at any alignment).
    /// - Throws: `.tensorNotFound`, `.wrongDType` for other dtypes.
    public func float32Array(_ name: String) throws(SafeTensorsError) -> [Float] {
        let info = try info(name)
        let raw = rawBuffer(info)
        let count = info.elementCount
        switch info.dtype {
        case .f32:
            return (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
        case .f16:
            return (0..<count).map { Self.float(fromFloat16Bits: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) }
        case .bf16:
            return (0..<count).map { Self.float(fromBFloat16Bits: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) }
        default:
            throw SafeTensorsError(path: path, reason: .wrongDType(tensor: name, expected: "F32, F16 or BF16", actual: info.dtype))
        }
    }

    /// The elements of the tensor `name` as `T`, after checking dtype, shape (when given) and alignment.
    ///
    /// The buffer points into the mapping and is valid for as long as this object lives: the caller
    /// must keep a strong reference for as long as it uses the buffer.
    public func unsafeElements<T: SafeTensorsElement>(_ name: String, as type: T.Type, shape: [Int]? = nil) throws(SafeTensorsError) -> UnsafeBufferPointer<T> {
        let info = try info(name)
        guard T.dtypes.contains(info.dtype) else {
            throw SafeTensorsError(path: path, reason: .wrongDType(tensor: name, expected: T.dtypes.map(\.rawValue).sorted().joined(separator: " or "), actual: info.dtype))
        }
        if let shape, shape != info.shape {
            throw SafeTensorsError(path: path, reason: .wrongShape(tensor: name, expected: shape, actual: info.shape))
        }
        let raw = rawBuffer(info)
        let fileOffset = dataOffset + info.dataRange.lowerBound
        guard info.dataRange.isEmpty || Int(bitPattern: raw.baseAddress) % MemoryLayout<T>.alignment == 0 else {
            throw SafeTensorsError(path: path, reason: .misaligned(tensor: name, fileOffset: fileOffset, alignment: MemoryLayout<T>.alignment))
        }
        return raw.assumingMemoryBound(to: T.self)
    }

    private func rawBuffer(_ info: TensorInfo) -> UnsafeRawBufferPointer {
        // Validated in init: dataOffset + dataRange lies inside the mapping.
        file.withUnsafeBytes { bytes in
            UnsafeRawBufferPointer(rebasing: bytes[(dataOffset + info.dataRange.lowerBound)..<(dataOffset + info.dataRange.upperBound)])
        }
    }

    /// IEEE 754 half precision bits to `Float` (exact).
    public static func float(fromFloat16Bits bits: UInt16) -> Float {
        let sign = UInt32(bits >> 15) << 31
        let exponent = Int((bits >> 10) & 0x1F)
        let mantissa = UInt32(bits & 0x3FF)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa × 2^-24.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        default:
            return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
        }
    }

    /// bfloat16 bits (the upper half of a `Float`) to `Float` (exact).
    public static func float(fromBFloat16Bits bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }
}

/// An element type that a safetensors tensor can be viewed as without copying.
public protocol SafeTensorsElement: BitwiseCopyable {
    /// The dtypes whose bytes are values of this type.
    static var dtypes: Set<SafeTensors.DType> { get }
}

extension Float: SafeTensorsElement {
    public static var dtypes: Set<SafeTensors.DType> { [.f32] }
}

extension Int64: SafeTensorsElement {
    public static var dtypes: Set<SafeTensors.DType> { [.i64] }
}

extension UInt16: SafeTensorsElement {
    /// The raw bits of half-precision and bfloat16 values.
    public static var dtypes: Set<SafeTensors.DType> { [.f16, .bf16] }
}
