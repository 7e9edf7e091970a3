import Foundation
import Mnemap

/// What agent state holds for one entity of a ``KnowledgeGraph``: its type, the memory that
/// names it, and its relations both ways (so deleting an entity finds every relation that touches
/// it without scanning the graph).
///
/// JSON: `{"entityType": "person", "card": "01JD…", "relations": [{"relationType": "works_at",
/// "to": "Globex"}], "incoming": [{"from": "Bob", "relationType": "knows"}]}`.
struct EntityRecord: Equatable {
    /// One end of a relation seen from this entity: the other entity and the relation's type.
    struct Edge: Hashable {
        var relationType: String
        var entity: String
    }

    var entityType: String
    /// The memory whose text is the entity's name and type (what finds the entity by name).
    var card: MemoryID?
    /// Relations from this entity, in the order they were made.
    var relations: [Edge] = []
    /// Relations to this entity.
    var incoming: [Edge] = []

    init(entityType: String, card: MemoryID?) {
        self.entityType = entityType
        self.card = card
    }

    init(json: JSONValue, name: String) throws {
        guard let type = json["entityType"]?.stringValue else {
            throw MemoryError.engine("the graph record of entity '\(name)' has no entityType; the graph is damaged (delete the entity and create it again).")
        }
        entityType = type
        card = try json["card"]?.stringValue.map { try MemoryID($0) }
        relations = Self.edges(json["relations"], other: "to")
        incoming = Self.edges(json["incoming"], other: "from")
    }

    private static func edges(_ json: JSONValue?, other: String) -> [Edge] {
        (json?.arrayValue ?? []).compactMap { edge in
            guard let type = edge["relationType"]?.stringValue, let entity = edge[other]?.stringValue else { return nil }
            return Edge(relationType: type, entity: entity)
        }
    }

    var json: JSONValue {
        var members: [String: JSONValue] = [
            "entityType": .string(entityType),
            "relations": .array(relations.map { ["relationType": .string($0.relationType), "to": .string($0.entity)] }),
            "incoming": .array(incoming.map { ["from": .string($0.entity), "relationType": .string($0.relationType)] }),
        ]
        if let card { members["card"] = .string(card.description) }
        return .object(members)
    }
}

/// The entity records a write transaction reads and changes, written back once at its end (so an
/// entity related to itself, or touched twice in one call, is read and written once).
struct EntityRecords {
    let transaction: MemoryTransaction
    let layout: GraphLayout
    private var loaded: [String: EntityRecord?] = [:]
    private var changed: [String] = []

    init(_ transaction: MemoryTransaction, layout: GraphLayout) {
        self.transaction = transaction
        self.layout = layout
    }

    mutating func record(_ name: String) throws -> EntityRecord? {
        if let record = loaded[name] { return record }
        let record = try transaction.state(name, in: layout.records).map { try EntityRecord(json: $0, name: name) }
        loaded[name] = record
        return record
    }

    /// Replaces (or with nil deletes) the record of `name`.
    mutating func set(_ name: String, _ record: EntityRecord?) {
        loaded[name] = .some(record)
        if !changed.contains(name) { changed.append(name) }
    }

    /// Changes the record of `name` when there is one; returns whether there was.
    @discardableResult
    mutating func update(_ name: String, _ change: (inout EntityRecord) -> Void) throws -> Bool {
        guard var record = try record(name) else { return false }
        change(&record)
        set(name, record)
        return true
    }

    func save() throws {
        for name in changed {
            if let record = loaded[name] ?? nil {
                try transaction.setState(record.json, for: name, in: layout.records)
            } else {
                try transaction.deleteState(name, in: layout.records)
            }
        }
    }
}

/// Where a graph keeps what, below its namespace `G`:
/// - `G/entities` (agent state): one record per entity, keyed by name (``EntityRecord``).
/// - `G/entities/<name>` (memories): the entity's observations, one semantic memory each.
/// - `G/names` (memories): one memory per entity whose text is its name and type.
struct GraphLayout: Sendable {
    let root: String

    var records: String { root + "/entities" }
    var names: String { root + "/names" }

    /// The namespace of an entity's observations. The name becomes one path segment: `%`, `/` and
    /// control characters are percent-encoded (`AC/DC` is `AC%2FDC`).
    func observations(of name: String) -> String {
        var segment: [UInt8] = []
        for byte in name.utf8 {
            if byte == UInt8(ascii: "%") || byte == UInt8(ascii: "/") || byte < 0x20 || byte == 0x7F {
                segment += Array(String(format: "%%%02X", byte).utf8)
            } else {
                segment.append(byte)
            }
        }
        return records + "/" + String(decoding: segment, as: UTF8.self)
    }

    /// The text of an entity's name memory.
    static func cardText(name: String, entityType: String) -> String { "\(name) (\(entityType))" }

    /// Whether `name` can be an entity's name (one that cannot is no entity's).
    func isValid(name: String) -> Bool { (try? validate(name: name, place: "")) != nil }

    /// Entity names are agent-state keys (1 to 256 bytes) and namespace segments.
    func validate(name: String, place: String) throws {
        guard !name.allSatisfy(\.isWhitespace) else { throw MemoryError.invalidField("\(place): an entity name is empty; give it a name such as \"Alice Smith\".") }
        guard name.utf8.count <= 256, observations(of: name).utf8.count <= 512 else {
            throw MemoryError.invalidField("\(place): the entity name '\(name.prefix(40))…' is too long; names are at most 256 bytes (fewer with many '/' or '%').")
        }
    }
}
