import Foundation
import MCP
import Mnemap
import Testing
@testable import MnemapMCP

/// The knowledge-graph tools, with the reference memory server's argument and result shapes.
@Suite struct GraphToolTests {
    static let people: JSONValue = [
        "entities": [
            ["name": "Alice", "entityType": "person", "observations": ["Speaks fluent Spanish", "Prefers morning meetings"]],
            ["name": "Globex", "entityType": "organization", "observations": ["Makes widgets in Springfield"]],
            ["name": "AC/DC", "entityType": "band", "observations": []],
        ],
    ]

    @Test func aGraphRoundTrip() async throws {
        let connection = try await Connection.open()
        defer { Task { await connection.close() } }

        let created = try await connection.call("create_entities", Self.people)
        #expect(created["entities"]?.arrayValue?.count == 3)
        #expect(created[path: "entities.0"] == ["name": "Alice", "entityType": "person", "observations": ["Speaks fluent Spanish", "Prefers morning meetings"]])
        // A name already taken is ignored.
        let again = try await connection.call("create_entities", ["entities": [["name": "Alice", "entityType": "robot", "observations": ["x"]]]])
        #expect(again["entities"] == [])

        let related = try await connection.call("create_relations", ["relations": [
            ["from": "Alice", "to": "Globex", "relationType": "works_at"],
            ["from": "Alice", "to": "AC/DC", "relationType": "listens_to"],
            ["from": "Alice", "to": "Globex", "relationType": "works_at"],
        ]])
        #expect(related["relations"] == [["from": "Alice", "to": "Globex", "relationType": "works_at"], ["from": "Alice", "to": "AC/DC", "relationType": "listens_to"]])

        let observed = try await connection.call("add_observations", ["observations": [
            ["entityName": "Alice", "contents": ["Speaks fluent Spanish", "Plays chess on Sundays"]],
            ["entityName": "AC/DC", "contents": ["An Australian rock band"]],
        ]])
        #expect(observed["results"] == [
            ["entityName": "Alice", "addedObservations": ["Plays chess on Sundays"]],
            ["entityName": "AC/DC", "addedObservations": ["An Australian rock band"]],
        ])

        // search_nodes finds entities by meaning and words in their observations, and by name.
        let chess = try await connection.call("search_nodes", ["query": "who plays chess?"])
        #expect(chess[path: "entities.0.name"] == "Alice")
        #expect(chess[path: "entities.0.observations"] == ["Speaks fluent Spanish", "Prefers morning meetings", "Plays chess on Sundays"])
        #expect(chess["relations"]?.arrayValue?.count == 2)
        let byName = try await connection.call("search_nodes", ["query": "Globex", "limit": 1])
        #expect(byName[path: "entities.0.name"] == "Globex")
        #expect(byName["entities"]?.arrayValue?.count == 1)
        #expect(byName["relations"] == [["from": "Alice", "to": "Globex", "relationType": "works_at"]])

        let opened = try await connection.call("open_nodes", ["names": ["Globex", "AC/DC", "Nobody"]])
        #expect(opened["entities"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["Globex", "AC/DC"])
        #expect(opened[path: "entities.1.observations"] == ["An Australian rock band"])
        #expect(opened["relations"]?.arrayValue?.count == 2)

        let read = try await connection.call("read_graph")
        #expect(read["entities"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["AC/DC", "Alice", "Globex"])
        #expect(read["relations"]?.arrayValue?.count == 2)
        #expect(read["nextCursor"] == .null)

        let removedObservation = try await connection.call("delete_observations", ["deletions": [["entityName": "Alice", "observations": ["Prefers morning meetings"]]]])
        #expect(removedObservation == ["success": true, "message": "Observations deleted successfully"])
        let removedRelation = try await connection.call("delete_relations", ["relations": [["from": "Alice", "to": "AC/DC", "relationType": "listens_to"]]])
        #expect(removedRelation["message"] == "Relations deleted successfully")
        let removed = try await connection.call("delete_entities", ["entityNames": ["Globex"]])
        #expect(removed == ["success": true, "message": "Entities deleted successfully"])

        let left = try await connection.call("read_graph")
        #expect(left["entities"] == [
            ["name": "AC/DC", "entityType": "band", "observations": ["An Australian rock band"]],
            ["name": "Alice", "entityType": "person", "observations": ["Speaks fluent Spanish", "Plays chess on Sundays"]],
        ])
        #expect(left["relations"] == [])
        // Globex's observations and name are gone from search too.
        let gone = try await connection.call("search_memory", ["query": "widgets Springfield Globex", "mode": "text"])
        #expect(gone["hits"] == [])
        #expect(try connection.store.check().isIntact)
    }

    @Test func readGraphPagesWithACursor() async throws {
        let connection = try await Connection.open()
        defer { Task { await connection.close() } }
        let entities: [JSONValue] = (0..<7).map { ["name": .string("node \($0)"), "entityType": "thing", "observations": [.string("fact about node \($0)")]] }
        try await connection.call("create_entities", ["entities": .array(entities)])
        let relations: [JSONValue] = (0..<6).map { ["from": .string("node \($0)"), "to": .string("node \($0 + 1)"), "relationType": "next"] }
        try await connection.call("create_relations", ["relations": .array(relations)])
        var names: [String] = []
        var relationCount = 0
        var cursor: JSONValue = .null
        repeat {
            let page = try await connection.call("read_graph", ["limit": 3, "cursor": cursor])
            names += page["entities"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            relationCount += page["relations"]?.arrayValue?.count ?? 0
            cursor = page["nextCursor"] ?? .null
        } while !cursor.isNull
        #expect(names == (0..<7).map { "node \($0)" })
        #expect(relationCount == 6)
    }

    @Test func relationsNeedBothEntitiesAndAFailedCallChangesNothing() async throws {
        let connection = try await Connection.open()
        defer { Task { await connection.close() } }
        try await connection.call("create_entities", ["entities": [["name": "Alice", "entityType": "person", "observations": []]]])
        let message = try await connection.failure("create_relations", ["relations": [
            ["from": "Alice", "to": "Alice", "relationType": "admires"],
            ["from": "Alice", "to": "Bob", "relationType": "knows"],
        ]])
        #expect(message.contains("Entity with name Bob not found") && message.contains("create_entities"))
        let graph = try await connection.call("read_graph")
        #expect(graph["relations"] == [])
        let observing = try await connection.failure("add_observations", ["observations": [
            ["entityName": "Alice", "contents": ["likes tea"]], ["entityName": "Carol", "contents": ["likes coffee"]],
        ]])
        #expect(observing.contains("Carol"))
        #expect(try await connection.call("open_nodes", ["names": ["Alice"]])[path: "entities.0.observations"] == [])
    }

    @Test func anEntityRelatedToItselfAndDeletedTogetherWithItsNeighbour() async throws {
        let connection = try await Connection.open()
        defer { Task { await connection.close() } }
        try await connection.call("create_entities", ["entities": [
            ["name": "A", "entityType": "t", "observations": ["a1"]], ["name": "B", "entityType": "t", "observations": ["b1"]], ["name": "C", "entityType": "t", "observations": []],
        ]])
        try await connection.call("create_relations", ["relations": [
            ["from": "A", "to": "A", "relationType": "self"], ["from": "A", "to": "B", "relationType": "r"], ["from": "B", "to": "A", "relationType": "r"],
            ["from": "C", "to": "A", "relationType": "r"], ["from": "B", "to": "C", "relationType": "r"],
        ]])
        let self_ = try await connection.call("open_nodes", ["names": ["A"]])
        #expect(self_["relations"]?.arrayValue?.count == 4)
        let result = try await connection.call("delete_entities", ["entityNames": ["A", "B", "Nobody"]])
        #expect(result["message"] == "Deleted 2 of 3 entities. Not found: Nobody")
        let left = try await connection.call("read_graph")
        #expect(left == ["entities": [["name": "C", "entityType": "t", "observations": []]], "relations": [], "nextCursor": nil])
        #expect(try connection.store.namespaces(under: "graph").items.map(\.namespace) == ["graph/names"])
    }

    @Test func theGraphNamespaceIsConfigurableAndGuardedFromMemoryTools() async throws {
        let connection = try await Connection.open(configuration: MCPServerConfiguration(defaultNamespace: "mine", graphNamespace: "kg/team"))
        defer { Task { await connection.close() } }
        try await connection.call("create_entities", ["entities": [["name": "Alice", "entityType": "person", "observations": ["likes tea"]]]])
        let namespaces = try connection.store.namespaces().items.map(\.namespace)
        #expect(namespaces == ["kg/team/entities/Alice", "kg/team/names"])
        #expect(try await connection.failure("add_memory", ["text": "sneaky", "namespace": "kg/team/entities/Alice"]).contains("create_entities"))
        let observation = try #require(try connection.store.timeline(namespace: "kg/team/entities/Alice").items.first)
        #expect(observation.metadata == ["entityName": "Alice", "entityType": "person", "graph": "observation"])
        #expect(observation.kind == .semantic)
        #expect(try await connection.failure("delete_memory", ["id": .string(observation.id.description)]).contains("knowledge graph"))
        #expect(try await connection.failure("set_state", ["namespace": "kg/team", "key": "x", "value": 1]).contains("knowledge graph"))
        // search_memory still sees the graph's memories.
        let hits = try await connection.call("search_memory", ["query": "tea", "mode": "text"])
        #expect(hits[path: "hits.0.memory.text"] == "likes tea")
    }
}
