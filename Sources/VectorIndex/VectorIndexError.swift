import MappedMemory

/// Every error of VectorIndex: what went wrong, with which file, and what to do.
public struct VectorIndexError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Reason: Equatable, Sendable {
        case system(MappedMemoryError)
        /// The file is not a vector index file (no magic) or is too short.
        case notAnIndex
        case unsupportedVersion(UInt32)
        /// A header field is impossible (damaged or foreign file).
        case corruptHeader(String)
        /// A node or vector failed validation.
        case corrupt(String)
        /// A vector of the wrong dimension was given.
        case wrongDimension(expected: Int, got: Int)
        /// The dimension or parameters are outside what the index supports.
        case invalidConfiguration(String)
        /// An id that is not (or no longer) in the index.
        case unknownID(UInt32)
        /// A write on an index opened read-only.
        case readOnly
        /// Another process has the index open for writing.
        case writerExists
        /// A vector holds NaN or infinity.
        case notFinite
    }

    public var path: String
    public var reason: Reason

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .system(let error): return error.description
        case .notAnIndex: return "'\(path)' is not a Mnemap vector index file. Check the path."
        case .unsupportedVersion(let version): return "'\(path)' is a vector index of format version \(version), which this build does not read."
        case .corruptHeader(let problem): return "'\(path)' has a damaged header (\(problem)). Rebuild the index from its vectors (`mnemap index build`)."
        case .corrupt(let problem): return "'\(path)' is damaged: \(problem). Run `mnemap index check`, then rebuild or compact."
        case .wrongDimension(let expected, let got): return "a vector of \(got) dimensions was given to an index of \(expected) dimensions at '\(path)'."
        case .invalidConfiguration(let problem): return "invalid vector index configuration: \(problem)"
        case .unknownID(let id): return "id \(id) is not in the index at '\(path)'."
        case .readOnly: return "the index at '\(path)' was opened read-only; open it with writable: true to change it."
        case .writerExists: return "another process has the index at '\(path)' open for writing; only one writer at a time. Close it, or open read-only."
        case .notFinite: return "a vector holds NaN or infinity; every component must be finite."
        }
    }

    static func wrap(_ error: MappedMemoryError, path: String) -> VectorIndexError {
        VectorIndexError(path: path, reason: .system(error))
    }
}
