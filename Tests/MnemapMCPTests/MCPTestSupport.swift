import Embeddings
import Foundation
import MCP
import Mnemap
import MnemapTestSupport
import Testing
@testable import MnemapMCP

/// A store with the hashing embedder (no model needed) and an MCP server over it, with the SDK's
/// client connected in-process.
final class Connection: Sendable {
    let folder: TemporaryFolder
    let store: MemoryStore
    let server: MemoryMCPServer
    let client: Client
    let initialize: Initialize.Result

    static func open(folder: TemporaryFolder? = nil, configuration: MCPServerConfiguration = MCPServerConfiguration()) async throws -> Connection {
        let folder = try folder ?? TemporaryFolder(prefix: "mnemap-mcp")
        let store = try MemoryStore(path: folder.path("store"), embedder: HashingEmbedder(dimension: 64))
        let server = try MemoryMCPServer(store: store, configuration: configuration)
        let (clientSide, serverSide) = await InMemoryTransport.createConnectedPair()
        try await server.start(transport: serverSide)
        let client = Client(name: "mnemap-tests", version: "1.0")
        let initialize = try await client.connect(transport: clientSide)
        return Connection(folder: folder, store: store, server: server, client: client, initialize: initialize)
    }

    private init(folder: TemporaryFolder, store: MemoryStore, server: MemoryMCPServer, client: Client, initialize: Initialize.Result) {
        self.folder = folder
        self.store = store
        self.server = server
        self.client = client
        self.initialize = initialize
    }

    func close() async {
        await client.disconnect()
        await server.server.stop()
    }

    /// Calls a tool; the whole result.
    func result(_ tool: String, _ arguments: JSONValue = [:]) async throws -> CallTool.Result {
        let members = arguments.objectValue?.mapValues(Value.init)
        return try await client.send(CallTool.request(.init(name: tool, arguments: members))).value
    }

    /// Calls a tool that must succeed; its structured content.
    @discardableResult
    func call(_ tool: String, _ arguments: JSONValue = [:], sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
        let result = try await result(tool, arguments)
        guard result.isError != true else {
            Issue.record("\(tool) failed: \(Self.text(result))", sourceLocation: sourceLocation)
            throw Failed()
        }
        return JSONValue(try #require(result.structuredContent, sourceLocation: sourceLocation))
    }

    /// Calls a tool that must fail; its message.
    func failure(_ tool: String, _ arguments: JSONValue = [:], sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let result = try await result(tool, arguments)
        #expect(result.isError == true, "\(tool) succeeded: \(Self.text(result))", sourceLocation: sourceLocation)
        #expect(result.structuredContent == nil, sourceLocation: sourceLocation)
        return Self.text(result)
    }

    static func text(_ result: CallTool.Result) -> String {
        result.content.compactMap { content -> String? in
            if case .text(let text, _, _) = content { return text }
            return nil
        }.joined(separator: "\n")
    }

    struct Failed: Error {}
}

extension JSONValue {
    /// The member at a dotted path with array indexes: "hits.0.memory.text".
    subscript(path path: String) -> JSONValue? {
        var value: JSONValue? = self
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
