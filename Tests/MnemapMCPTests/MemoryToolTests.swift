import Foundation
import MCP
import Mnemap
import Testing
@testable import MnemapMCP

/// The memory and state tools as an agent calls them, through the SDK's client.
@Suite struct MemoryToolTests {
    @Test func theServerListsEveryToolWithASchemaAndGivesInstructions() async throws {
        let connection = try await Connection.open()
        defer { Task { await connection.close() } }
        let (tools, _) = try await connection.client.listTools()
        #expect(Set(tools.map(\.name)) == [
            "add_memory", "search_memory", "get_memory", "update_memory", "delete_memory", "list_memories", "list_namespaces", "get_state", "set_state",
            "create_entities", "create_relations", "add_observations", "delete_entities", "delete_observations", "delete_relations",
            "read_graph", "search_nodes", "open_nodes",
        ])
        for tool in tools {
            #expect(tool.description.map { $0.count > 20 } == true, "\(tool.name) needs a description")
            let schema = JSONValue(tool.inputSchema)
            #expect(schema["type"] == "object" && schema["additionalProperties"] == false, "\(tool.name)")
            for (name, property) in schema["properties"]?.objectValue ?? [:] {
                #expect(property["description"] != nil || name == "kind", "\(tool.name).\(name) needs a description")
            }
        }
        let instructions = try #require(connection.initialize.instructions)
        #expect(instructions.contains("search_memory") && instructions.contains("create_entities") && instructions.contains("supersedes"))
        #expect(connection.initialize.serverInfo.name == "mnemap")
    }

    @Test func addSearchGetUpdateAndDeleteAMemory() async throws {
        let connection = try await Connection.open()
        defer { Task { await connection.close() } }
        let added = try await connection.call("add_memory", [
            "text": "Alice prefers green tea in the morning", "namespace": "user/alice", "kind": "semantic",
            "metadata": ["topic": "drinks", "priority": 2], "importance": 0.8, "source": "chat",
        ])
        #expect(added["outcome"] == "added")
        let id = try #require(added["id"]?.stringValue)
        #expect(added[path: "memory.namespace"] == "user/alice" && added[path: "memory.kind"] == "semantic")
        try await connection.call("add_memory", ["text": "Bob plays the cello", "namespace": "user/bob"])
        let again = try await connection.call("add_memory", ["text": "Alice prefers green tea in the morning", "namespace": "user/alice"])
        #expect(again["outcome"] == "exact-duplicate" && again["id"]?.stringValue == id)

        let found = try await connection.call("search_memory", ["query": "what tea does alice drink", "limit": 5])
        #expect(found[path: "hits.0.memory.id"]?.stringValue == id)
        #expect(found[path: "hits.0.rank"] == 1)
        let filtered = try await connection.call("search_memory", [
            "query": "tea", "mode": "text", "filter": ["namespace": "user/bob"],
        ])
        #expect(filtered["hits"]?.arrayValue?.isEmpty == true)
        let byMetadata = try await connection.call("search_memory", [
            "query": "morning", "filter": ["namespace": "user", "kind": ["semantic"], "where": ["priority": ["$gte": 2]], "createdAfter": "2020-01-01"],
        ])
        #expect(byMetadata["hits"]?.arrayValue?.count == 1)

        let updated = try await connection.call("update_memory", ["id": .string(id), "text": "Alice prefers oolong tea", "mergeMetadata": ["topic": "tea", "priority": nil]])
        #expect(updated[path: "memory.text"] == "Alice prefers oolong tea")
        #expect(updated[path: "memory.metadata"] == ["topic": "tea"])
        #expect(updated[path: "memory.version"] == 1)
        let got = try await connection.call("get_memory", ["id": .string(id), "history": true])
        #expect(got[path: "memory.text"] == "Alice prefers oolong tea")
        #expect(got[path: "history.0.text"] == "Alice prefers green tea in the morning")

        let deleted = try await connection.call("delete_memory", ["id": .string(id)])
        #expect(deleted["deleted"] == true)
        #expect(try await connection.failure("get_memory", ["id": .string(id)]).contains("no memory with id"))
        #expect(try connection.store.get(MemoryID(id)) == nil)
    }

    @Test func supersedingKeepsTheOldFactForThePast() async throws {
        let connection = try await Connection.open()
        defer { Task { await connection.close() } }
        let old = try await connection.call("add_memory", ["text": "Alice works at Initech", "kind": "semantic"])
        let new = try await connection.call("add_memory", ["text": "Alice works at Globex", "kind": "semantic", "supersedes": old["id"]!])
        #expect(new["supersedes"] == old["id"] && new[path: "memory.metadata.supersedes"] == old["id"])
        let current = try await connection.call("search_memory", ["query": "where does alice work", "mode": "text", "filter": ["validAt": .number(Date().timeIntervalSince1970 + 1)]])
        #expect(current["hits"]?.arrayValue?.compactMap { $0[path: "memory.text"]?.stringValue } == ["Alice works at Globex"])
        let past = try await connection.call("get_memory", ["id": old["id"]!])
        #expect(past[path: "memory.validUntil"] != nil)
    }

    @Test func nearDuplicatesCanBeSkipped() async throws {
        let connection = try await Connection.open()
        defer { Task { await connection.close() } }
        try await connection.call("add_memory", ["text": "the deploy key lives in the vault", "namespace": "team/ops"])
        let skipped = try await connection.call("add_memory", ["text": "the deploy key lives in the vault!", "namespace": "team/ops", "dedupe": "skip"])
        #expect(skipped["outcome"] == "near-duplicate-skipped")
        #expect((skipped["similarity"]?.numberValue ?? 0) >= 0.95)
    }

    @Test func listMemoriesPagesThroughATimelineNewestFirst() async throws {
        let connection = try await Connection.open()
        defer { Task { await connection.close() } }
        for index in 0..<5 {
            try await connection.call("add_memory", ["text": .string("event number \(index)"), "namespace": "project/x/log"])
        }
        try await connection.call("add_memory", ["text": "a decision", "namespace": "project/x"])
        var texts: [String] = []
        var cursor: JSONValue = .null
        repeat {
            let page = try await connection.call("list_memories", ["namespace": "project/x", "limit": 2, "cursor": cursor])
            texts += page["memories"]?.arrayValue?.compactMap { $0["text"]?.stringValue } ?? []
            cursor = page["nextCursor"] ?? .null
        } while !cursor.isNull
        #expect(texts == ["a decision", "event number 4", "event number 3", "event number 2", "event number 1", "event number 0"])
        let own = try await connection.call("list_memories", ["namespace": "project/x", "includeChildren": false, "newestFirst": false])
        #expect(own["memories"]?.arrayValue?.count == 1)
        let defaults = try await connection.call("list_memories")
        #expect(defaults["memories"]?.arrayValue?.isEmpty == true)

        let namespaces = try await connection.call("list_namespaces", ["prefix": "project"])
        #expect(namespaces["namespaces"] == [["namespace": "project/x", "count": 1], ["namespace": "project/x/log", "count": 5]])
        let all = try await connection.call("list_namespaces", ["prefix": "", "limit": 1])
        #expect(all["namespaces"]?.arrayValue?.count == 1 && all["nextCursor"] == "project/x")
    }

    @Test func stateIsSetReadListedAndDeleted() async throws {
        let connection = try await Connection.open()
        defer { Task { await connection.close() } }
        let set = try await connection.call("set_state", ["namespace": "agent/planner", "key": "plan", "value": ["step": 2, "done": ["a"]]])
        #expect(set["value"] == ["step": 2, "done": ["a"]])
        try await connection.call("set_state", ["namespace": "agent/planner", "key": "mode", "value": "careful"])
        let got = try await connection.call("get_state", ["namespace": "agent/planner", "key": "plan"])
        #expect(got["found"] == true && got[path: "value.step"] == 2)
        let listed = try await connection.call("get_state", ["namespace": "agent/planner"])
        #expect(listed["entries"]?.arrayValue?.compactMap { $0["key"]?.stringValue } == ["mode", "plan"])
        let deleted = try await connection.call("set_state", ["namespace": "agent/planner", "key": "plan", "value": nil])
        #expect(deleted["deleted"] == true)
        let missing = try await connection.call("get_state", ["namespace": "agent/planner", "key": "plan"])
        #expect(missing["found"] == false && missing["value"] == .null)
        // Without a namespace, the default one.
        try await connection.call("set_state", ["key": "theme", "value": "dark"])
        #expect(try connection.store.state("theme", in: "agent") == "dark")
    }

    @Test func theTextContentIsTheStructuredContentAsJSON() async throws {
        let connection = try await Connection.open()
        defer { Task { await connection.close() } }
        let result = try await connection.result("add_memory", ["text": "remember the milk"])
        let structured = JSONValue(try #require(result.structuredContent))
        #expect(try JSONValue(parsing: Connection.text(result)) == structured)
        #expect(result.isError == false)
    }
}
