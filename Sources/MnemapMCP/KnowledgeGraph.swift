import Foundation
import Mnemap

/// The knowledge graph of the MCP reference `memory` server (entities with a type and
/// observations, directed relations between them), kept in a ``MemoryStore`` below one namespace.
///
/// Storage, below the graph namespace `G` (default `graph`):
/// - each entity is a record in agent state (namespace `G/entities`, key: its name) holding its
///   type and its relations both ways;
/// - each observation is a semantic memory in namespace `G/entities/<name>` (metadata
///   `entityName`, `entityType`, `graph: "observation"`), so search finds it by meaning and words;
/// - each entity also has a memory in `G/names` whose text is `<name> (<type>)` (metadata
///   `graph: "entity"`), so search finds an entity by its name even without observations.
///
/// Guarantees: every mutating call is one store transaction (records, observations and name
/// memories commit together or not at all), so processes sharing the store never lose each other's
/// changes and never see half a call. Embeddings are computed before the transaction. Every read
/// call reads one snapshot, except ``searchNodes(_:limit:)``, whose search and whose read of the
/// entities found are two snapshots (an entity deleted in between is left out).
///
/// Errors are `MemoryError`s whose messages name the entity or argument at fault.
public struct KnowledgeGraph: Sendable {
    public struct Entity: Sendable, Hashable {
        public var name: String
        public var entityType: String
        public var observations: [String]

        public init(name: String, entityType: String, observations: [String]) {
            self.name = name
            self.entityType = entityType
            self.observations = observations
        }
    }

    public struct Relation: Sendable, Hashable {
        public var from: String
        public var to: String
        public var relationType: String

        public init(from: String, to: String, relationType: String) {
            self.from = from
            self.to = to
            self.relationType = relationType
        }
    }

    /// Observations to add to (or delete from) one entity.
    public struct Observations: Sendable, Hashable {
        public var entityName: String
        public var contents: [String]

        public init(entityName: String, contents: [String]) {
            self.entityName = entityName
            self.contents = contents
        }
    }

    /// Entities with the relations that touch them; `next` continues a paged read.
    public struct Graph: Sendable, Hashable {
        public var entities: [Entity] = []
        public var relations: [Relation] = []
        /// For ``readGraph(after:limit:)``: the `after` of the next page, nil on the last.
        public var next: String?
    }

    /// The most texts (observations and names) one call embeds and adds: a bound on one
    /// transaction's size and on how long it holds the writer lock.
    public static let maxTextsPerCall = 1000

    public let store: MemoryStore
    let layout: GraphLayout

    /// The graph below `namespace` in `store`.
    /// - Throws: `.invalidField` when `namespace` is not a namespace.
    public init(store: MemoryStore, namespace: String = "graph") throws {
        guard MCPServerConfiguration.isNamespace(namespace) else {
            throw MemoryError.invalidField("the graph namespace '\(namespace)' is not a namespace; write path segments such as graph or team/graph.")
        }
        self.store = store
        layout = GraphLayout(root: namespace)
    }

    /// The graph's namespace.
    public var namespace: String { layout.root }

    // MARK: Writing

    /// Creates the entities whose names are not taken (by the graph or earlier in `entities`);
    /// returns those created, with the observations added (repeated ones only once).
    ///
    /// Cost: embedding every name and observation, then one transaction.
    public func createEntities(_ entities: [Entity]) throws -> [Entity] {
        for (index, entity) in entities.enumerated() {
            try layout.validate(name: entity.name, place: "entities[\(index)]")
            try Self.validate(text: entity.entityType, what: "entityType", place: "entities[\(index)]")
            for (position, text) in entity.observations.enumerated() {
                try Self.validate(text: text, what: "observations[\(position)]", place: "entities[\(index)]")
            }
        }
        let texts = entities.flatMap { [GraphLayout.cardText(name: $0.name, entityType: $0.entityType)] + $0.observations }
        let vectors = try embed(texts)
        return try store.write { transaction in
            var records = EntityRecords(transaction, layout: layout)
            var created: [Entity] = []
            var offset = 0
            for entity in entities {
                let cardVector = vectors[offset]
                let observationVectors = Array(vectors[(offset + 1)..<(offset + 1 + entity.observations.count)])
                offset += 1 + entity.observations.count
                guard try records.record(entity.name) == nil else { continue }
                let card = try transaction.add(
                    [NewMemory(text: GraphLayout.cardText(name: entity.name, entityType: entity.entityType), namespace: layout.names, kind: .semantic,
                               metadata: metadata(entity.name, entity.entityType, role: "entity"), vector: cardVector)],
                    options: AddOptions(exactDuplicates: .add)
                )[0]
                records.set(entity.name, EntityRecord(entityType: entity.entityType, card: card.memory.id))
                let added = try addObservations(entity.observations, vectors: observationVectors, to: entity.name, entityType: entity.entityType, in: transaction)
                created.append(Entity(name: entity.name, entityType: entity.entityType, observations: added))
            }
            try records.save()
            return created
        }
    }

