import Foundation
import Hummingbird
import Mnemap
import MnemapServer
import Testing

/// What the server refuses: bodies too large, results too many, JSON that is malformed or has
/// fields it does not know; and what it never puts in an error body.
@Suite struct LimitTests {
    @Test func aBodyOverTheLimitIs413() async throws {
        let server = try TestServer(limits: Limits(maxBodyBytes: 4096, workerThreads: 2))
        try await server.run { client in
            let huge = String(repeating: "x", count: 10_000)
            let reply = try await client.post("/v1/memories", ["text": .string(huge), "namespace": "a"])
            #expect(reply.status == .contentTooLarge && reply.code == "body_too_large")
            #expect(reply.message.contains("4096"))
            let imported = try await client.send(.post, "/v1/import", raw: String(repeating: "{}\n", count: 2000))
            #expect(imported.status == .contentTooLarge)
            let small = try await client.post("/v1/memories", ["text": "fits", "namespace": "a"])
            #expect(small.status == .created)
        }
    }

    @Test func theDefaultLimitRefusesNineMebibytes() async throws {
        let server = try TestServer()
        try await server.run { client in
            let reply = try await client.send(.post, "/v1/memories/batch", raw: String(repeating: " ", count: 9 << 20))
            #expect(reply.status == .contentTooLarge)
        }
    }

    @Test func resultAndBatchSizesAreBounded() async throws {
        let server = try TestServer(limits: Limits(maxBatch: 3, workerThreads: 2))
        try await server.run { client in
            for uri in ["/v1/timeline?namespace=a&limit=1001", "/v1/namespaces?limit=0", "/v1/state?namespace=a&limit=5000"] {
                let reply = try await client.get(uri)
                #expect(reply.status == .badRequest && reply.code == "limit_out_of_range", "\(uri)")
            }
            let memories: [JSONValue] = (0..<4).map { ["text": .string("m\($0)"), "namespace": "a"] }
            let batch = try await client.post("/v1/memories/batch", ["memories": .array(memories)])
            #expect(batch.status == .badRequest && batch.code == "batch_too_large")
        }
    }

    @Test func malformedJSONAndUnknownFieldsAre400NamingTheProblem() async throws {
        let server = try TestServer()
        try await server.run { client in
            let broken = try await client.send(.post, "/v1/memories", raw: "{\"text\": \"x\", \"namespace\": ")
            #expect(broken.status == .badRequest && broken.code == "invalid_json")
            let notObject = try await client.send(.post, "/v1/search", raw: "[1, 2]")
            #expect(notObject.status == .badRequest && notObject.code == "invalid_body" && notObject.message.contains("an array"))
            let empty = try await client.send(.post, "/v1/search", raw: "")
            #expect(empty.status == .badRequest && empty.code == "missing_body")
            let cases: [(String, JSONValue, String)] = [
                ("/v1/memories", ["text": "x", "namespace": "a", "colour": "red"], "colour"),
                ("/v1/search", ["query": "x", "limt": 5], "limt"),
                ("/v1/forget", ["filter": [:], "confirmed": true], "confirmed"),
            ]
            for (uri, body, field) in cases {
                let reply = try await client.post(uri, body)
                #expect(reply.status == .badRequest && reply.code == "unknown_field", "\(uri): \(reply.text)")
                #expect(reply.message.contains("'\(field)'"), "\(reply.message)")
            }
        }
    }

    @Test func timesAStoreCannotHoldAre400NotACrash() async throws {
        let server = try TestServer()
        try await server.run { client in
            for field in ["createdAt", "validFrom", "expiresAt"] {
                let reply = try await client.post("/v1/memories", ["text": "x", "namespace": "a", field: 1e300])
                #expect(reply.status == .badRequest && reply.message.contains(field), "\(reply.text)")
            }
            let ttl = try await client.post("/v1/memories", ["text": "x", "namespace": "a", "ttl": 1e300])
            #expect(ttl.status == .badRequest)
            let search = try await client.post("/v1/search", ["query": "x", "filter": ["createdAfter": 1e300, "validAt": -1e300]])
            #expect(search.status == .ok && search["hits"] == [])
            #expect(try await client.get("/health").status == .ok)
        }
    }

    @Test func unknownRoutesAndWrongMethodsAreJSONErrors() async throws {
        let server = try TestServer()
        try await server.run { client in
            let unknown = try await client.get("/v2/memories")
            #expect(unknown.status == .notFound && unknown.code == "unknown_route")
            let method = try await client.send(.delete, "/v1/search")
            #expect(method.status == .methodNotAllowed && method.code == "method_not_allowed")
            #expect(method.headers[.allow] == "POST")
            // A literal segment wins over a parameter, as in the router: batch is not an id.
            let batch = try await client.get("/v1/memories/batch")
            #expect(batch.status == .methodNotAllowed && batch.headers[.allow] == "POST")
        }
    }

    @Test func errorBodiesNeverHoldTheStorePath() async throws {
        let server = try TestServer()
        let path = server.store.path
        try await server.run { client in
            var replies: [Reply] = []
            replies.append(try await client.post("/v1/memories", ["text": "", "namespace": "a"]))
            replies.append(try await client.get("/v1/memories/01JDZ3K7M2X8Q4W5E6R7T8Y9AB"))
            replies.append(try await client.post("/v1/search", ["query": "x", "filter": ["where": "a >>> 1"]]))
            replies.append(try await client.get("/v1/check"))
            for reply in replies {
                #expect(!reply.text.contains(path) && !reply.text.contains("/tmp"), "\(reply.text)")
                #expect(!reply.text.contains("Swift") && !reply.text.contains(".swift"))
            }
        }
    }
}
