import MappedMemory

/// The one error type of MappedJournal: what was being done, in which file and where, and why.
///
/// `description` is written for the person running the program: it names the operation,
/// the segment (or cursor) file and the byte offset in it, the reason, and what to do.
public struct JournalError: Error, Equatable, CustomStringConvertible, Sendable {
    /// Why an operation failed.
    public enum Reason: Equatable, Sendable {
        /// The system refused (open, map, flush, sync, lock, ...); the underlying error says why.
        case system(MappedMemoryError)
        /// A segment's header is not a valid MappedJournal header (wrong magic, version, size or checksum).
        case damagedSegmentHeader(String)
        /// A record's bytes are not a valid record (bad checksum, impossible length, wrong index).
        case damagedRecord(String)
        /// A cursor file is damaged or describes an impossible position.
        case damagedCursor(String)
        /// A payload is larger than a record may be.
        case payloadTooLarge(size: Int, maximum: Int)
        /// The journal was opened read-only.
        case readOnly
        /// A record claimed by a producer that stopped did not appear, and this reader may not pad it over.
        case stalled
        /// Another consumer holds the named cursor.
        case cursorInUse
        /// Something else is wrong with an argument.
        case invalidArgument(String)
    }

    /// The operation that failed, e.g. `open`, `append`, `read`, `sync`, `commit`.
    public var operation: String
    /// The segment, cursor or journal directory involved.
    public var path: String?
    /// The byte offset inside `path`, when it is about a place in a file.
    public var offset: Int?
    /// Why it failed.
    public var reason: Reason

    public init(operation: String, path: String?, offset: Int? = nil, reason: Reason) {
        self.operation = operation
        self.path = path
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        var subject = operation
        if let path { subject += " of '\(path)'" }
        if let offset { subject += " at offset \(offset)" }
        switch reason {
        case .system(let error):
            return "\(subject) failed: \(error)"
        case .damagedSegmentHeader(let text):
            return "\(subject) failed: the segment header is damaged (\(text)). The file is not a MappedJournal segment of this version, or it was overwritten; move it out of the journal directory (the records in it are lost) or restore it from a backup."
        case .damagedRecord(let text):
            return "\(subject) failed: the record there is damaged (\(text)). Run 'mnemap journal check' to list every damaged record; a tailer opened with skipDamagedRecords continues after it where the next record's position is provable."
        case .damagedCursor(let text):
            return "\(subject) failed: the cursor is damaged (\(text)). Delete the cursor file to restart that consumer from the beginning, or open it with a start position."
        case .payloadTooLarge(let size, let maximum):
            return "\(subject) failed: the payload of \(size) bytes exceeds the maximum of \(maximum) bytes for this segment size. Split the payload or create the journal with larger segments."
        case .readOnly:
            return "\(subject) failed: the journal was opened read-only. Open it with mode .readWrite."
        case .stalled:
            return "\(subject) failed: a producer claimed space here and never published it (it probably died), and this read-only reader may not pad it over. Open the journal read-write (or wait for a writer to pad it)."
        case .cursorInUse:
            return "\(subject) failed: another consumer (in this or another process) holds this cursor. Use a different cursor name per consumer, or stop the other one."
        case .invalidArgument(let text):
            return "\(subject) failed: \(text)"
        }
    }
}

extension JournalError.Reason {
    var isDamage: Bool {
        switch self {
        case .damagedSegmentHeader, .damagedRecord, .damagedCursor: true
        default: false
        }
    }
}

extension JournalError {
    static func system(_ operation: String, _ error: MappedMemoryError) -> JournalError {
        JournalError(operation: operation, path: error.path, reason: .system(error))
    }

    /// Whether the error is about damaged bytes in a file (rather than the system or the caller).
    public var isDamage: Bool { reason.isDamage }

    /// The underlying system error, when there is one.
    public var systemError: MappedMemoryError? {
        if case .system(let error) = reason { return error }
        return nil
    }
}

/// Runs `body`, turning a `MappedMemoryError` into a `JournalError` for `operation`.
@inline(__always)
func mapped<R: ~Copyable>(_ operation: String, _ body: () throws(MappedMemoryError) -> R) throws(JournalError) -> R {
    do {
        return try body()
    } catch {
        throw .system(operation, error)
    }
}