    /// Creates the relations not already there (or earlier in `relations`); returns those created.
    /// - Throws: `.invalidField` when an end is not an entity (nothing is created then).
    public func createRelations(_ relations: [Relation]) throws -> [Relation] {
        try validate(relations)
        return try store.write { transaction in
            var records = EntityRecords(transaction, layout: layout)
            var created: [Relation] = []
            for relation in relations {
                for name in [relation.from, relation.to] where try records.record(name) == nil {
                    throw Self.missing(name)
                }
                let edge = EntityRecord.Edge(relationType: relation.relationType, entity: relation.to)
                guard try !records.record(relation.from)!.relations.contains(edge) else { continue }
                try records.update(relation.from) { $0.relations.append(edge) }
                try records.update(relation.to) { $0.incoming.append(EntityRecord.Edge(relationType: relation.relationType, entity: relation.from)) }
                created.append(relation)
            }
            try records.save()
            return created
        }
    }

    /// Adds observations to existing entities; returns, per item, the observations added (those
    /// the entity already had are skipped).
    /// - Throws: `.invalidField` when an entity does not exist (nothing is added then).
    public func addObservations(_ items: [Observations]) throws -> [Observations] {
        for (index, item) in items.enumerated() {
            try layout.validate(name: item.entityName, place: "observations[\(index)]")
            for (position, text) in item.contents.enumerated() {
                try Self.validate(text: text, what: "contents[\(position)]", place: "observations[\(index)]")
            }
        }
        let vectors = try embed(items.flatMap(\.contents))
        return try store.write { transaction in
            var records = EntityRecords(transaction, layout: layout)
            var results: [Observations] = []
            var offset = 0
            for item in items {
                guard let record = try records.record(item.entityName) else { throw Self.missing(item.entityName) }
                let itemVectors = Array(vectors[offset..<(offset + item.contents.count)])
                offset += item.contents.count
                let added = try addObservations(item.contents, vectors: itemVectors, to: item.entityName, entityType: record.entityType, in: transaction)
                results.append(Observations(entityName: item.entityName, contents: added))
            }
            return results
        }
    }

    /// Deletes entities with their observations and every relation from or to them; names that
    /// are not entities are returned as not found.
    public func deleteEntities(_ names: [String]) throws -> (deleted: [String], notFound: [String]) {
        try store.write { transaction in
            var records = EntityRecords(transaction, layout: layout)
            var deleted: [String] = []
            var notFound: [String] = []
            for name in names where !deleted.contains(name) && !notFound.contains(name) {
                guard layout.isValid(name: name), let record = try records.record(name) else {
                    notFound.append(name)
                    continue
                }
                try forgetObservations(of: name, in: transaction)
                if let card = record.card { try transaction.forget(card) }
                for edge in record.relations where edge.entity != name {
                    try records.update(edge.entity) { $0.incoming.removeAll { $0 == EntityRecord.Edge(relationType: edge.relationType, entity: name) } }
                }
                for edge in record.incoming where edge.entity != name {
                    try records.update(edge.entity) { $0.relations.removeAll { $0 == EntityRecord.Edge(relationType: edge.relationType, entity: name) } }
                }
                records.set(name, nil)
                deleted.append(name)
            }
            try records.save()
            return (deleted, notFound)
        }
    }

    /// Deletes observations (by their exact text); returns how many were deleted and the entities
    /// that do not exist.
    public func deleteObservations(_ items: [Observations]) throws -> (deleted: Int, missingEntities: [String]) {
        try store.write { transaction in
            var records = EntityRecords(transaction, layout: layout)
            var deleted = 0
            var missing: [String] = []
            for item in items {
                guard layout.isValid(name: item.entityName), try records.record(item.entityName) != nil else {
                    if !missing.contains(item.entityName) { missing.append(item.entityName) }
                    continue
                }
                for text in item.contents {
                    if let memory = try transaction.memory(withText: text, in: layout.observations(of: item.entityName)), try transaction.forget(memory.id) {
                        deleted += 1
                    }
                }
            }
            return (deleted, missing)
        }
    }

    /// Deletes relations; returns how many existed.
    public func deleteRelations(_ relations: [Relation]) throws -> Int {
        try store.write { transaction in
            var records = EntityRecords(transaction, layout: layout)
            var deleted = 0
            for relation in relations {
                let edge = EntityRecord.Edge(relationType: relation.relationType, entity: relation.to)
                guard let record = try records.record(relation.from), record.relations.contains(edge) else { continue }
                try records.update(relation.from) { $0.relations.removeAll { $0 == edge } }
                try records.update(relation.to) { $0.incoming.removeAll { $0 == EntityRecord.Edge(relationType: relation.relationType, entity: relation.from) } }
                deleted += 1
            }
            try records.save()
            return deleted
        }
    }

    // MARK: Reading

