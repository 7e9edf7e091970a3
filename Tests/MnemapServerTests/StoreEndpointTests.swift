import Foundation
import Hummingbird
import Mnemap
import MnemapServer
import Testing

/// The store as a whole (stats, check, compact), export and import, health and metrics.
@Suite struct StoreEndpointTests {
    @Test func statsCheckAndCompactDescribeTheStore() async throws {
        let server = try TestServer()
        try await server.run { client in
            let id = try await client.add("first", namespace: "a")
            try await client.add("second", namespace: "b")
            _ = try await client.send(.patch, "/v1/memories/\(id)", json: ["text": "first, changed"])
            let stats = try await client.get("/v1/stats")
            #expect(stats["memories"] == 2 && stats["namespaces"] == 2 && stats["embedder"] == "hashing-64" && stats["dimension"] == 64)
            #expect(stats["unusedVectorSlots"] == 1 && stats["elementType"] == "float32")
            let check = try await client.get("/v1/check")
            #expect(check["intact"] == true && check["memories"] == 2)
            let compacted = try await client.send(.post, "/v1/compact")
            #expect(compacted["reclaimedSlots"] == 1)
            let after = try await client.get("/v1/stats")
            #expect(after["unusedVectorSlots"] == 0)
        }
    }

    @Test func healthAndTheOpenAPIDocumentNeedNoToken() async throws {
        let server = try TestServer(tokens: [AccessToken(token: "secret-token-0123456789")])
        try await server.run { client in
            let health = try await client.get("/health")
            #expect(health.status == .ok && health["status"] == "ok")
            let document = try await client.get("/openapi.json")
            #expect(document.status == .ok && document["openapi"] == "3.1.0")
        }
    }

    @Test func metricsCountRequestsByRouteAndStatusAndReportTheStoreSize() async throws {
        let server = try TestServer()
        try await server.run { client in
            try await client.add("hello", namespace: "a")
            _ = try await client.get("/v1/memories/01JDZ3K7M2X8Q4W5E6R7T8Y9AB")
            let metrics = try await client.get("/metrics")
            #expect(metrics.status == .ok)
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
            #expect(metrics.text.contains(#"mnemap_http_requests_total{method="POST",route="/v1/memories",status="201"} 1"#), "\(metrics.text)")
            #expect(metrics.text.contains(#"mnemap_http_requests_total{method="GET",route="/v1/memories/{id}",status="404"} 1"#))
            #expect(metrics.text.contains(#"mnemap_http_request_duration_seconds_count{method="POST",route="/v1/memories"} 1"#))
            #expect(metrics.text.contains("mnemap_memories 1"))
            #expect(metrics.text.contains("mnemap_store_bytes "))
            #expect(metrics.text.contains("mnemap_vector_index_bytes "))
        }
    }

    @Test func exportStreamsEveryMemoryAsJSONLinesInChunks() async throws {
        let server = try TestServer()
        // Enough memories with vectors for the export to cross several 64 KiB chunks.
        let memories = (0..<400).map { NewMemory(text: "memory number \($0) of the export", namespace: $0 % 4 == 0 ? "keep/x" : "other") }
        try server.store.add(contentsOf: memories)
        try await server.run(.live) { client in
            let all = try await client.get("/v1/export")
            #expect(all.status == .ok)
            #expect(all.headers[.contentType] == "application/x-ndjson")
            #expect(all.headers[.transferEncoding] == "chunked")
            let lines = all.text.split(separator: "\n")
            #expect(lines.count == 400)
            #expect(all.text.utf8.count > 3 * 65536)
            let first = try JSONValue(parsing: String(lines[0]))
            #expect(first["vector"]?.arrayValue?.count == 64)
            let some = try await client.get("/v1/export?namespace=keep&vectors=false")
            let kept = some.text.split(separator: "\n")
            #expect(kept.count == 100)
            #expect(try JSONValue(parsing: String(kept[0]))["vector"] == nil)
        }
    }

    @Test func importAddsTheLinesOfAnExport() async throws {
        let source = try TestServer()
        try source.store.add(contentsOf: (0..<30).map { NewMemory(text: "imported \($0)", namespace: "n/\($0 % 3)") })
        let exported = try await source.run { client in try await client.get("/v1/export").text }
        let target = try TestServer()
        try await target.run { client in
            let reply = try await client.send(.post, "/v1/import?batch=8", raw: exported, headers: [.contentType: "application/x-ndjson"])
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply["added"] == 30 && reply["lines"] == 30)
            let again = try await client.send(.post, "/v1/import", raw: exported)
            #expect(again["added"] == 0 && again["skipped"] == 30)
            let bad = try await client.send(.post, "/v1/import", raw: "{\"text\": \"ok\", \"namespace\": \"m\"}\n{\"text\": 3}\n")
            #expect(bad.status == .badRequest && bad.code == "invalid_line" && bad.message.contains("line 2"))
            let roundTrip = try await client.get("/v1/export")
            #expect(roundTrip.text.split(separator: "\n").count == 31)
        }
    }
}
