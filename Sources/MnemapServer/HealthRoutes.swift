import Hummingbird
import Mnemap

/// `GET /health`: answered without a token, `{"status": "ok"}` when the store answers a read.
enum HealthRoutes {
    static func register(_ routes: RouteTable) {
        let state = routes.state
        routes.add(.get, "/health", .open) { request, _, _ in
            _ = try QueryParameters(request, allowed: [])
            try await state.run(.read) { store in _ = try store.namespaces(limit: 1) }
            return jsonResponse(["status": "ok"])
        }
    }
}
