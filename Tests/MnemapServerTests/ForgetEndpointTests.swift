import Foundation
import Hummingbird
import Mnemap
import Testing

/// Forgetting many memories: nothing goes without an explicit confirm.
@Suite struct ForgetEndpointTests {
    @Test func forgettingByFilterNeedsConfirmAndDryRunOnlyCounts() async throws {
        let server = try TestServer()
        try await server.run { client in
            for index in 0..<4 { try await client.add("alice \(index)", namespace: "user/alice/s\(index % 2)", extra: ["metadata": ["keep": .bool(index == 0)]]) }
            try await client.add("bob", namespace: "user/bob")
            let unconfirmed = try await client.post("/v1/forget", ["filter": ["namespace": "user/alice"]])
            #expect(unconfirmed.status == .badRequest && unconfirmed.code == "confirmation_required")
            #expect(unconfirmed.message.contains("\"confirm\": true"))
            let dry = try await client.post("/v1/forget", ["filter": ["namespace": "user/alice", "where": ["keep": false]], "dryRun": true])
            #expect(dry["wouldForget"] == 3)
            let forgotten = try await client.post("/v1/forget", ["filter": ["namespace": "user/alice", "where": ["keep": false]], "confirm": true])
            #expect(forgotten.status == .ok && forgotten["forgotten"] == 3)
            let left = try await client.get("/v1/namespaces")
            #expect(left["namespaces"]?.arrayValue?.map { $0["namespace"]?.stringValue ?? "" } == ["user/alice/s0", "user/bob"])
            let whole = try await client.post("/v1/forget", ["filter": ["namespace": "user/alice"], "confirm": true])
            #expect(whole["forgotten"] == 1)
        }
    }

    @Test func anUnknownNamespaceIs404NotZeroForgotten() async throws {
        let server = try TestServer()
        try await server.run { client in
            try await client.add("x", namespace: "user/alice")
            let reply = try await client.post("/v1/forget", ["filter": ["namespace": "user/alcie"], "confirm": true])
            #expect(reply.status == .notFound && reply.code == "unknown_namespace")
        }
    }

    @Test func expiredMemoriesAreForgottenWithoutAFilter() async throws {
        let server = try TestServer()
        try await server.run { client in
            try await client.add("gone soon", namespace: "n", extra: ["expiresAt": "2001-01-01T00:00:00Z"])
            try await client.add("stays", namespace: "n")
            let dry = try await client.post("/v1/forget", ["expired": true, "dryRun": true])
            #expect(dry["wouldForget"] == 1)
            let reply = try await client.post("/v1/forget", ["expired": true])
            #expect(reply["forgotten"] == 1)
            let neither = try await client.post("/v1/forget", ["confirm": true])
            #expect(neither.status == .badRequest && neither.message.contains("'filter'"))
            // A null filter is no filter, not "everything".
            let null = try await client.post("/v1/forget", ["filter": nil, "confirm": true])
            #expect(null.status == .badRequest)
            #expect(try await client.get("/v1/timeline?namespace=n")["memories"]?.arrayValue?.count == 1)
        }
    }
}
