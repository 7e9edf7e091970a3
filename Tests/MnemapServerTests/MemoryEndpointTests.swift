import Foundation
import Hummingbird
import Mnemap
import Testing

/// Adding, getting, updating and forgetting memories one at a time and in batches.
@Suite struct MemoryEndpointTests {
    @Test func addThenGetReturnsEveryFieldInTheExportFormat() async throws {
        let server = try TestServer()
        try await server.run { client in
            let added = try await client.post("/v1/memories", [
                "text": "Alice prefers green tea", "namespace": "user/alice", "kind": "semantic", "metadata": ["topic": "drinks"],
                "importance": 0.8, "source": "chat", "episode": "e1", "validFrom": "2025-01-01T00:00:00Z", "ttl": 3600,
            ])
            #expect(added.status == .created)
            #expect(added["outcome"] == "added")
            let id = try #require(added["id"]?.stringValue)
            let memory = try await client.get("/v1/memories/\(id)")
            #expect(memory.status == .ok)
            #expect(memory["text"] == "Alice prefers green tea" && memory["namespace"] == "user/alice" && memory["kind"] == "semantic")
            #expect(memory["metadata"] == ["topic": "drinks"] && memory["importance"] == 0.8 && memory["source"] == "chat" && memory["episode"] == "e1")
            #expect(memory["validFrom"] == "2025-01-01T00:00:00.000Z")
            #expect(memory["expiresAt"]?.stringValue != nil)
            #expect(memory.headers[.contentType] == "application/json")
        }
    }

    @Test func anExactDuplicateIsNotAddedAndNamesTheExistingMemory() async throws {
        let server = try TestServer()
        try await server.run { client in
            let id = try await client.add("the deploy key is in the vault", namespace: "team/ops")
            let again = try await client.post("/v1/memories", ["text": "the deploy key is in the vault", "namespace": "team/ops"])
            #expect(again.status == .ok)
            #expect(again["outcome"] == "exact-duplicate" && again["id"] == .string(id))
            let skipped = try await client.post("/v1/memories", ["text": "the deploy key is in the vault!", "namespace": "team/ops", "dedupe": "skip", "threshold": 0.5])
            #expect(skipped["outcome"] == "near-duplicate-skipped")
            #expect(skipped["similarity"]?.numberValue != nil)
        }
    }

