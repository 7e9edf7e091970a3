import Foundation
import Hummingbird
import Mnemap
import MnemapServer
import Testing

/// Bearer tokens: who gets in, who may write, and a namespace-confined token that can neither read
/// nor write outside its namespace and learns nothing about it.
@Suite struct AuthTests {
    static let admin = "admin-token-0123456789abcdef"
    static let reader = "reader-token-0123456789abcdef"
    static let alice = "alice-token-0123456789abcdef"
    static let aliceReader = "alice-reader-token-0123456789"

    func makeServer() throws -> TestServer {
        try TestServer(tokens: [
            AccessToken(token: Self.admin), AccessToken(token: Self.reader, readOnly: true),
            AccessToken(token: Self.alice, namespace: "user/alice"), AccessToken(token: Self.aliceReader, namespace: "user/alice", readOnly: true),
        ])
    }

    @Test func aRequestWithoutAValidTokenIs401() async throws {
        let server = try makeServer()
        try await server.run { client in
            let none = try await client.get("/v1/namespaces")
            #expect(none.status == .unauthorized && none.code == "missing_token")
            #expect(none.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            let wrong = try await client.get("/v1/namespaces", token: "not-a-token-of-this-server")
            #expect(wrong.status == .unauthorized && wrong.code == "invalid_token")
            let basic = try await client.send(.get, "/v1/namespaces", headers: [.authorization: "Basic YWRtaW46YWRtaW4="])
            #expect(basic.status == .unauthorized && basic.code == "invalid_token")
            let prefixOfAToken = try await client.get("/v1/namespaces", token: String(Self.admin.dropLast()))
            #expect(prefixOfAToken.status == .unauthorized)
            let metrics = try await client.get("/metrics")
            #expect(metrics.status == .unauthorized)
            let ok = try await client.get("/v1/namespaces", token: Self.admin)
            #expect(ok.status == .ok)
        }
    }

