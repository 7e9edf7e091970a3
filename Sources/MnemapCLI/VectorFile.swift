import Foundation

/// Float32 vectors in a file, as `mnemap index` reads them: raw little-endian rows with no
/// header (`.f32`, the dimension given), or a NumPy `.npy` array of dtype `'<f4'`, 2-D, in
/// C order (the dimension read from its header). A file starting with the NumPy magic is read
/// as `.npy` whatever its name.
///
/// The file is mapped, not read: a row is converted when it is asked for, so `--limit` on a
/// large file touches only the rows it uses.
struct VectorFile {
    let path: String
    let dimension: Int
    /// Whole rows in the file.
    let count: Int
    private let data: Data
    /// Where row 0 starts (after the `.npy` header).
    private let start: Int

    /// Opens `path`. `dimension` is required for raw files and checked against a `.npy` header;
    /// `dimensionSource` says where it came from, for messages ("--dimension 384 was given").
    init(path: String, dimension: Int?, dimensionSource: String) throws(CommandFailure) {
        self.path = path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw CommandFailure("'\(path)' does not exist. Give a .f32 or .npy file of vectors.")
        }
        guard !isFolder.boolValue else { throw CommandFailure("'\(path)' is a folder. Give a .f32 or .npy file of vectors.") }
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw CommandFailure("cannot read '\(path)': \(error.localizedDescription)")
        }
        if data.starts(with: NumPyHeader.magic) || path.hasSuffix(".npy") {
            let header = try NumPyHeader(data, path: path)
            if let dimension, dimension != header.columns {
                throw CommandFailure("'\(path)' holds rows of \(header.columns) dimensions, but \(dimensionSource).")
            }
            let expected = header.rows * header.columns * 4
            let stored = data.count - header.dataOffset
            guard stored == expected else {
                let problem = stored < expected ? "is truncated" : "has \(stored - expected) bytes past its data"
                throw CommandFailure("'\(path)' \(problem): its header says \(header.rows) × \(header.columns) float32 (\(expected) bytes), the file holds \(stored) bytes after the header.")
            }
            self.dimension = header.columns
            count = header.rows
            start = header.dataOffset
        } else {
            guard let dimension else {
                throw CommandFailure("'\(path)' is raw Float32 with no header: give its dimension with --dimension N.")
            }
            let rowBytes = dimension * 4
            guard dimension > 0, data.count % rowBytes == 0 else {
                throw CommandFailure(
                    "'\(path)' is \(data.count) bytes, not a whole number of rows of \(dimension) Float32 (\(rowBytes) bytes each; \(dimensionSource)). Check the dimension, or the file is truncated."
                )
            }
            self.dimension = dimension
            count = data.count / rowBytes
            start = 0
        }
    }

    /// Row `index` (0 ..< count) as Floats.
    func row(_ index: Int) -> [Float] {
        let dimension = dimension
        let offset = start + index * dimension * 4
        return data.withUnsafeBytes { raw in
            [Float](unsafeUninitializedCapacity: dimension) { buffer, initialized in
                for component in 0..<dimension {
                    let bits = raw.loadUnaligned(fromByteOffset: offset + component * 4, as: UInt32.self)
                    buffer[component] = Float(bitPattern: UInt32(littleEndian: bits))
                }
                initialized = dimension
            }
        }
    }

    /// The first `limit` rows (all without a limit).
    func rows(limit: Int? = nil) -> [[Float]] {
        (0..<min(count, limit ?? count)).map(row)
    }
}

/// The header of a NumPy `.npy` file (format versions 1 to 3): magic, version, header length,
/// then a Python dict literal such as `{'descr': '<f4', 'fortran_order': False, 'shape': (2000, 384), }`.
/// Only what `mnemap index` reads is accepted: little-endian float32, C order, two dimensions.
struct NumPyHeader {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    var rows: Int
    var columns: Int
    var dataOffset: Int

    init(_ data: Data, path: String) throws(CommandFailure) {
        func invalid(_ problem: String) -> CommandFailure {
            CommandFailure("'\(path)' is not a readable .npy file: \(problem). Save it with numpy.save of a float32 array.")
        }
        let bytes = [UInt8](data.prefix(12))
        guard bytes.count >= 10, bytes.starts(with: Self.magic) else { throw invalid("it does not start with the NumPy magic \\x93NUMPY") }
        let major = bytes[6]
        let length: Int
        let headerStart: Int
        switch major {
        case 1:
            length = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw invalid("the header is truncated") }
            length = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw invalid("format version \(major).\(bytes[7]) is not 1, 2 or 3")
        }
        guard headerStart + length <= data.count else { throw invalid("the header is truncated") }
        let text = String(decoding: data[(data.startIndex + headerStart)..<(data.startIndex + headerStart + length)], as: UTF8.self)

        guard let descr = Self.value(of: "descr", in: text) else { throw invalid("the header has no 'descr'") }
        let dtype = descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
        guard dtype == "<f4" else {
            throw CommandFailure(
                "'\(path)' holds dtype '\(dtype)', but only little-endian float32 ('<f4') is read. Convert it: numpy.save(path, array.astype('<f4'))."
            )
        }
        guard let order = Self.value(of: "fortran_order", in: text) else { throw invalid("the header has no 'fortran_order'") }
        guard order == "False" else {
            throw CommandFailure(
                "'\(path)' is stored in Fortran (column-major) order, but only C order is read. Save numpy.ascontiguousarray(array) instead."
            )
        }
        guard let shapeText = Self.value(of: "shape", in: text), shapeText.hasPrefix("("), shapeText.hasSuffix(")") else {
            throw invalid("the header has no 'shape'")
        }
        let fields = shapeText.dropFirst().dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let shape = fields.compactMap { Int($0) }
        guard shape.count == fields.count, shape.allSatisfy({ $0 >= 0 }) else { throw invalid("the shape \(shapeText) is not a tuple of sizes") }
        guard shape.count == 2 else {
            throw CommandFailure("'\(path)' has shape \(shapeText); expected two dimensions (rows, dimension). Reshape it to (-1, dimension) before saving.")
        }
        guard shape[1] > 0 else { throw invalid("rows of 0 dimensions") }
        rows = shape[0]
        columns = shape[1]
        dataOffset = headerStart + length
    }

    /// The text of the value after `'key':` in the header dict, up to the next top-level comma
    /// or closing brace: `'<f4'`, `False`, `(2000, 384)`.
    private static func value(of key: String, in header: String) -> String? {
        guard let found = header.range(of: "'\(key)':") ?? header.range(of: "\"\(key)\":") else { return nil }
        var depth = 0
        var value = ""
        for character in header[found.upperBound...] {
            if depth == 0 && (character == "," || character == "}") { break }
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            value.append(character)
        }
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? nil : trimmed
    }
}
