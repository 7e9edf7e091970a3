import Foundation
import Hummingbird
import Mnemap

/// Search by meaning, words or both, with filters and scoring options.
enum SearchRoutes {
    static let fields = [
        "query", "vector", "mode", "limit", "after", "filter", "includeExpired", "vectorWeight", "textWeight", "recencyHalfLife", "importanceWeight",
    ]

    static func register(_ routes: RouteTable) {
        let state = routes.state
        routes.add(.post, "/v1/search", .read) { request, _, access in
            let fields = try JSONFields(try await request.json(limit: state.limits.maxBodyBytes), allowed: fields)
            var search = try searchRequest(fields)
            search.filter.namespacePrefix = try access.confine(search.filter.namespacePrefix)
            // Pages of a search: the cursor is how many hits came before. Each page searches anew for
            // the hits up to its end, so writes between pages can shift them.
            let offset = try cursor(fields)
            let limit = search.limit
            try checkLimit(limit, maximum: state.limits.maxResults)
            guard offset + limit <= state.limits.maxResults else {
                throw APIError.badRequest(
                    "limit_out_of_range", "a search returns at most its first \(state.limits.maxResults) hits; this page would end at \(offset + limit). Narrow the search with a filter."
                )
            }
            search.limit = offset + limit
            let asked = search
            let hits = try await state.run(.read) { store in try store.search(asked) }
            let page = Array(hits.dropFirst(offset))
            let end = offset + page.count
            let next = hits.count == asked.limit && end < state.limits.maxResults ? String(end) : nil
            var body = JSONText()
            body.add("hits", raw: JSONText.array(page.enumerated().map { hitJSON($1, rank: offset + $0 + 1) }))
            body.add("next", next)
            return jsonResponse(body.text)
        }
    }

    static func searchRequest(_ fields: JSONFields) throws(APIError) -> SearchRequest {
        var mode = SearchMode.hybrid
        if let name = try fields.choice("mode", SearchMode.allCases.map(\.rawValue)) { mode = SearchMode(rawValue: name)! }
        let vector = try fields.vector("vector")
        let query = try fields.string("query") ?? ""
        if query.isEmpty, vector == nil || mode != .vector {
            throw APIError.invalidField("the body needs 'query' (the text to search for), or 'vector' with mode \"vector\".")
        }
        var request = SearchRequest(query: query, vector: vector, mode: mode, limit: try fields.integer("limit") ?? 10, filter: try fields.filter("filter"))
        request.includeExpired = try fields.bool("includeExpired") ?? false
        for key in ["vectorWeight", "textWeight"] {
            guard let weight = try fields.number(key) else { continue }
            guard (0...1000).contains(weight) else { throw APIError.invalidField("'\(key)' is a weight from 0 to 1000.") }
            if key == "vectorWeight" { request.vectorWeight = weight } else { request.textWeight = weight }
        }
        if let weight = try fields.number("importanceWeight") {
            guard (0...1).contains(weight) else { throw APIError.invalidField("'importanceWeight' is between 0 and 1.") }
            request.importanceWeight = weight
        }
        if let halfLife = try fields.number("recencyHalfLife") {
            guard halfLife > 0, halfLife.isFinite else { throw APIError.invalidField("'recencyHalfLife' is a positive number of seconds.") }
            request.recencyHalfLife = halfLife
        }
        return request
    }

    /// The position a page starts at, from the previous page's `next`.
    static func cursor(_ fields: JSONFields) throws(APIError) -> Int {
        guard let text = try fields.string("after"), !text.isEmpty else { return 0 }
        guard let offset = Int(text), offset >= 0 else {
            throw APIError.badRequest("invalid_cursor", "'after' is '\(text)', which is not a cursor this server gave; pass the 'next' of the previous page.")
        }
        return offset
    }
}