    @Test func aReadOnlyTokenReadsButCannotWrite() async throws {
        let server = try makeServer()
        try await server.run { client in
            let id = try await client.add("a fact", namespace: "user/alice", token: Self.admin)
            #expect(try await client.get("/v1/memories/\(id)", token: Self.reader).status == .ok)
            #expect(try await client.post("/v1/search", ["query": "fact"], token: Self.reader).status == .ok)
            let writes: [Reply] = [
                try await client.post("/v1/memories", ["text": "x", "namespace": "user/alice"], token: Self.reader),
                try await client.post("/v1/memories/batch", ["memories": [["text": "x", "namespace": "a"]]], token: Self.reader),
                try await client.send(.patch, "/v1/memories/\(id)", json: ["text": "y"], token: Self.reader),
                try await client.send(.delete, "/v1/memories/\(id)", token: Self.reader),
                try await client.post("/v1/forget", ["filter": [:], "confirm": true], token: Self.reader),
                try await client.send(.put, "/v1/state/k?namespace=a", json: ["value": 1], token: Self.reader),
                try await client.send(.delete, "/v1/state/k?namespace=a", token: Self.reader),
                try await client.send(.post, "/v1/import", raw: "", token: Self.reader),
                try await client.send(.post, "/v1/compact", token: Self.reader),
            ]
            for reply in writes { #expect(reply.status == .forbidden && reply.code == "read_only_token", "\(reply.text)") }
            #expect(try await client.get("/v1/memories/\(id)", token: Self.admin)["text"] == "a fact")
        }
    }

    @Test func aNamespaceTokenCannotReadOrWriteAnotherNamespace() async throws {
        let server = try makeServer()
        try await server.run { client in
            try await client.add("alice likes tea", namespace: "user/alice", token: Self.admin)
            try await client.add("bob likes coffee", namespace: "user/bob", token: Self.admin)
            try await client.add("alicea is someone else", namespace: "user/alicea", token: Self.admin)
            _ = try await client.send(.put, "/v1/state/secret?namespace=user/bob", json: ["value": "bob's"], token: Self.admin)
            let forbidden: [Reply] = [
                try await client.post("/v1/memories", ["text": "x", "namespace": "user/bob"], token: Self.alice),
                try await client.post("/v1/memories/batch", ["memories": [["text": "x", "namespace": "user/alice"], ["text": "y", "namespace": "user/bob"]]], token: Self.alice),
                try await client.post("/v1/search", ["query": "likes", "filter": ["namespace": "user/bob"]], token: Self.alice),
                try await client.post("/v1/search", ["query": "likes", "filter": ["namespace": "user"]], token: Self.alice),
                try await client.get("/v1/timeline?namespace=user/bob", token: Self.alice),
                try await client.get("/v1/timeline?namespace=user&children=true", token: Self.alice),
                try await client.get("/v1/namespaces?prefix=user", token: Self.alice),
                try await client.get("/v1/state/secret?namespace=user/bob", token: Self.alice),
                try await client.get("/v1/state?namespace=user/bob", token: Self.alice),
                try await client.send(.put, "/v1/state/secret?namespace=user/bob", json: ["value": "mine"], token: Self.alice),
                try await client.post("/v1/forget", ["filter": ["namespace": "user/bob"], "confirm": true], token: Self.alice),
                try await client.get("/v1/export?namespace=user/bob", token: Self.alice),
                try await client.send(.post, "/v1/import", raw: "{\"text\": \"x\", \"namespace\": \"user/bob\"}\n", token: Self.alice),
            ]
            for reply in forbidden {
                #expect(reply.status == .forbidden && reply.code == "namespace_forbidden", "\(reply.text)")
                #expect(!reply.text.contains("coffee") && !reply.text.contains("bob's"))
            }
            let storeWide: [Reply] = [
                try await client.get("/v1/stats", token: Self.alice), try await client.get("/v1/check", token: Self.alice),
                try await client.get("/metrics", token: Self.alice), try await client.send(.post, "/v1/compact", token: Self.alice),
                try await client.post("/v1/forget", ["expired": true], token: Self.alice),
            ]
            for reply in storeWide { #expect(reply.status == .forbidden && reply.code == "store_wide_forbidden", "\(reply.text)") }
            // Without a namespace, listings and searches see only the token's.
            let hits = try await client.post("/v1/search", ["query": "likes someone else tea coffee", "mode": "text"], token: Self.alice)
            #expect(hits["hits"]?.arrayValue?.compactMap { $0["memory"]?["namespace"]?.stringValue } == ["user/alice"])
            let names = try await client.get("/v1/namespaces", token: Self.alice)
            #expect(names["namespaces"]?.arrayValue?.compactMap { $0["namespace"]?.stringValue } == ["user/alice"])
            let exported = try await client.get("/v1/export", token: Self.alice)
            #expect(exported.text.split(separator: "\n").count == 1 && exported.text.contains("alice likes tea"))
            let mine = try await client.post("/v1/forget", ["filter": [:], "dryRun": true], token: Self.alice)
            #expect(mine["wouldForget"] == 1)
            // Inside its namespace it reads and writes.
            try await client.add("alice's session note", namespace: "user/alice/session/1", token: Self.alice)
            let state = try await client.send(.put, "/v1/state/plan?namespace=user/alice", json: ["value": 1], token: Self.alice)
            #expect(state.status == .ok)
            let readOnly = try await client.post("/v1/memories", ["text": "x", "namespace": "user/alice"], token: Self.aliceReader)
            #expect(readOnly.status == .forbidden && readOnly.code == "read_only_token")
            // Bob's state and memories are untouched.
            #expect(try await client.get("/v1/state/secret?namespace=user/bob", token: Self.admin)["value"] == "bob's")
            #expect(try await client.get("/v1/timeline?namespace=user/bob", token: Self.admin)["memories"]?.arrayValue?.count == 1)
        }
    }

    @Test func aMemoryOutsideTheTokensNamespaceLooksExactlyLikeAMissingOne() async throws {
        let server = try makeServer()
        try await server.run { client in
            let bob = try await client.add("bob's private fact", namespace: "user/bob", token: Self.admin)
            let missing = "01JDZ3K7M2X8Q4W5E6R7T8Y9AB"
            for (method, json) in [(HTTPRequest.Method.get, nil), (.patch, ["text": "overwritten"] as JSONValue?), (.delete, nil)] {
                let hidden = try await client.send(method, "/v1/memories/\(bob)", json: json, token: Self.alice)
                let absent = try await client.send(method, "/v1/memories/\(missing)", json: json, token: Self.alice)
                #expect(hidden.status == .notFound && absent.status == .notFound)
                #expect(hidden.code == absent.code)
                #expect(hidden.message.replacingOccurrences(of: bob, with: "ID") == absent.message.replacingOccurrences(of: missing, with: "ID"))
                #expect(!hidden.text.contains("user/bob") && !hidden.text.contains("private"))
            }
            let history = try await client.get("/v1/memories/\(bob)?history=true", token: Self.alice)
            #expect(history.status == .notFound)
            let superseding = try await client.post("/v1/memories", ["text": "x", "namespace": "user/alice", "supersedes": .string(bob)], token: Self.alice)
            #expect(superseding.status == .notFound && superseding.code == "not_found")
            // An import line naming bob's id is added as one naming no existing id is: ids are dropped.
            let copied = try await client.send(.post, "/v1/import", raw: #"{"id": "\#(bob)", "text": "copied", "namespace": "user/alice"}"# + "\n", token: Self.alice)
            let fresh = try await client.send(.post, "/v1/import", raw: #"{"id": "\#(missing)", "text": "fresh", "namespace": "user/alice"}"# + "\n", token: Self.alice)
            #expect(copied.status == .ok && copied.text == fresh.text, "\(copied.text) \(fresh.text)")
            let intact = try await client.get("/v1/memories/\(bob)", token: Self.admin)
            #expect(intact["text"] == "bob's private fact" && intact["version"] == 0)
        }
    }

    @Test func tokensFilesAreParsedStrictly() throws {
        let parsed = try AccessToken.parse(Array(#"[{"token": "0123456789abcdef0", "namespace": "user/alice/", "readOnly": true}, {"token": "fedcba98765432100"}]"#.utf8))
        #expect(parsed == [AccessToken(token: "0123456789abcdef0", namespace: "user/alice", readOnly: true), AccessToken(token: "fedcba98765432100")])
        #expect(throws: ServerSetupError.self) { try AccessToken.parse(Array(#"[{"token": "short"}]"#.utf8)) }
        #expect(throws: ServerSetupError.self) { try AccessToken.parse(Array(#"[{"token": "0123456789abcdef0", "admin": true}]"#.utf8)) }
        #expect(throws: ServerSetupError.self) { try AccessToken.parse(Array(#"{"token": "0123456789abcdef0"}"#.utf8)) }
        #expect(throws: ServerSetupError.self) { try AccessToken.parse(Array(#"[{"token": "0123456789abcdef0", "namespace": "a//b"}]"#.utf8)) }
    }

    @Test func onlyLoopbackMayBeBoundWithoutATokenAndTokensMustBeDistinct() throws {
        #expect(throws: Never.self) { try ServerConfiguration(host: "127.0.0.1").validate() }
        #expect(throws: Never.self) { try ServerConfiguration(host: "::1").validate() }
        #expect(throws: Never.self) { try ServerConfiguration(host: "localhost").validate() }
        for host in ["0.0.0.0", "::", "192.168.1.10", "example.com", "127.0.0.1.example.com"] {
            #expect(throws: ServerSetupError.self, "\(host)") { try ServerConfiguration(host: host).validate() }
        }
        #expect(throws: Never.self) { try ServerConfiguration(host: "0.0.0.0", tokens: [AccessToken(token: "0123456789abcdef0")]).validate() }
        let twice = [AccessToken(token: "0123456789abcdef0"), AccessToken(token: "0123456789abcdef0", readOnly: true)]
        #expect(throws: ServerSetupError.self) { try ServerConfiguration(tokens: twice).validate() }
    }
}
