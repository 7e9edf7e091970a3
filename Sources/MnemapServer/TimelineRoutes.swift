import Hummingbird
import Mnemap

/// Listings in order, a page at a time: a namespace's memories by time, and the namespaces.
enum TimelineRoutes {
    static func register(_ routes: RouteTable) {
        let state = routes.state
        routes.add(.get, "/v1/timeline", .read) { request, _, access in
            let query = try QueryParameters(request, allowed: ["namespace", "children", "limit", "after", "newestFirst"])
            let namespace = MemoryFilter.trimmed(try query.requiredString("namespace"))
            try access.require(namespace)
            let limit = try query.integer("limit") ?? 50
            try checkLimit(limit, maximum: state.limits.maxResults)
            let children = try query.bool("children")
            let newestFirst = try query.bool("newestFirst")
            let after = query.cursor()
            let page = try await state.run(.read) { store in
                try store.timeline(namespace: namespace, includingChildren: children, after: after, limit: limit, newestFirst: newestFirst)
            }
            return pageResponse("memories", items: page.items.map(memoryJSON), next: page.next)
        }

        routes.add(.get, "/v1/namespaces", .read) { request, _, access in
            let query = try QueryParameters(request, allowed: ["prefix", "limit", "after"])
            let prefix = try access.confine(query.string("prefix").flatMap { $0.allSatisfy { $0 == "/" } ? nil : MemoryFilter.trimmed($0) })
            let limit = try query.integer("limit") ?? 100
            try checkLimit(limit, maximum: state.limits.maxResults)
            let after = query.cursor()
            let page = try await state.run(.read) { store in try store.namespaces(under: prefix, after: after, limit: limit) }
            let items = page.items.map { count in
                var item = JSONText()
                item.add("namespace", count.namespace)
                item.add("count", count.count)
                return item.text
            }
            return pageResponse("namespaces", items: items, next: page.next)
        }
    }
}
