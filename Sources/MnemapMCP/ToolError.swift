import Mnemap

/// A tool call that cannot be done as asked: the message says what was wrong and what to do. It
/// becomes a tool result with `isError: true`, which the model reads and can correct, rather than
/// a protocol error.
struct ToolError: Error, Sendable, CustomStringConvertible {
    let message: String

    init(_ message: String) { self.message = message }

    var description: String { message }

    /// The message for any error a tool's work threw: the store's own messages are written for
    /// people; anything else is named as unexpected.
    static func message(for error: any Error) -> String {
        switch error {
        case let error as ToolError: error.message
        // The store's own hints name shell commands; a model has tools instead.
        case MemoryError.notFound(let id): "no memory with id \(id); find ids with search_memory or list_memories."
        case MemoryError.unknownNamespace(let namespace): "no memory is in namespace '\(namespace)' or below it; list_namespaces lists them."
        case let error as MemoryError: error.description
        default: "the tool failed unexpectedly: \(error)"
        }
    }
}
