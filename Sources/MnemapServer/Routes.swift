import Hummingbird
import Mnemap
import Synchronization

/// One route of the API: its method, its path in OpenAPI form (`/v1/memories/{id}`) and what its
/// token must allow. The OpenAPI document lists exactly these (a test checks it).
public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
    public let method: String
    public let path: String
    let need: Need

    public var description: String { "\(method) \(path)" }

    /// Whether a request path matches a route path: same segments, `{name}` matching any one.
    static func matches(pattern: String, path: String) -> Bool {
        let expected = pattern.split(separator: "/")
        let actual = path.split(separator: "/")
        guard expected.count == actual.count else { return false }
        return zip(expected, actual).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
    }

    var parameterCount: Int { path.split(separator: "/").filter { $0.hasPrefix("{") }.count }

    /// The path as Hummingbird's router writes parameters (`:id`).
    var routerPath: String {
        path.split(separator: "/").map { $0.hasPrefix("{") ? ":" + $0.dropFirst().dropLast() : String($0) }.reduce("") { $0 + "/" + $1 }
    }
}

/// What every handler shares: the store, the threads that call it, the limits and the metrics.
final class ServerState: Sendable {
    let store: MemoryStore
    let executor: StoreExecutor
    let limits: Limits
    let authenticator: Authenticator
    let metrics: ServerMetrics
    private let runningExports = Mutex(0)

    init(store: MemoryStore, executor: StoreExecutor, limits: Limits, authenticator: Authenticator, metrics: ServerMetrics) {
        self.store = store
        self.executor = executor
        self.limits = limits
        self.authenticator = authenticator
        self.metrics = metrics
    }

    /// Runs a store call on the store's threads (see ``StoreExecutor``).
    func run<T: Sendable>(_ work: StoreExecutor.Work, _ body: @escaping @Sendable (MemoryStore) throws -> T) async throws -> T {
        let store = self.store
        return try await executor.run(work) { try body(store) }
    }

    /// Counts an export in, or throws 503 `busy` when as many as allowed are running; pair with ``endExport()``.
    func beginExport() throws(APIError) {
        let admitted = runningExports.withLock { running in
            guard running < limits.maxConcurrentExports else { return false }
            running += 1
            return true
        }
        guard admitted else {
            throw APIError(
                .serviceUnavailable, "busy", "\(limits.maxConcurrentExports) exports are already running; retry when one has finished.",
                headers: [.retryAfter: "5"]
            )
        }
    }

    func endExport() {
        runningExports.withLock { $0 -= 1 }
    }
}

/// A handler: the request, its context and the access its token gives.
typealias Handler = @Sendable (Request, ServerContext, Access) async throws -> Response

/// Adds routes to the router and keeps the list of them.
final class RouteTable {
    let router: Router<ServerContext>
    let state: ServerState
    private(set) var endpoints: [Endpoint] = []

    init(router: Router<ServerContext>, state: ServerState) {
        self.router = router
        self.state = state
    }

    /// Adds `handler` at `method` `path` (OpenAPI form); it runs only when the request's token
    /// gives what `need` says.
    func add(_ method: HTTPRequest.Method, _ path: String, _ need: Need, _ handler: @escaping Handler) {
        let endpoint = Endpoint(method: method.rawValue, path: path, need: need)
        endpoints.append(endpoint)
        let authenticator = state.authenticator
        router.on(RouterPath(endpoint.routerPath), method: method) { request, context -> Response in
            let access = try authenticator.access(for: request, need: need)
            return try await handler(request, context, access)
        }
    }
}
