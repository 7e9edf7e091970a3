import Dispatch
import Synchronization

/// Runs async work from a synchronous command and waits for it.
///
/// The root command stays synchronous on purpose: a synchronous `main` is the only thread until a
/// command starts others, which `mnemap cache lock` relies on (it blocks SIGINT and SIGTERM with
/// `pthread_sigmask` and takes them with `sigwait`; under an async `main` the runtime's threads
/// would receive them and the default action would kill the process).
func runBlocking(_ body: @escaping @Sendable () async throws -> Void) throws {
    let outcome = Mutex<Result<Void, any Error>?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        let result: Result<Void, any Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        outcome.withLock { $0 = result }
        done.signal()
    }
    done.wait()
    try outcome.withLock { $0 }!.get()
}
