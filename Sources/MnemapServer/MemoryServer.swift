import Hummingbird
import HummingbirdCore
import Logging
import Mnemap
import MnemapMCP
import NIOCore
import ServiceLifecycle
import Synchronization

/// The HTTP API over one ``MemoryStore``: JSON endpoints under `/v1` for everything `mnemap`
/// does, `/health`, `/metrics`, `/openapi.json`, and the MCP server at `/mcp`.
///
/// ```swift
/// let server = try MemoryServer(store: store, configuration: ServerConfiguration(tokens: tokens))
/// try await server.application.runService()   // until SIGTERM or SIGINT
/// ```
///
/// Guarantees:
/// - Store calls run on threads of their own (``Limits/workerThreads``), never on the event loops.
/// - On graceful shutdown (SIGTERM, SIGINT, or the service group's), the server stops accepting
///   connections, lets the requests in flight finish (streamed exports included), then lets the
///   queued store work finish, syncs the store, and stops its threads. The store is released when
///   the last reference to it goes.
/// - A request's token decides what it sees: a token confined to a namespace prefix gets 403 for
///   namespaces outside it, and 404 for a memory outside it, the same 404 as for a missing id.
/// - Error bodies are `{"error": {"code", "message"}}` and hold no stack trace or store path.
public struct MemoryServer: Sendable {
    /// The routes, as the OpenAPI document lists them.
    public let endpoints: [Endpoint]
    /// The Hummingbird application: run it with `runService()`, or in a `ServiceGroup`.
    public let application: Application<RouterResponder<ServerContext>>

    /// Makes the server (it listens when ``application`` runs).
    /// - Parameters:
    ///   - onServerRunning: called with the port once the server listens (the one chosen when
    ///     the configuration's port is 0).
    /// - Throws: ``ServerSetupError`` when the configuration is unsafe or invalid (see
    ///   ``ServerConfiguration/validate()``).
    public init(
        store: MemoryStore, configuration: ServerConfiguration, logger: Logger = Logger(label: "mnemap.server"),
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws(ServerSetupError) {
        try configuration.validate()
        let limits = configuration.limits
        let state = ServerState(
            store: store, executor: StoreExecutor(threads: limits.workerThreads, timeout: limits.requestTimeout), limits: limits,
            authenticator: Authenticator(tokens: configuration.tokens), metrics: ServerMetrics()
        )
        let known = KnownEndpoints()
        let router = Router(context: ServerContext.self)
        router.add(middleware: MetricsMiddleware(metrics: state.metrics))
        router.add(middleware: LogRequestsMiddleware(.debug))
        router.add(middleware: ErrorMiddleware(storePath: store.path, endpoints: { known.list }))
        let routes = RouteTable(router: router, state: state)
        HealthRoutes.register(routes)
        OpenAPIDocument.register(routes)
        ServerMetrics.register(routes)
        MemoryRoutes.register(routes)
        SearchRoutes.register(routes)
        ForgetRoutes.register(routes)
        TimelineRoutes.register(routes)
        StateRoutes.register(routes)
        MaintenanceRoutes.register(routes)
        TransferRoutes.register(routes)
        do {
            let endpoint = try MCPHTTPEndpoint(
                store: store, configuration: configuration.mcp, onlyThisMachine: ServerConfiguration.isLoopback(configuration.host), logger: logger
            )
            MCPRoutes.register(routes, endpoint: endpoint)
        } catch {
            throw ServerSetupError("\(error)")
        }
        known.list = routes.endpoints
        endpoints = routes.endpoints

        var host = configuration.host
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        application = Application(
            router: router,
            server: .http1(configuration: HTTP1Channel.Configuration(idleTimeout: TimeAmount(limits.idleTimeout))),
            configuration: ApplicationConfiguration(address: .hostname(host, port: configuration.port), serverName: configuration.serverName),
            services: [StoreRelease(state: state, logger: logger)],
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
            logger: logger
        )
    }
}

/// The last service to stop: once the HTTP server has finished its requests, lets queued store work
/// finish, syncs the store and stops the store threads.
private struct StoreRelease: Service {
    let state: ServerState
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        await state.executor.shutdown()
        do {
            try state.store.sync()
        } catch {
            logger.error("syncing the store at shutdown failed: \(APIError.scrub("\(error)", path: state.store.path))")
        }
        logger.info("stopped; the store is synced")
    }
}

/// The routes, known once they are all added (the error middleware is added before them).
private final class KnownEndpoints: Sendable {
    private let endpoints = Mutex<[Endpoint]>([])

    var list: [Endpoint] {
        get { endpoints.withLock { $0 } }
        set { endpoints.withLock { $0 = newValue } }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
