import Foundation
import MCP
import Mnemap
import MnemapTestSupport
import Testing
@testable import MnemapMCP

/// A bad call is an error result whose message says what was wrong: never a crash, never a
/// protocol error, and the server goes on answering.
@Suite struct ToolErrorTests {
    static let badCalls: [(tool: String, arguments: JSONValue, says: String)] = [
        ("add_memory", [:], "needs 'text'"),
        ("add_memory", ["text": "   "], "'text' in add_memory is empty"),
        ("add_memory", ["text": 42], "'text' in add_memory must be a string, not a number"),
        ("add_memory", ["text": "x", "txet": "y"], "no argument 'txet'"),
        ("add_memory", ["text": "x", "kind": "factual"], "'kind' in add_memory is 'factual'; it takes episodic, semantic, procedural"),
        ("add_memory", ["text": "x", "importance": 2], "importance 2.0 is outside 0 to 1"),
        ("add_memory", ["text": "x", "namespace": "a//b"], "empty segment"),
        ("add_memory", ["text": "x", "metadata": [1, 2]], "'metadata' in add_memory must be an object, not an array"),
        ("add_memory", ["text": "x", "expiresAt": "next tuesday"], "ISO-8601"),
        ("add_memory", ["text": "x", "ttlSeconds": -5], "positive number of seconds"),
        ("add_memory", ["text": "x", "supersedes": "01JD"], "memory id"),
        ("add_memory", ["text": "x", "dedupe": "maybe"], "it takes add, skip, update"),
        ("search_memory", ["query": "tea", "limit": 0], "'limit' in search_memory must be a whole number from 1 to 100"),
        ("search_memory", ["query": "tea", "limit": 2.5], "whole number"),
        ("search_memory", ["query": "tea", "mode": "fuzzy"], "it takes vector, text, hybrid"),
        ("search_memory", ["query": "tea", "filter": ["namespce": "a"]], "unknown key 'namespce'"),
        ("search_memory", ["query": "tea", "filter": ["where": "priority >>= 2"]], "invalid filter"),
        ("search_memory", ["query": "tea", "filter": "user/alice"], "a memory filter is a JSON object"),
        ("search_memory", [:], "needs 'query'"),
        ("get_memory", ["id": "not-an-id"], "'id' in get_memory"),
        ("get_memory", ["id": "01JDZ3K7M2X8Q4W5E6R7T8Y9AB"], "no memory with id"),
        ("update_memory", ["id": "01JDZ3K7M2X8Q4W5E6R7T8Y9AB"], "needs something to change"),
        ("update_memory", ["id": "01JDZ3K7M2X8Q4W5E6R7T8Y9AB", "text": "x"], "no memory with id"),
        ("delete_memory", [:], "needs 'id'"),
        ("list_memories", ["cursor": "garbage"], "not a cursor"),
        ("list_memories", ["limit": 1000], "from 1 to 100"),
        ("get_state", ["key": ""], "a state key is 1 to 256 bytes"),
        ("set_state", ["key": "k"], "needs 'value'"),
        ("create_entities", [:], "needs 'entities'"),
        ("create_entities", ["entities": [["name": "A", "entityType": "t"]]], "entities[0] needs 'observations'"),
        ("create_entities", ["entities": [["name": "", "entityType": "t", "observations": []]]], "an entity name is empty"),
        ("create_entities", ["entities": [["name": "A", "entityType": "t", "observations": [1]]]], "'observations[0]' in entities[0] must be a string"),
        ("create_entities", ["entities": [["name": "A", "type": "t", "observations": []]]], "entities[0] has no argument 'type'"),
        ("create_entities", ["entities": "Alice"], "'entities' in create_entities must be an array"),
        ("create_relations", ["relations": [["from": "A", "to": "B"]]], "relations[0] needs 'relationType'"),
        ("add_observations", ["observations": [["entityName": "Nobody", "contents": ["x"]]]], "Entity with name Nobody not found"),
        ("delete_entities", ["entityNames": "A"], "must be an array"),
        ("search_nodes", ["query": ""], "'query' in search_nodes is empty"),
        ("open_nodes", ["names": [1]], "'names[0]' in open_nodes must be a string"),
        ("read_graph", ["limit": 0], "from 1 to 1000"),
        ("no_such_tool", [:], "there is no tool 'no_such_tool'"),
    ]

    @Test func badArgumentsGiveAnErrorResultSayingWhatIsWrong() async throws {
        let connection = try await Connection.open()
        defer { Task { await connection.close() } }
        for call in Self.badCalls {
            let message = try await connection.failure(call.tool, call.arguments)
            #expect(message.contains(call.says), "\(call.tool) \(call.arguments.jsonText): \(message)")
        }
        // Still serving, and nothing was written by the failed calls.
        let added = try await connection.call("add_memory", ["text": "after the errors"])
        #expect(added["outcome"] == "added")
        #expect(try connection.store.stats().memories == 1)
    }

    @Test func aStoreWithoutAnEmbedderSearchesWordsOnly() async throws {
        let folder = try TemporaryFolder(prefix: "mnemap-mcp")
        let store = try MemoryStore(path: folder.path("store"), embedder: nil, dimension: 8)
        let server = try MemoryMCPServer(store: store)
        let result = await server.call("search_memory", arguments: ["query": "tea"])
        #expect(result.isError == true)
        #expect(Connection.text(result).contains("\"mode\": \"text\""))
        let text = await server.call("search_memory", arguments: ["query": "tea", "mode": "text"])
        #expect(text.isError == false)
        let adding = await server.call("add_memory", arguments: ["text": "tea"])
        #expect(Connection.text(adding).contains("without an embedder"))
    }
}
