import Foundation
import Hummingbird
import Mnemap

/// Agent state: JSON values by key in a namespace. The namespace is a query parameter, the key the
/// last path segment (percent-encoded when it holds `/` or other reserved characters).
enum StateRoutes {
    static func register(_ routes: RouteTable) {
        let state = routes.state
        routes.add(.get, "/v1/state", .read) { request, _, access in
            let query = try QueryParameters(request, allowed: ["namespace", "limit", "after"])
            let namespace = try query.requiredString("namespace")
            try access.require(namespace)
            let limit = try query.integer("limit") ?? 100
            try checkLimit(limit, maximum: state.limits.maxResults)
            let after = query.cursor()
            let page = try await state.run(.read) { store in try store.stateEntries(in: namespace, after: after, limit: limit) }
            let items = page.items.map { entry in
                var item = JSONText()
                item.add("key", entry.key)
                item.add("value", entry.value)
                return item.text
            }
            return pageResponse("entries", items: items, next: page.next)
        }

        routes.add(.get, "/v1/state/{key}", .read) { request, context, access in
            let (namespace, key) = try address(request, context, access)
            guard let value = try await state.run(.read, { store in try store.state(key, in: namespace) }) else { throw notFound(key, namespace) }
            return entryResponse(namespace, key, value)
        }

        routes.add(.put, "/v1/state/{key}", .write) { request, context, access in
            let (namespace, key) = try address(request, context, access)
            let fields = try JSONFields(try await request.json(limit: state.limits.maxBodyBytes), allowed: ["value"])
            guard let value = fields.members["value"] else { throw APIError.invalidField("the body needs 'value': any JSON value, such as {\"value\": {\"step\": 3}}.") }
            try await state.run(.write) { store in try store.setState(value, for: key, in: namespace) }
            return entryResponse(namespace, key, value)
        }

        routes.add(.delete, "/v1/state/{key}", .write) { request, context, access in
            let (namespace, key) = try address(request, context, access)
            guard try await state.run(.write, { store in try store.deleteState(key, in: namespace) }) else { throw notFound(key, namespace) }
            return jsonResponse(["deleted": true])
        }
    }

    /// The namespace (query) and key (path) of a state value, the namespace inside the token's.
    static func address(_ request: Request, _ context: ServerContext, _ access: Access) throws -> (String, String) {
        let query = try QueryParameters(request, allowed: ["namespace"])
        let namespace = try query.requiredString("namespace")
        try access.require(namespace)
        let raw = try context.parameters.require("key")
        guard let key = raw.removingPercentEncoding else { throw APIError.invalidField("the key '\(raw)' is not valid percent-encoding.") }
        return (namespace, key)
    }

    static func notFound(_ key: String, _ namespace: String) -> APIError {
        APIError(.notFound, "state_not_found", "no state value '\(key)' in namespace '\(namespace)'; list the keys with GET /v1/state?namespace=\(namespace).")
    }

    static func entryResponse(_ namespace: String, _ key: String, _ value: JSONValue) -> Response {
        jsonResponse(["namespace": .string(namespace), "key": .string(key), "value": value])
    }
}
