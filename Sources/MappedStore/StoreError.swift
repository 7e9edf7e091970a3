import MappedMemory

/// Every error of MappedStore: what went wrong, where, and what to do.
public struct StoreError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Reason: Equatable, Sendable {
        /// The operating system failed (open, grow, write, sync…); the underlying error says how.
        case system(MappedMemoryError)
        /// The file is not a Mnemap store (wrong magic) or is too short to be one.
        case notAStore
        /// The store was written by another format version.
        case unsupportedVersion(UInt32)
        /// The store was created with another page size.
        case unsupportedPageSize(UInt32)
        /// Both meta pages are damaged: no committed state can be trusted.
        case noValidMeta
        /// A page failed validation: its checksum, kind, bounds or links are wrong.
        case corruptPage(page: UInt64, problem: String)
        /// The file is shorter than its committed state says.
        case truncated(expectedBytes: Int64, actualBytes: Int64)
        /// A key is empty or longer than ``MappedStore/maxKeySize``.
        case keyTooLarge(size: Int, limit: Int)
        /// A value is larger than ``MappedStore/maxValueSize``.
        case valueTooLarge(size: Int, limit: Int)
        /// No tree has this name.
        case treeNotFound(String)
        /// A tree name is empty or longer than ``MappedStore/maxKeySize``.
        case invalidTreeName(String)
        /// A write was attempted in a read-only transaction or store.
        case readOnly
        /// The transaction was already committed or aborted.
        case transactionFinished
        /// The store reached its configured maximum size.
        case mapFull(limit: Int64)
        /// The reader table is full: too many concurrent read transactions.
        case readersFull(slots: Int)
        /// An earlier commit failed after its meta page was written; reopen the store to continue.
        case needsReopen
        /// The writer lock was not acquired in time.
        case timedOut
        /// An argument was invalid.
        case invalidArgument(String)
    }

    /// The store file involved.
    public var path: String
    public var reason: Reason

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .system(let error):
            return error.description
        case .notAStore:
            return "'\(path)' is not a Mnemap store (no store header). Check the path; a new store is created only at a path that does not exist or is empty."
        case .unsupportedVersion(let version):
            return "'\(path)' is a Mnemap store of format version \(version), which this build does not read. Use a matching Mnemap version, or dump and load the data."
        case .unsupportedPageSize(let size):
            return "'\(path)' uses pages of \(size) bytes, which this build does not support."
        case .noValidMeta:
            return "'\(path)': both meta pages are damaged, so no committed state can be trusted. Restore from a backup (`mnemap kv copy` makes them)."
        case .corruptPage(let page, let problem):
            return "'\(path)': page \(page) is damaged (\(problem)). Run `mnemap kv check` for a full report; restore from a backup or copy out what is readable."
        case .truncated(let expected, let actual):
            return "'\(path)' is truncated: its committed state needs \(expected) bytes but the file has \(actual). Restore from a backup."
        case .keyTooLarge(let size, let limit):
            return size == 0 ? "keys must not be empty." : "a key of \(size) bytes is longer than the limit of \(limit) bytes; hash long keys or store them in the value."
        case .valueTooLarge(let size, let limit):
            return "a value of \(size) bytes is larger than the limit of \(limit) bytes; split it over several keys."
        case .treeNotFound(let name):
            return "'\(path)' has no tree named '\(name)'; create it in a write transaction (createTree)."
        case .invalidTreeName(let name):
            return "'\(name)' is not a valid tree name: names are 1 to \(MappedStore.maxKeySize) bytes."
        case .readOnly:
            return "cannot write to '\(path)' in a read-only transaction; use store.write { ... }."
        case .transactionFinished:
            return "the transaction on '\(path)' has already ended; start a new one."
        case .mapFull(let limit):
            return "'\(path)' reached its maximum size of \(limit) bytes; reopen it with a larger maxSize."
        case .readersFull(let slots):
            return "'\(path)': all \(slots) reader slots are in use; end long-running read transactions or open fewer at once."
        case .needsReopen:
            return "an earlier commit to '\(path)' failed while writing its meta page; close and reopen the store to continue from the last durable state."
        case .timedOut:
            return "timed out waiting for the writer lock of '\(path)'; another process holds a long write transaction."
        case .invalidArgument(let text):
            return "'\(path)': \(text)"
        }
    }
}

extension StoreError {
    static func wrap(_ error: MappedMemoryError, path: String) -> StoreError {
        StoreError(path: path, reason: .system(error))
    }
}