    @Test func aBatchIsAddedInOneTransactionAndReportsEachMemory() async throws {
        let server = try TestServer()
        try await server.run { client in
            let reply = try await client.post("/v1/memories/batch", [
                "memories": [["text": "one", "namespace": "a"], ["text": "two", "namespace": "a", "kind": "procedural"], ["text": "one", "namespace": "a"]],
            ])
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply["added"] == 2)
            let outcomes = reply["results"]?.arrayValue?.compactMap { $0["outcome"]?.stringValue }
            #expect(outcomes == ["added", "added", "exact-duplicate"])
            // A bad memory anywhere in the batch: nothing is added, and the message says which.
            let bad = try await client.post("/v1/memories/batch", ["memories": [["text": "three", "namespace": "a"], ["text": "four", "namespace": "a", "importance": 7]]])
            #expect(bad.status == .badRequest)
            #expect(bad.message.contains("memory 2"), "\(bad.message)")
            let unknown = try await client.post("/v1/memories/batch", ["memories": [["text": "five", "namespace": "a", "colour": "red"]]])
            #expect(unknown.code == "unknown_field" && unknown.message.contains("'colour'") && unknown.message.contains("memories[0]"))
            let page = try await client.get("/v1/timeline?namespace=a")
            #expect(page["memories"]?.arrayValue?.count == 2)
        }
    }

    @Test func updateChangesOnlyWhatIsGivenAndKeepsHistory() async throws {
        let server = try TestServer()
        try await server.run { client in
            let id = try await client.add("Bob lives in Paris", namespace: "user/bob", extra: ["metadata": ["city": "paris", "since": 2020], "source": "chat"])
            let updated = try await client.send(.patch, "/v1/memories/\(id)", json: ["text": "Bob lives in Lyon", "mergeMetadata": ["city": "lyon", "since": nil], "source": nil])
            #expect(updated.status == .ok, "\(updated.text)")
            #expect(updated["text"] == "Bob lives in Lyon" && updated["version"] == 1)
            #expect(updated["metadata"] == ["city": "lyon"])
            #expect(updated["source"] == nil)
            let withHistory = try await client.get("/v1/memories/\(id)?history=true")
            #expect(withHistory["history"]?.arrayValue?.first?["text"] == "Bob lives in Paris")
            // A boolean query parameter is true or false (or 1 or 0): an empty or other value is
            // refused, not read as either.
            for value in ["", "yes", "maybe"] {
                let unclear = try await client.get("/v1/memories/\(id)?history=\(value)")
                #expect(unclear.status == .badRequest && unclear.code == "invalid_parameter", "history=\(value): \(unclear.text)")
            }
            #expect(try await client.get("/v1/memories/\(id)?history=0")["history"] == nil)
            let hits = try await client.post("/v1/search", ["query": "Lyon", "mode": "text"])
            #expect(hits["hits"]?.arrayValue?.first?["memory"]?["id"] == .string(id))
            let nothing = try await client.send(.patch, "/v1/memories/\(id)", json: [:])
            #expect(nothing.status == .badRequest && nothing.message.contains("nothing to change"))
            let both = try await client.send(.patch, "/v1/memories/\(id)", json: ["metadata": [:], "mergeMetadata": [:]])
            #expect(both.status == .badRequest)
        }
    }

    @Test func supersedingEndsTheOldFactAndAddsTheNewOne() async throws {
        let server = try TestServer()
        try await server.run { client in
            let old = try await client.add("Alice works at Acme", namespace: "user/alice", extra: ["kind": "semantic"])
            let new = try await client.post("/v1/memories", ["text": "Alice works at Globex", "namespace": "user/alice", "supersedes": .string(old)])
            #expect(new.status == .created && new["supersedes"] == .string(old))
            #expect(new["memory"]?["metadata"]?["supersedes"] == .string(old))
            let previous = try await client.get("/v1/memories/\(old)")
            #expect(previous["validUntil"]?.stringValue != nil)
            let missing = try await client.post("/v1/memories", ["text": "x", "namespace": "user/alice", "supersedes": "01JDZ3K7M2X8Q4W5E6R7T8Y9AB"])
            #expect(missing.status == .notFound && missing.code == "not_found")
        }
    }

    @Test func forgettingAMemoryByIdRemovesItAndAnUnknownIdIs404() async throws {
        let server = try TestServer()
        try await server.run { client in
            let id = try await client.add("temporary note", namespace: "scratch")
            let forgotten = try await client.send(.delete, "/v1/memories/\(id)")
            #expect(forgotten.status == .ok && forgotten["forgotten"] == 1)
            let gone = try await client.get("/v1/memories/\(id)")
            #expect(gone.status == .notFound && gone.code == "not_found")
            #expect(gone.message.contains(id))
            let again = try await client.send(.delete, "/v1/memories/\(id)")
            #expect(again.status == .notFound)
            let malformed = try await client.get("/v1/memories/not-an-id")
            #expect(malformed.status == .badRequest && malformed.code == "invalid_id")
        }
    }

    @Test func badFieldsAreRefusedWithAMessageNamingThem() async throws {
        let server = try TestServer()
        try await server.run { client in
            let missing = try await client.post("/v1/memories", ["namespace": "a"])
            #expect(missing.status == .badRequest && missing.message.contains("'text'"))
            let kind = try await client.post("/v1/memories", ["text": "x", "namespace": "a", "kind": "dream"])
            #expect(kind.status == .badRequest && kind.message.contains("dream") && kind.message.contains("episodic"))
            let type = try await client.post("/v1/memories", ["text": "x", "namespace": "a", "importance": "high"])
            #expect(type.status == .badRequest && type.message.contains("'importance'") && type.message.contains("a number"))
            let namespace = try await client.post("/v1/memories", ["text": "x", "namespace": "a//b"])
            #expect(namespace.status == .badRequest && namespace.code == "invalid_field")
            let vector = try await client.post("/v1/memories", ["text": "x", "namespace": "a", "vector": [1, 2, 3]])
            #expect(vector.status == .badRequest && vector.code == "wrong_dimension")
            let time = try await client.post("/v1/memories", ["text": "x", "namespace": "a", "validFrom": "yesterday"])
            #expect(time.status == .badRequest && time.message.contains("'validFrom'"))
        }
    }
}
