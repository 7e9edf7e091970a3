import Foundation
import Logging
import MCP

/// A transport that counts the requests received and not yet answered, so that a server whose
/// client closed its input (the usual way to stop a stdio server) can answer every request it read
/// before it exits: a write the client asked for is then either acknowledged or never started.
actor AnsweringTransport: Transport {
    nonisolated let logger: Logger
    private let base: any Transport
    private let stream: AsyncThrowingStream<Data, any Error>
    private let continuation: AsyncThrowingStream<Data, any Error>.Continuation
    private var unanswered = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(_ base: any Transport, logger: Logger) {
        self.base = base
        self.logger = logger
        (stream, continuation) = AsyncThrowingStream.makeStream()
    }

    func connect() async throws {
        try await base.connect()
        let upstream = await base.receive()
        Task { await forward(upstream) }
    }

    private func forward(_ upstream: AsyncThrowingStream<Data, any Error>) async {
        do {
            for try await message in upstream {
                unanswered += Self.count(in: message, where: Self.isRequest)
                continuation.yield(message)
            }
            continuation.finish()
        } catch {
            continuation.finish(throwing: error)
        }
    }

    func disconnect() async { await base.disconnect() }

    func send(_ data: Data) async throws {
        try await base.send(data)
        let answers = Self.count(in: data, where: Self.isResponse)
        guard answers > 0 else { return }
        unanswered = max(0, unanswered - answers)
        if unanswered == 0 {
            for waiter in waiters { waiter.resume() }
            waiters = []
        }
    }

    func receive() -> AsyncThrowingStream<Data, any Error> { stream }

    /// Returns when every request received has been answered, or after `timeout` (a request
    /// cancelled by the client is never answered).
    func drain(timeout: Duration) async {
        guard unanswered > 0 else { return }
        let deadline = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.release()
        }
        await withCheckedContinuation { waiters.append($0) }
        deadline.cancel()
    }

    private func release() {
        for waiter in waiters { waiter.resume() }
        waiters = []
    }

    // JSON-RPC: a request has a method and an id; a response has an id and no method. A batch is
    // an array of them.
    private static func count(in message: Data, where matches: ([String: Any]) -> Bool) -> Int {
        switch try? JSONSerialization.jsonObject(with: message) {
        case let object as [String: Any]: matches(object) ? 1 : 0
        case let batch as [Any]: batch.count { ($0 as? [String: Any]).map(matches) ?? false }
        default: 0
        }
    }

    private static func isRequest(_ object: [String: Any]) -> Bool { object["method"] != nil && object["id"] != nil }
    private static func isResponse(_ object: [String: Any]) -> Bool { object["method"] == nil && object["id"] != nil }
}
