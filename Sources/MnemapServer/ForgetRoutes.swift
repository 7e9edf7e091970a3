import Foundation
import Hummingbird
import Mnemap

/// Forgetting many memories at once: those a filter matches (a namespace and below it, a metadata
/// condition…), or those expired. Nothing goes without `"confirm": true`; `"dryRun": true` counts.
enum ForgetRoutes {
    static let fields = ["filter", "expired", "confirm", "dryRun"]

    static func register(_ routes: RouteTable) {
        let state = routes.state
        routes.add(.post, "/v1/forget", .write) { request, _, access in
            let fields = try JSONFields(try await request.json(limit: state.limits.maxBodyBytes), allowed: fields)
            let dryRun = try fields.bool("dryRun") ?? false
            let confirmed = try fields.bool("confirm") ?? false
            if try fields.bool("expired") == true {
                guard fields.members["filter"]?.isNull ?? true else { throw APIError.invalidField("'expired' forgets every expired memory; it does not take a 'filter'.") }
                if let prefix = access.namespace {
                    throw APIError(.forbidden, "store_wide_forbidden", "forgetting expired memories concerns the whole store, and this token is confined to namespace '\(prefix)'.")
                }
                let now = Date()
                if dryRun {
                    let count = try await state.run(.read) { store in try ForgetRoutes.count(in: store, prefix: nil) { $0.isExpired(at: now) } }
                    return jsonResponse(["wouldForget": .number(Double(count))])
                }
                let count = try await state.run(.write) { store in try store.purgeExpired(now: now) }
                return jsonResponse(["forgotten": .number(Double(count))])
            }
            guard fields.has("filter"), !fields.isNull("filter") else {
                throw APIError.invalidField("say what to forget: 'filter' (such as {\"namespace\": \"user/alice\"}) or \"expired\": true; a single memory goes with DELETE /v1/memories/{id}.")
            }
            var filter = try fields.filter("filter")
            let asked = filter.namespacePrefix.flatMap { $0.allSatisfy { $0 == "/" } ? nil : $0 }
            filter.namespacePrefix = try access.confine(asked)
            guard confirmed || dryRun else {
                let place = filter.namespacePrefix.map { "namespace \($0) and those below it" } ?? "every namespace"
                let what = filter == MemoryFilter(namespacePrefix: filter.namespacePrefix) ? "every memory of \(place)" : "the memories of \(place) that the filter matches"
                throw APIError.badRequest("confirmation_required", "this forgets \(what); add \"confirm\": true to do it, or \"dryRun\": true to count them first.")
            }
            let chosen = filter
            let count = try await state.run(dryRun ? .read : .write) { store -> Int in
                // A misspelt namespace should not pass silently as "0 forgotten".
                if let asked, try store.namespaces(under: MemoryFilter.trimmed(asked), limit: 1).items.isEmpty {
                    throw MemoryError.unknownNamespace(asked)
                }
                if dryRun { return try ForgetRoutes.count(in: store, prefix: chosen.namespacePrefix, where: chosen.matches) }
                return try store.forget(matching: chosen)
            }
            return jsonResponse([dryRun ? "wouldForget" : "forgotten": .number(Double(count))])
        }
    }

    /// How many memories under `prefix` (nil: all) satisfy `predicate`, a timeline page at a time.
    static func count(in store: MemoryStore, prefix: String?, where predicate: (Memory) -> Bool) throws -> Int {
        var namespaces: [String] = []
        if let prefix {
            namespaces = [MemoryFilter.trimmed(prefix)]
        } else {
            var cursor: String?
            repeat {
                let page = try store.namespaces(after: cursor)
                namespaces += page.items.map(\.namespace)
                cursor = page.next
            } while cursor != nil
        }
        var count = 0
        for name in namespaces {
            var cursor: String?
            repeat {
                let page = try store.timeline(namespace: name, includingChildren: prefix != nil, after: cursor, limit: 1000)
                count += page.items.filter(predicate).count
                cursor = page.next
            } while cursor != nil
        }
        return count
    }
}

extension MemoryFilter {
    /// A namespace prefix without its trailing slashes (as the store's scans take it).
    static func trimmed(_ prefix: String) -> String {
        var text = Substring(prefix)
        while text.hasSuffix("/") { text = text.dropLast() }
        return String(text)
    }
}
