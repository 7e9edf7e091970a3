import Foundation
import MCP
import Mnemap
import Testing
@testable import MnemapMCP

/// A resource per namespace: listed with the namespaces, read as the newest memories.
@Suite struct ResourceTests {
    @Test func namespacesAreResourcesWithTheirNewestMemories() async throws {
        let connection = try await Connection.open()
        defer { Task { await connection.close() } }
        try await connection.call("add_memory", ["text": "Alice prefers green tea", "namespace": "user/alice", "kind": "semantic"])
        try await connection.call("add_memory", ["text": "Alice moved to Lisbon", "namespace": "user/alice"])
        try await connection.call("add_memory", ["text": "The build uses Swift 6", "namespace": "project/x y"])

        let (resources, next) = try await connection.client.listResources()
        #expect(next == nil)
        #expect(resources.map(\.name) == ["project/x y", "user/alice"])
        #expect(resources.map(\.uri) == ["mnemap://namespace/project/x%20y", "mnemap://namespace/user/alice"])
        #expect(resources[1].description?.contains("2 memories") == true)

        let contents = try await connection.client.readResource(uri: "mnemap://namespace/user/alice")
        let text = try #require(contents.first { $0.mimeType == "text/plain" }?.text)
        #expect(text.hasPrefix("user/alice: 2 memories"))
        #expect(text.firstRange(of: "Lisbon")!.lowerBound < text.firstRange(of: "green tea")!.lowerBound)
        let json = try JSONValue(parsing: try #require(contents.first { $0.mimeType == "application/json" }?.text))
        #expect(json["count"] == 2)
        #expect(json["memories"]?.arrayValue?.compactMap { $0["text"]?.stringValue } == ["Alice moved to Lisbon", "Alice prefers green tea"])

        let spaced = try await connection.client.readResource(uri: "mnemap://namespace/project/x%20y")
        #expect(spaced.first?.text?.contains("Swift 6") == true)

        let templates = try await connection.client.listResourceTemplates()
        #expect(templates.templates.map(\.uriTemplate) == ["mnemap://namespace/{namespace}"])
    }

    @Test func readingAnUnknownResourceIsAnError() async throws {
        let connection = try await Connection.open()
        defer { Task { await connection.close() } }
        await #expect(throws: MCPError.self) { try await connection.client.readResource(uri: "mnemap://namespace/nobody") }
        await #expect(throws: MCPError.self) { try await connection.client.readResource(uri: "file:///etc/passwd") }
    }

    @Test func resourceURIsRoundTripEveryNamespace() {
        for namespace in ["a", "user/alice", "x y/z%2F", "ünï/cødé", "q?/#h"] {
            let uri = NamespaceResources.uri(of: namespace)
            #expect(NamespaceResources.namespace(of: uri) == namespace, "\(uri)")
            #expect(URL(string: uri) != nil, "\(uri)")
        }
    }
}
