import Foundation

/// What went wrong in agent memory: each case says what was wrong and what to do.
public enum MemoryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// JSON text that does not parse.
    case invalidJSON(String)
    /// A memory id that is not 26 base-32 characters.
    case invalidID(String)
    /// A filter expression that is not valid: the message names the field or operator.
    case invalidFilter(String)
    /// A field of a memory or a request with a bad value (empty text, importance outside 0–1…).
    case invalidField(String)
    /// No memory with this id.
    case notFound(MemoryID)
    /// The folder is not a Mnemap store, or its manifest is damaged.
    case notAStore(path: String, problem: String)
    /// The store was made by another embedder (or dimension) than the one given.
    case embedderMismatch(store: String, given: String)
    /// A vector of the wrong length.
    case wrongDimension(expected: Int, got: Int)
    /// No memory is in this namespace or below it.
    case unknownNamespace(String)
    /// A line of an import file that is not valid.
    case importLine(line: Int, problem: String)
    /// Another process held the writer lock for longer than the timeout.
    case writerTimeout(seconds: Double)
    /// An error of an engine underneath (store, index, embedder), with its own message.
    case engine(String)

    public var description: String {
        switch self {
        case .invalidJSON(let problem): "invalid JSON: \(problem)"
        case .invalidID(let problem): "invalid memory id: \(problem)"
        case .invalidFilter(let problem): "invalid filter: \(problem)"
        case .invalidField(let problem): problem
        case .notFound(let id): "no memory with id \(id); list ids with `mnemap timeline` or `mnemap search`."
        case .notAStore(let path, let problem):
            "\(path) is not a Mnemap store (\(problem)); create one with `mnemap init \(path)`."
        case .embedderMismatch(let store, let given):
            "the store was built with embedder \(store) but \(given) was given; open it with the same embedder (or export and re-import with the new one)."
        case .wrongDimension(let expected, let got): "the vector has \(got) numbers; this store's vectors have \(expected)."
        case .unknownNamespace(let namespace): "no memory is in namespace '\(namespace)' or below it; list namespaces with `mnemap stats` or `MemoryStore.namespaces()`."
        case .importLine(let line, let problem): "line \(line): \(problem)"
        case .writerTimeout(let seconds):
            "another process has held the store's writer lock for more than \(seconds) s; retry, or raise the timeout."
        case .engine(let message): message
        }
    }
}
