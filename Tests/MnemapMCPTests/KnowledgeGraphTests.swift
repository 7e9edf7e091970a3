import Embeddings
import Foundation
import Mnemap
import MnemapTestSupport
import Testing
@testable import MnemapMCP

/// The graph's storage, called as a library: how it lays out the store and what a call leaves.
@Suite struct KnowledgeGraphTests {
    func makeGraph(_ folder: TemporaryFolder) throws -> KnowledgeGraph {
        try KnowledgeGraph(store: MemoryStore(path: folder.path("store"), embedder: HashingEmbedder(dimension: 64)))
    }

    @Test func entitiesAreRecordsInStateAndObservationsAreMemories() throws {
        let folder = try TemporaryFolder(prefix: "mnemap-graph")
        let graph = try makeGraph(folder)
        let created = try graph.createEntities([
            KnowledgeGraph.Entity(name: "AC/DC", entityType: "band", observations: ["Formed in Sydney", "Formed in Sydney", "Plays loud"]),
            KnowledgeGraph.Entity(name: "100% Pure", entityType: "brand", observations: []),
            KnowledgeGraph.Entity(name: "AC/DC", entityType: "other", observations: ["dropped"]),
        ])
        #expect(created.map(\.name) == ["AC/DC", "100% Pure"])
        #expect(created[0].observations == ["Formed in Sydney", "Plays loud"])
        let store = graph.store
        #expect(try store.namespaces().items.map(\.namespace) == ["graph/entities/AC%2FDC", "graph/names"])
        #expect(try store.stateEntries(in: "graph/entities").items.map(\.key) == ["100% Pure", "AC/DC"])
        let names = try store.timeline(namespace: "graph/names").items
        #expect(names.map(\.text) == ["AC/DC (band)", "100% Pure (brand)"])
        #expect(names[0].metadata["graph"] == "entity")
        _ = try graph.createRelations([KnowledgeGraph.Relation(from: "100% Pure", to: "AC/DC", relationType: "sponsors")])
        let record = try #require(try store.state("AC/DC", in: "graph/entities"))
        #expect(record["incoming"] == [["from": "100% Pure", "relationType": "sponsors"]])
        #expect(record["card"]?.stringValue == names[0].id.description)
    }

    @Test func aFailedCallLeavesTheStoreAsItWas() throws {
        let folder = try TemporaryFolder(prefix: "mnemap-graph")
        let graph = try makeGraph(folder)
        _ = try graph.createEntities([KnowledgeGraph.Entity(name: "A", entityType: "t", observations: ["one"])])
        let before = try graph.store.stats()
        #expect(throws: MemoryError.self) {
            try graph.addObservations([
                KnowledgeGraph.Observations(entityName: "A", contents: ["two"]),
                KnowledgeGraph.Observations(entityName: "missing", contents: ["three"]),
            ])
        }
        #expect(throws: MemoryError.self) {
            try graph.createEntities([
                KnowledgeGraph.Entity(name: "B", entityType: "t", observations: ["fine"]),
                KnowledgeGraph.Entity(name: "C", entityType: "t", observations: [" "]),
            ])
        }
        let after = try graph.store.stats()
        #expect(after.memories == before.memories && after.stateKeys == before.stateKeys)
        #expect(try graph.openNodes(["A", "B"]).entities == [KnowledgeGraph.Entity(name: "A", entityType: "t", observations: ["one"])])
        #expect(try graph.store.check().isIntact)
    }

    @Test func manyObservationsAndALongNameStillWork() throws {
        let folder = try TemporaryFolder(prefix: "mnemap-graph")
        let graph = try makeGraph(folder)
        let texts = (0..<1200).map { "observation \($0)" }
        #expect(throws: MemoryError.self) { try graph.createEntities([KnowledgeGraph.Entity(name: "Big", entityType: "t", observations: texts)]) }
        _ = try graph.createEntities([KnowledgeGraph.Entity(name: "Big", entityType: "t", observations: Array(texts.prefix(900)))])
        _ = try graph.addObservations([KnowledgeGraph.Observations(entityName: "Big", contents: Array(texts[900...1100]))])
        #expect(try graph.openNodes(["Big"]).entities.first?.observations == Array(texts.prefix(1101)))
        let long = String(repeating: "n", count: 256)
        _ = try graph.createEntities([KnowledgeGraph.Entity(name: long, entityType: "t", observations: ["x"])])
        #expect(throws: MemoryError.self) { try graph.createEntities([KnowledgeGraph.Entity(name: long + "n", entityType: "t", observations: [])]) }
        #expect(try graph.deleteEntities(["Big", long]).deleted.count == 2)
        #expect(try graph.store.stats().memories == 0)
    }
}
