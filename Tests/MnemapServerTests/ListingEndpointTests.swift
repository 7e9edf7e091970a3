import Foundation
import Hummingbird
import Mnemap
import Testing

/// Timelines, namespaces and agent state, each a page at a time.
@Suite struct ListingEndpointTests {
    @Test func theTimelinePagesInTimeOrderBothWays() async throws {
        let server = try TestServer()
        try await server.run { client in
            let memories: [JSONValue] = (0..<7).map { ["text": .string("step \($0)"), "namespace": .string($0 % 2 == 0 ? "run/1" : "run/1/child")] }
            _ = try await client.post("/v1/memories/batch", ["memories": .array(memories)])
            var texts: [String] = []
            var uri = "/v1/timeline?namespace=run/1&children=true&limit=3"
            var pages = 0
            while true {
                let reply = try await client.get(uri)
                #expect(reply.status == .ok, "\(reply.text)")
                texts += reply["memories"]?.arrayValue?.compactMap { $0["text"]?.stringValue } ?? []
                pages += 1
                guard let next = reply["next"]?.stringValue else { break }
                uri = "/v1/timeline?namespace=run/1&children=true&limit=3&after=\(next)"
            }
            #expect(pages == 3)
            #expect(texts == (0..<7).map { "step \($0)" })
            let own = try await client.get("/v1/timeline?namespace=run/1")
            #expect(own["memories"]?.arrayValue?.count == 4 && own["next"] == .null)
            let newest = try await client.get("/v1/timeline?namespace=run/1&children=true&newestFirst=true&limit=1")
            #expect(newest["memories"]?.arrayValue?.first?["text"] == "step 6")
            let missing = try await client.get("/v1/timeline")
            #expect(missing.status == .badRequest && missing.code == "missing_parameter" && missing.message.contains("namespace"))
            let unknown = try await client.get("/v1/timeline?namespace=run/1&colour=red")
            #expect(unknown.status == .badRequest && unknown.code == "unknown_parameter" && unknown.message.contains("'colour'"))
            let tooMany = try await client.get("/v1/timeline?namespace=run/1&limit=1001")
            #expect(tooMany.status == .badRequest && tooMany.code == "limit_out_of_range")
        }
    }

    @Test func namespacesAreListedWithCountsAPageAtATime() async throws {
        let server = try TestServer()
        try await server.run { client in
            for name in ["a", "b/1", "b/2", "c"] { try await client.add("in \(name)", namespace: name) }
            let first = try await client.get("/v1/namespaces?limit=2")
            #expect(first["namespaces"]?.arrayValue?.map { $0["namespace"]?.stringValue ?? "" } == ["a", "b/1"])
            #expect(first["namespaces"]?.arrayValue?.first?["count"] == 1)
            let next = try #require(first["next"]?.stringValue)
            let second = try await client.get("/v1/namespaces?limit=2&after=\(encoded(next))")
            #expect(second["namespaces"]?.arrayValue?.map { $0["namespace"]?.stringValue ?? "" } == ["b/2", "c"])
            let under = try await client.get("/v1/namespaces?prefix=b")
            #expect(under["namespaces"]?.arrayValue?.count == 2)
        }
    }

    @Test func stateIsSetReadListedAndDeleted() async throws {
        let server = try TestServer()
        try await server.run { client in
            let set = try await client.send(.put, "/v1/state/plan?namespace=agent/1", json: ["value": ["step": 3, "done": false]])
            #expect(set.status == .ok && set["value"] == ["step": 3, "done": false])
            let read = try await client.get("/v1/state/plan?namespace=agent/1")
            #expect(read["value"]?["step"] == 3 && read["key"] == "plan" && read["namespace"] == "agent/1")
            let slashed = try await client.send(.put, "/v1/state/\(encoded("tools/last used"))?namespace=agent/1", json: ["value": "search"])
            #expect(slashed["key"] == "tools/last used")
            for index in 0..<5 { _ = try await client.send(.put, "/v1/state/k\(index)?namespace=agent/1", json: ["value": .number(Double(index))]) }
            var keys: [String] = []
            var uri = "/v1/state?namespace=agent/1&limit=3"
            while true {
                let page = try await client.get(uri)
                keys += page["entries"]?.arrayValue?.compactMap { $0["key"]?.stringValue } ?? []
                guard let next = page["next"]?.stringValue else { break }
                uri = "/v1/state?namespace=agent/1&limit=3&after=\(encoded(next))"
            }
            #expect(keys == ["k0", "k1", "k2", "k3", "k4", "plan", "tools/last used"])
            let deleted = try await client.send(.delete, "/v1/state/plan?namespace=agent/1")
            #expect(deleted.status == .ok && deleted["deleted"] == true)
            let gone = try await client.get("/v1/state/plan?namespace=agent/1")
            #expect(gone.status == .notFound && gone.code == "state_not_found")
            let again = try await client.send(.delete, "/v1/state/plan?namespace=agent/1")
            #expect(again.status == .notFound)
            let noValue = try await client.send(.put, "/v1/state/x?namespace=agent/1", json: ["val": 1])
            #expect(noValue.status == .badRequest && noValue.message.contains("'val'"))
        }
    }
}
