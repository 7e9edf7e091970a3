import Foundation
import Hummingbird
import Mnemap
import Testing

/// Search in every mode, with filters in the `MemoryFilter(json:)` shape, scoring options and pages.
@Suite struct SearchEndpointTests {
    /// Adds a small corpus: drinks and sports for two users.
    func seed(_ client: Client) async throws {
        let reply = try await client.post("/v1/memories/batch", [
            "memories": [
                ["text": "Alice prefers green tea in the morning", "namespace": "user/alice", "kind": "semantic", "metadata": ["topic": "drinks", "priority": 3]],
                ["text": "Alice plays tennis on Sundays", "namespace": "user/alice", "kind": "episodic", "metadata": ["topic": "sport", "priority": 1]],
                ["text": "Bob drinks black coffee", "namespace": "user/bob", "kind": "semantic", "metadata": ["topic": "drinks", "priority": 2]],
                ["text": "Bob swims every morning", "namespace": "user/bob/gym", "kind": "procedural", "metadata": ["topic": "sport"]],
            ],
        ])
        #expect(reply["added"] == 4)
    }

    @Test(arguments: ["vector", "text", "hybrid"])
    func everyModeFindsTheMemoryAndSaysWhy(mode: String) async throws {
        let server = try TestServer()
        try await server.run { client in
            try await seed(client)
            let reply = try await client.post("/v1/search", ["query": "green tea", "mode": .string(mode), "limit": 2])
            #expect(reply.status == .ok, "\(reply.text)")
            let first = try #require(reply["hits"]?.arrayValue?.first)
            #expect(first["memory"]?["text"] == "Alice prefers green tea in the morning")
            #expect(first["rank"] == 1)
            #expect((first["vectorScore"] != nil) == (mode != "text"))
            #expect((first["textScore"] != nil) == (mode != "vector"))
        }
    }

    @Test func filtersApplyInsideTheSearch() async throws {
        let server = try TestServer()
        try await server.run { client in
            try await seed(client)
            func texts(_ filter: JSONValue) async throws -> Set<String> {
                let reply = try await client.post("/v1/search", ["query": "morning drinks sport", "limit": 10, "filter": filter])
                #expect(reply.status == .ok, "\(reply.text)")
                return Set(reply["hits"]?.arrayValue?.compactMap { $0["memory"]?["text"]?.stringValue } ?? [])
            }
            #expect(try await texts(["namespace": "user/bob"]) == ["Bob drinks black coffee", "Bob swims every morning"])
            #expect(try await texts(["kind": ["semantic"]]) == ["Alice prefers green tea in the morning", "Bob drinks black coffee"])
            #expect(try await texts(["where": ["topic": "drinks", "priority": ["$gte": 3]]]) == ["Alice prefers green tea in the morning"])
            #expect(try await texts(["where": "topic = \"sport\" and not exists(priority)"]) == ["Bob swims every morning"])
            #expect(try await texts(["namespace": "user/alice", "createdBefore": "2000-01-01"]).isEmpty)
            let bad = try await client.post("/v1/search", ["query": "x", "filter": ["namespace": "user", "colour": "red"]])
            #expect(bad.status == .badRequest && bad.code == "invalid_filter" && bad.message.contains("'colour'"))
        }
    }

    @Test func scoringOptionsAreAccepted() async throws {
        let server = try TestServer()
        try await server.run { client in
            try await seed(client)
            let reply = try await client.post("/v1/search", [
                "query": "morning", "recencyHalfLife": 86400, "importanceWeight": 0.5, "vectorWeight": 2, "textWeight": 0.5, "includeExpired": true,
            ])
            #expect(reply.status == .ok && reply["hits"]?.arrayValue?.isEmpty == false)
            let bad = try await client.post("/v1/search", ["query": "morning", "importanceWeight": 2])
            #expect(bad.status == .badRequest && bad.message.contains("importanceWeight"))
        }
    }

    @Test func pagesFollowTheNextCursorWithoutRepeats() async throws {
        let server = try TestServer()
        try await server.run { client in
            let memories: [JSONValue] = (0..<25).map { ["text": .string("note \($0) about the garden"), "namespace": "notes"] }
            _ = try await client.post("/v1/memories/batch", ["memories": .array(memories)])
            var seen: [String] = []
            var after: JSONValue = nil
            var pages = 0
            repeat {
                let reply = try await client.post("/v1/search", ["query": "garden", "mode": "text", "limit": 10, "after": after])
                seen += reply["hits"]?.arrayValue?.compactMap { $0["memory"]?["id"]?.stringValue } ?? []
                after = reply["next"] ?? nil
                pages += 1
            } while after != nil && pages < 10
            #expect(pages == 3)
            #expect(seen.count == 25 && Set(seen).count == 25)
        }
    }

    @Test func aLimitAboveTheMaximumIsRefused() async throws {
        let server = try TestServer()
        try await server.run { client in
            let reply = try await client.post("/v1/search", ["query": "x", "limit": 1001])
            #expect(reply.status == .badRequest && reply.code == "limit_out_of_range")
            let page = try await client.post("/v1/search", ["query": "x", "limit": 500, "after": "600"])
            #expect(page.status == .badRequest && page.code == "limit_out_of_range")
            let cursor = try await client.post("/v1/search", ["query": "x", "after": "abc"])
            #expect(cursor.status == .badRequest && cursor.code == "invalid_cursor")
            let empty = try await client.post("/v1/search", ["mode": "text"])
            #expect(empty.status == .badRequest && empty.message.contains("'query'"))
        }
    }
}
