import Dispatch

/// Runs the store's blocking calls (file I/O, `fsync`, waiting for the writer lock, embedding) on
/// threads of their own, never on the concurrency pool: a call blocked on another process's write
/// would otherwise stall every task of the server.
struct BlockingWork: Sendable {
    private let queue = DispatchQueue(label: "mnemap.mcp.store", attributes: .concurrent)

    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}