    /// A page of the graph: up to `limit` entities in name order after `after`, with the
    /// relations from them (so that reading every page gives each relation once).
    public func readGraph(after: String? = nil, limit: Int = 100) throws -> Graph {
        try store.read { snapshot in
            let page = try snapshot.stateEntries(in: layout.records, after: after, limit: limit)
            var graph = Graph(next: page.next)
            for entry in page.items {
                let record = try EntityRecord(json: entry.value, name: entry.key)
                graph.entities.append(try entity(entry.key, record: record, in: snapshot))
                graph.relations += record.relations.map { Relation(from: entry.key, to: $0.entity, relationType: $0.relationType) }
            }
            return graph
        }
    }

    /// The entities named (those that exist, in the order asked), with every relation from or to them.
    public func openNodes(_ names: [String]) throws -> Graph {
        try store.read { snapshot in try open(names, in: snapshot) }
    }

    /// The entities whose names, types or observations best match `query` (hybrid search: meaning
    /// and words, fused), best first, with every relation from or to them.
    ///
    /// Cost: one search of the graph's memories, then reading the entities found.
    public func searchNodes(_ query: String, limit: Int = 10) throws -> Graph {
        try Self.validate(text: query, what: "query", place: "search_nodes")
        guard (1...100).contains(limit) else { throw MemoryError.invalidField("limit \(limit) is outside 1 to 100.") }
        let request = SearchRequest(
            query: query, mode: store.embedder == nil ? .text : .hybrid, limit: min(1000, limit * 5 + 20),
            filter: MemoryFilter(namespacePrefix: layout.root)
        )
        var names: [String] = []
        for hit in try store.search(request) {
            guard let name = hit.memory.metadata["entityName"]?.stringValue, !names.contains(name) else { continue }
            names.append(name)
            if names.count == limit { break }
        }
        return try openNodes(names)
    }

    // MARK: Parts

    private func open(_ names: [String], in snapshot: MemorySnapshot) throws -> Graph {
        var graph = Graph()
        var seen: Set<String> = []
        var relations: Set<Relation> = []
        for name in names where seen.insert(name).inserted {
            guard layout.isValid(name: name), let json = try snapshot.state(name, in: layout.records) else { continue }
            let record = try EntityRecord(json: json, name: name)
            graph.entities.append(try entity(name, record: record, in: snapshot))
            let touching = record.relations.map { Relation(from: name, to: $0.entity, relationType: $0.relationType) }
                + record.incoming.map { Relation(from: $0.entity, to: name, relationType: $0.relationType) }
            for relation in touching where relations.insert(relation).inserted { graph.relations.append(relation) }
        }
        return graph
    }

    private func entity(_ name: String, record: EntityRecord, in snapshot: MemorySnapshot) throws -> Entity {
        var observations: [String] = []
        var after: MemoryID?
        repeat {
            let page = try snapshot.memories(in: layout.observations(of: name), after: after, limit: 1000)
            observations += page.items.map(\.text)
            after = page.next == nil ? nil : page.items.last?.id
        } while after != nil
        return Entity(name: name, entityType: record.entityType, observations: observations)
    }

    private func addObservations(_ texts: [String], vectors: [[Float]], to name: String, entityType: String, in transaction: MemoryTransaction) throws -> [String] {
        let memories = zip(texts, vectors).map { text, vector in
            NewMemory(text: text, namespace: layout.observations(of: name), kind: .semantic, metadata: metadata(name, entityType, role: "observation"), vector: vector)
        }
        return try transaction.add(memories).filter { $0.outcome == .added }.map(\.memory.text)
    }

    private func forgetObservations(of name: String, in transaction: MemoryTransaction) throws {
        while true {
            let page = try transaction.memories(in: layout.observations(of: name), limit: 1000)
            for memory in page.items { try transaction.forget(memory.id) }
            if page.next == nil { return }
        }
    }

    private func metadata(_ name: String, _ entityType: String, role: String) -> [String: JSONValue] {
        ["entityName": .string(name), "entityType": .string(entityType), "graph": .string(role)]
    }

    private func embed(_ texts: [String]) throws -> [[Float]] {
        guard texts.count <= Self.maxTextsPerCall else {
            throw MemoryError.invalidField("this call would add \(texts.count) names and observations; one call adds at most \(Self.maxTextsPerCall): split it.")
        }
        return texts.isEmpty ? [] : try store.embed(texts)
    }

    private func validate(_ relations: [Relation]) throws {
        for (index, relation) in relations.enumerated() {
            try layout.validate(name: relation.from, place: "relations[\(index)].from")
            try layout.validate(name: relation.to, place: "relations[\(index)].to")
            try Self.validate(text: relation.relationType, what: "relationType", place: "relations[\(index)]")
        }
    }

    private static func validate(text: String, what: String, place: String) throws {
        guard !text.allSatisfy(\.isWhitespace) else { throw MemoryError.invalidField("\(place): \(what) is empty.") }
    }

    private static func missing(_ name: String) -> MemoryError {
        .invalidField("Entity with name \(name) not found; create it with create_entities first (nothing was changed).")
    }
}
