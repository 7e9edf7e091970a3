import NIOPosix
import Synchronization

/// Runs the store's blocking calls (file I/O, `fsync`, the writer lock, embedding) on threads of its
/// own, so that they never hold up the event loops or Swift's cooperative pool, and bounds how long a
/// request waits for them.
///
/// Deadlines: work that has not started when its request's deadline passes never starts (so a
/// write that times out changed nothing). A read still running at the deadline is abandoned: the
/// request is answered 503 and the result dropped. A write that has started is always waited for,
/// so that its answer says whether it committed; the store's writer timeout bounds how long it waits
/// for the lock.
final class StoreExecutor: Sendable {
    enum Work: Sendable {
        /// May be abandoned at the deadline.
        case read
        /// Waited for once started.
        case write
        /// Neither deadline applies (checks, compaction, exports: they take as long as the store is large).
        case unbounded
    }

    private let pool: NIOThreadPool
    let timeout: Duration

    init(threads: Int, timeout: Duration) {
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
        self.timeout = timeout
    }

    /// Lets queued work finish, then stops the threads.
    func shutdown() async {
        try? await pool.shutdownGracefully()
    }

    /// Runs `body` on a worker thread and returns its result.
    /// - Throws: what `body` throws; ``APIError/timeout(_:)`` past the deadline (see the type);
    ///   ``APIError/shuttingDown`` once the pool is stopping.
    func run<T: Sendable>(_ work: Work, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        let outcome = Outcome<T>(timeout: timeout)
        let deadline = ContinuousClock.now + timeout
        return try await withCheckedThrowingContinuation { continuation in
            outcome.install(continuation)
            pool.submit { state in
                guard case .active = state else { return outcome.finish(.failure(APIError.shuttingDown)) }
                guard work == .unbounded || outcome.start() else { return }
                outcome.finish(Result { try body() })
            }
            guard work != .unbounded else { return }
            let timer = Task {
                try? await Task.sleep(until: deadline, clock: .continuous)
                if !Task.isCancelled { outcome.expire(abandoningRunning: work == .read) }
            }
            outcome.setTimer(timer)
        }
    }
}

/// The one answer of one piece of work: whichever of the work and its deadline comes first.
private final class Outcome<T: Sendable>: Sendable {
    private enum Phase {
        case queued, running, answered
    }

    private struct State {
        var phase = Phase.queued
        var continuation: CheckedContinuation<T, any Error>?
        var timer: Task<Void, Never>?
    }

    private let state = Mutex(State())
    private let timeout: Duration

    init(timeout: Duration) { self.timeout = timeout }

    func install(_ continuation: CheckedContinuation<T, any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    func setTimer(_ timer: Task<Void, Never>) {
        let answered = state.withLock { state in
            if state.phase != .answered { state.timer = timer }
            return state.phase == .answered
        }
        if answered { timer.cancel() }
    }

    /// Whether the work may start (its deadline has not passed).
    func start() -> Bool {
        state.withLock { state in
            guard state.phase == .queued else { return false }
            state.phase = .running
            return true
        }
    }

    func finish(_ result: Result<T, any Error>) {
        let (continuation, timer) = state.withLock { state -> (CheckedContinuation<T, any Error>?, Task<Void, Never>?) in
            guard state.phase != .answered else { return (nil, nil) }
            state.phase = .answered
            defer { state.continuation = nil; state.timer = nil }
            return (state.continuation, state.timer)
        }
        timer?.cancel()
        continuation?.resume(with: result)
    }

    /// The deadline passed: answer with a timeout unless the work is running and must be waited for.
    func expire(abandoningRunning: Bool) {
        let continuation = state.withLock { state -> CheckedContinuation<T, any Error>? in
            guard state.phase == .queued || (state.phase == .running && abandoningRunning) else { return nil }
            state.phase = .answered
            defer { state.continuation = nil; state.timer = nil }
            return state.continuation
        }
        continuation?.resume(throwing: APIError.timeout(timeout))
    }
}
