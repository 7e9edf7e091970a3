import Foundation
import Hummingbird
import Mnemap
import MnemapServer
import Testing

/// `POST /mcp`: the MCP tools over the streamable HTTP transport, one JSON answer per message.
@Suite struct MCPEndpointTests {
    static let mcpHeaders: HTTPFields = [.accept: "application/json, text/event-stream", .contentType: "application/json"]

    func rpc(_ client: Client, _ id: Int, _ method: String, _ params: JSONValue, token: String? = nil) async throws -> Reply {
        let message: JSONValue = ["jsonrpc": "2.0", "id": .number(Double(id)), "method": .string(method), "params": params]
        return try await client.send(.post, "/mcp", raw: message.jsonText, token: token, headers: Self.mcpHeaders)
    }

    @Test func initializeListAndCallToolsOverHTTP() async throws {
        let server = try TestServer()
        try await server.run { client in
            let initialized = try await rpc(client, 1, "initialize", [
                "protocolVersion": "2025-06-18", "capabilities": [:], "clientInfo": ["name": "test", "version": "1"],
            ])
            #expect(initialized.status == .ok, "\(initialized.text)")
            #expect(initialized[path: "result.serverInfo.name"] == "mnemap")
            #expect(initialized[path: "result.instructions"]?.stringValue?.contains("search_memory") == true)
            let notified = try await client.send(.post, "/mcp", raw: #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#, headers: Self.mcpHeaders)
            #expect(notified.status == .accepted)

            let tools = try await rpc(client, 2, "tools/list", [:])
            #expect(tools[path: "result.tools"]?.arrayValue?.count == 18)
            let added = try await rpc(client, 3, "tools/call", ["name": "add_memory", "arguments": ["text": "Alice prefers green tea", "namespace": "user/alice"]])
            #expect(added[path: "result.isError"] == false, "\(added.text)")
            // Another client, with no initialize of its own, sees the same store.
            let found = try await rpc(client, 4, "tools/call", ["name": "search_memory", "arguments": ["query": "tea"]])
            #expect(found[path: "result.structuredContent.hits.0.memory.text"] == "Alice prefers green tea")
            let refused = try await rpc(client, 5, "tools/call", ["name": "add_memory", "arguments": ["txet": "typo"]])
            #expect(refused.status == .ok && refused[path: "result.isError"] == true)
            // The answer to a bad message is a JSON-RPC error, never a crash.
            let garbage = try await client.send(.post, "/mcp", raw: "{not json", headers: Self.mcpHeaders)
            #expect(garbage.status == .badRequest)
            // JSON that is not a JSON-RPC message is refused the same way, with the SDK's error.
            let notRPC = try await client.send(.post, "/mcp", raw: #"{"jsonrpc":{},"id":7,"method":"tools/list"}"#, headers: Self.mcpHeaders)
            #expect(notRPC.status == .badRequest, "\(notRPC.text)")
            #expect(notRPC[path: "error.code"]?.numberValue == -32700 || notRPC[path: "error.code"]?.numberValue == -32600, "\(notRPC.text)")
            // A well-formed request the server cannot serve is a JSON-RPC error with status 200.
            let unknown = try await rpc(client, 8, "tools/unknown", [:])
            #expect(unknown.status == .ok && unknown[path: "error.code"]?.numberValue == -32601, "\(unknown.text)")
            let noAccept = try await client.send(.post, "/mcp", raw: #"{"jsonrpc":"2.0","id":9,"method":"tools/list"}"#, headers: [.contentType: "application/json", .accept: "text/html"])
            #expect(noAccept.status == .notAcceptable)
            let streams = try await client.get("/mcp")
            #expect(streams.status == .methodNotAllowed)
        }
        #expect(try server.store.timeline(namespace: "user/alice").items.count == 1)
    }

    @Test func onlyAWritableTokenForTheWholeStoreMayUseIt() async throws {
        let server = try TestServer(tokens: [
            AccessToken(token: AuthTests.admin), AccessToken(token: AuthTests.reader, readOnly: true), AccessToken(token: AuthTests.alice, namespace: "user/alice"),
        ])
        try await server.run { client in
            let list: JSONValue = [:]
            #expect(try await rpc(client, 1, "tools/list", list).status == .unauthorized)
            let confined = try await rpc(client, 1, "tools/list", list, token: AuthTests.alice)
            #expect(confined.status == .forbidden && confined.code == "store_wide_forbidden", "\(confined.text)")
            #expect(try await rpc(client, 1, "tools/list", list, token: AuthTests.reader).status == .forbidden)
            #expect(try await rpc(client, 1, "tools/list", list, token: AuthTests.admin).status == .ok)
        }
    }
}

@Suite struct MCPEndpointHostTests {
    static let list = #"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#
    /// The in-process client passes header fields as given (over HTTP/1, Host becomes the authority).
    static let host = HTTPFields.Element.Name("Host")!

    @Test func onLoopbackOnlyThisMachineMayBeNamedAgainstDNSRebinding() async throws {
        let server = try TestServer()
        try await server.run { client in
            var headers = MCPEndpointTests.mcpHeaders
            headers[Self.host] = "127.0.0.1:8765"
            let named = try await client.send(.post, "/mcp", raw: Self.list, headers: headers)
            #expect(named.status == .ok)
            headers[Self.host] = "attacker.example:8765"
            let rebound = try await client.send(.post, "/mcp", raw: Self.list, headers: headers)
            #expect(rebound.status == .misdirectedRequest)
            headers[Self.host] = "localhost:8765"
            headers[.origin] = "http://attacker.example"
            let browsed = try await client.send(.post, "/mcp", raw: Self.list, headers: headers)
            #expect(browsed.status == .forbidden)
        }
    }

    @Test func offLoopbackTheTokenGuardsItAndAnyHostNameIsTaken() async throws {
        let server = try TestServer(tokens: [AccessToken(token: AuthTests.admin)], host: "0.0.0.0")
        try await server.run { client in
            var headers = MCPEndpointTests.mcpHeaders
            headers[Self.host] = "memory.example.com:8765"
            let anonymous = try await client.send(.post, "/mcp", raw: Self.list, headers: headers)
            #expect(anonymous.status == .unauthorized)
            let answered = try await client.send(.post, "/mcp", raw: Self.list, token: AuthTests.admin, headers: headers)
            #expect(answered.status == .ok, "\(answered.text)")
        }
    }
}

extension Reply {
    /// The member at a dotted path with array indexes: "result.tools.0.name".
    subscript(path path: String) -> JSONValue? {
        var value: JSONValue? = json
        for part in path.split(separator: ".") {
            if let index = Int(part) {
                guard let elements = value?.arrayValue, index < elements.count else { return nil }
                value = elements[index]
            } else {
                value = value?[String(part)]
            }
        }
        return value
    }
}
