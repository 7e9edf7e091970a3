import Dispatch
import Hummingbird
import Metrics
import Mnemap
import Prometheus

/// The server's metrics, in a registry of its own (not the process-wide `MetricsSystem`, so that
/// several servers, as in tests, keep theirs apart), served at `/metrics` in Prometheus text format:
///
/// - `mnemap_http_requests_total{method, route, status}`: requests answered.
/// - `mnemap_http_request_duration_seconds{method, route}`: a histogram of the time to answer
///   (to the last byte for streamed bodies).
/// - `mnemap_store_bytes`, `mnemap_vector_index_bytes`, `mnemap_memories`, `mnemap_namespaces`,
///   `mnemap_vector_slots`, `mnemap_unused_vector_slots`: the store, read at each scrape.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory

    init() {
        factory = PrometheusMetricsFactory(registry: registry)
    }

    func recordRequest(method: String, route: String, status: Int, nanoseconds: UInt64) {
        Counter(label: "mnemap_http_requests_total", dimensions: [("method", method), ("route", route), ("status", String(status))], factory: factory).increment()
        Timer(label: "mnemap_http_request_duration_seconds", dimensions: [("method", method), ("route", route)], factory: factory)
            .recordNanoseconds(Int64(clamping: nanoseconds))
    }

    func record(_ stats: MemoryStats) {
        let values: [(String, Int64)] = [
            ("mnemap_store_bytes", stats.storeBytes), ("mnemap_vector_index_bytes", stats.vectorBytes), ("mnemap_memories", Int64(stats.memories)),
            ("mnemap_namespaces", Int64(stats.namespaces)), ("mnemap_vector_slots", Int64(stats.vectorSlots)),
            ("mnemap_unused_vector_slots", Int64(stats.unusedVectorSlots)),
        ]
        for (name, value) in values { Gauge(label: name, factory: factory).record(value) }
    }

    /// The metrics in the Prometheus text format.
    func render() -> String { registry.emitToString() }

    static func register(_ routes: RouteTable) {
        let state = routes.state
        // Open without tokens; with them, store-wide: the sizes concern every namespace.
        routes.add(.get, "/metrics", .storeRead) { request, _, _ in
            _ = try QueryParameters(request, allowed: [])
            let stats = try await state.run(.read) { store in try store.stats() }
            state.metrics.record(stats)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: state.metrics.render()))
            )
        }
    }
}

/// Counts every request and times it, by method, route pattern (not the raw path, so that ids do
/// not make a series each) and status.
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        let method = request.method.rawValue
        let route = context.endpointPath ?? "unmatched"
        var response = try await next(request, context)
        let status = response.status.code
        let metrics = self.metrics
        let body = response.body
        // Timed to the last byte written, so that a streamed export counts its whole length.
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            defer { metrics.recordRequest(method: method, route: route, status: status, nanoseconds: DispatchTime.now().uptimeNanoseconds - start) }
            try await body.write(writer)
        }
        return response
    }
}
