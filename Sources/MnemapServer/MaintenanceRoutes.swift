import Hummingbird
import Mnemap

/// The store as a whole: counts and sizes, a full check, compaction. These concern every namespace,
/// so a token confined to one is refused (403).
enum MaintenanceRoutes {
    static func register(_ routes: RouteTable) {
        let state = routes.state
        routes.add(.get, "/v1/stats", .storeRead) { request, _, _ in
            _ = try QueryParameters(request, allowed: [])
            let (stats, elementType) = try await state.run(.read) { store in (try store.stats(), "\(store.manifest.elementType)") }
            let object: [String: JSONValue] = [
                "embedder": .string(stats.embedder), "dimension": .number(Double(stats.dimension)), "elementType": .string(elementType),
                "memories": .number(Double(stats.memories)), "namespaces": .number(Double(stats.namespaces)),
                "historyVersions": .number(Double(stats.historyVersions)), "stateKeys": .number(Double(stats.stateKeys)),
                "expiring": .number(Double(stats.expiring)), "vectorSlots": .number(Double(stats.vectorSlots)),
                "unusedVectorSlots": .number(Double(stats.unusedVectorSlots)), "textDocuments": .number(Double(stats.textDocuments)),
                "textTokens": .number(Double(stats.textTokens)), "storeBytes": .number(Double(stats.storeBytes)),
                "vectorBytes": .number(Double(stats.vectorBytes)),
            ]
            return jsonResponse(.object(object))
        }

        routes.add(.get, "/v1/check", .storeRead) { request, _, _ in
            _ = try QueryParameters(request, allowed: [])
            // Reads the whole store and index: as long as the store is large, so no deadline.
            let report = try await state.run(.unbounded) { store in try store.check() }
            let path = state.store.path
            let object: JSONValue = [
                "intact": .bool(report.isIntact), "memories": .number(Double(report.memories)),
                "problems": .array(report.problems.map { .string(APIError.scrub($0, path: path)) }),
            ]
            return jsonResponse(object)
        }

        routes.add(.post, "/v1/compact", .storeWrite) { request, _, _ in
            _ = try QueryParameters(request, allowed: [])
            let reclaimed = try await state.run(.unbounded) { store in try store.compact() }
            return jsonResponse(["reclaimedSlots": .number(Double(reclaimed))])
        }
    }
}
