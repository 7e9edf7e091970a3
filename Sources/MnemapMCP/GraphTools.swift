import MCP
import Mnemap

/// The knowledge-graph tools, with the names, arguments and result shapes of the MCP reference
/// `memory` server, so that an agent set up for it works unchanged. Differences: `read_graph` is
/// paged (`cursor`, `limit`, `nextCursor`), `search_nodes` searches by meaning and words and takes
/// a `limit`, and a relation's ends must exist.
struct GraphTools: Sendable {
    let graph: KnowledgeGraph

    var definitions: [ToolDefinition] {
        [createEntities, createRelations, addObservations, deleteEntities, deleteObservations, deleteRelations, readGraph, searchNodes, openNodes]
    }

    // MARK: Writing

    var createEntities: ToolDefinition {
        ToolDefinition(
            name: "create_entities", title: "Create Entities",
            description: """
                Create multiple new entities in the knowledge graph: people, organisations, projects, things the \
                conversation is about, each with a type and observations (atomic facts about it). Entities whose \
                name is taken are ignored; returns those created.
                """,
            input: Schema.object(["entities": Schema.array(of: Schema.entity, "The entities to create")], required: ["entities"]),
            output: Schema.object(["entities": Schema.array(of: Schema.entity, "The entities created")], required: ["entities"]),
            readOnly: false
        ) { members in
            let arguments = try ToolArguments(members, allowed: ["entities"], place: "create_entities")
            let entities = try arguments.objects("entities", allowed: ["name", "entityType", "observations"]).map { entity in
                KnowledgeGraph.Entity(name: try entity.requiredString("name"), entityType: try entity.requiredString("entityType"), observations: try entity.requiredStrings("observations"))
            }
            let created = try graph.createEntities(entities).map(Self.json)
            return ToolOutput(["entities": .array(created)], text: JSONValue.array(created).jsonText)
        }
    }

    var createRelations: ToolDefinition {
        ToolDefinition(
            name: "create_relations", title: "Create Relations",
            description: """
                Create multiple new relations between entities in the knowledge graph. Relations should be in \
                active voice ("Alice works_at Globex"). Both ends must be entities already (create_entities); \
                relations already there are skipped; returns those created.
                """,
            input: Schema.object(["relations": Schema.array(of: Schema.relation, "The relations to create")], required: ["relations"]),
            output: Schema.object(["relations": Schema.array(of: Schema.relation, "The relations created")], required: ["relations"]),
            readOnly: false
        ) { members in
            let arguments = try ToolArguments(members, allowed: ["relations"], place: "create_relations")
            let created = try graph.createRelations(try Self.relations(arguments)).map(Self.json)
            return ToolOutput(["relations": .array(created)], text: JSONValue.array(created).jsonText)
        }
    }

    var addObservations: ToolDefinition {
        let item = Schema.object(
            [
                "entityName": Schema.string("The name of the entity to add the observations to"),
                "contents": Schema.array(of: .object(["type": "string"]), "An array of observation contents to add"),
            ],
            required: ["entityName", "contents"]
        )
        let result = Schema.object(
            ["entityName": Schema.string("The entity"), "addedObservations": Schema.array(of: .object(["type": "string"]), "The observations added")],
            required: ["entityName", "addedObservations"]
        )
        return ToolDefinition(
            name: "add_observations", title: "Add Observations",
            description: "Add new observations to existing entities in the knowledge graph. Observations the entity already has are skipped; returns those added per entity.",
            input: Schema.object(["observations": Schema.array(of: item, "The observations to add, per entity")], required: ["observations"]),
            output: Schema.object(["results": Schema.array(of: result, "The observations added, per entity")], required: ["results"]),
            readOnly: false
        ) { members in
            let arguments = try ToolArguments(members, allowed: ["observations"], place: "add_observations")
            let items = try arguments.objects("observations", allowed: ["entityName", "contents"]).map { item in
                KnowledgeGraph.Observations(entityName: try item.requiredString("entityName"), contents: try item.requiredStrings("contents"))
            }
            let results: [JSONValue] = try graph.addObservations(items).map { added in
                ["entityName": .string(added.entityName), "addedObservations": .array(added.contents.map(JSONValue.string))]
            }
            return ToolOutput(["results": .array(results)], text: JSONValue.array(results).jsonText)
        }
    }

    var deleteEntities: ToolDefinition {
        ToolDefinition(
            name: "delete_entities", title: "Delete Entities",
            description: "Delete multiple entities and their associated relations from the knowledge graph (with all their observations).",
            input: Schema.object(["entityNames": Schema.array(of: .object(["type": "string"]), "An array of entity names to delete")], required: ["entityNames"]),
            output: Schema.success,
            readOnly: false, destructive: true, idempotent: true
        ) { members in
            let arguments = try ToolArguments(members, allowed: ["entityNames"], place: "delete_entities")
            let names = try arguments.requiredStrings("entityNames")
            let (deleted, notFound) = try graph.deleteEntities(names)
            let message = notFound.isEmpty
                ? "Entities deleted successfully"
                : "Deleted \(deleted.count) of \(deleted.count + notFound.count) entities. Not found: \(notFound.joined(separator: ", "))"
            return ToolOutput(["success": true, "message": .string(message)], text: message)
        }
    }

    var deleteObservations: ToolDefinition {
        let item = Schema.object(
            [
                "entityName": Schema.string("The name of the entity containing the observations"),
                "observations": Schema.array(of: .object(["type": "string"]), "An array of observations to delete"),
            ],
            required: ["entityName", "observations"]
        )
        return ToolDefinition(
            name: "delete_observations", title: "Delete Observations",
            description: "Delete specific observations from entities in the knowledge graph (each given by its exact text).",
            input: Schema.object(["deletions": Schema.array(of: item, "The observations to delete, per entity")], required: ["deletions"]),
            output: Schema.success,
            readOnly: false, destructive: true, idempotent: true
        ) { members in
            let arguments = try ToolArguments(members, allowed: ["deletions"], place: "delete_observations")
            let items = try arguments.objects("deletions", allowed: ["entityName", "observations"]).map { item in
                KnowledgeGraph.Observations(entityName: try item.requiredString("entityName"), contents: try item.requiredStrings("observations"))
            }
            let (deleted, missing) = try graph.deleteObservations(items)
            let requested = items.reduce(0) { $0 + $1.contents.count }
            let message = deleted == requested
                ? "Observations deleted successfully"
                : "Deleted \(deleted) of \(requested) observations." + (missing.isEmpty ? "" : " Entities not found: \(missing.joined(separator: ", "))")
            return ToolOutput(["success": true, "message": .string(message)], text: message)
        }
    }

    var deleteRelations: ToolDefinition {
        ToolDefinition(
            name: "delete_relations", title: "Delete Relations",
            description: "Delete multiple relations from the knowledge graph.",
            input: Schema.object(["relations": Schema.array(of: Schema.relation, "An array of relations to delete")], required: ["relations"]),
            output: Schema.success,
            readOnly: false, destructive: true, idempotent: true
        ) { members in
            let arguments = try ToolArguments(members, allowed: ["relations"], place: "delete_relations")
            let relations = try Self.relations(arguments)
            let deleted = try graph.deleteRelations(relations)
            let message = deleted == relations.count
                ? "Relations deleted successfully"
                : "Deleted \(deleted) of \(relations.count) relations. The rest matched nothing."
            return ToolOutput(["success": true, "message": .string(message)], text: message)
        }
    }

    // MARK: Reading

    var readGraph: ToolDefinition {
        ToolDefinition(
            name: "read_graph", title: "Read Graph",
            description: """
                Read the knowledge graph, a page of entities at a time (in name order) with the relations from \
                them: pass the returned 'nextCursor' as 'cursor' for the next page. To find something, \
                search_nodes is better.
                """,
            input: Schema.object([
                "cursor": Schema.string("The nextCursor of the previous page; leave it out to start."),
                "limit": Schema.integer("Entities per page.", minimum: 1, maximum: 1000, default: 100),
            ]),
            output: Schema.graph,
            readOnly: true, idempotent: true
        ) { members in
            let arguments = try ToolArguments(members, allowed: ["cursor", "limit"], place: "read_graph")
            let page = try graph.readGraph(after: try arguments.string("cursor").flatMap { $0.isEmpty ? nil : $0 }, limit: try arguments.integer("limit", in: 1...1000) ?? 100)
            var output = Self.json(page).objectValue!
            output["nextCursor"] = page.next.map(JSONValue.string) ?? .null
            return ToolOutput(.object(output))
        }
    }

    var searchNodes: ToolDefinition {
        ToolDefinition(
            name: "search_nodes", title: "Search Nodes",
            description: """
                Search for nodes in the knowledge graph based on a query: entities whose name, type or \
                observations match it by meaning or by words, best first, with the relations that touch them.
                """,
            input: Schema.object(
                [
                    "query": Schema.string("The search query to match against entity names, types, and observation content", minLength: 1),
                    "limit": Schema.integer("The most entities to return.", minimum: 1, maximum: 100, default: 10),
                ],
                required: ["query"]
            ),
            output: Schema.graph,
            readOnly: true, idempotent: true
        ) { members in
            let arguments = try ToolArguments(members, allowed: ["query", "limit"], place: "search_nodes")
            let found = try graph.searchNodes(try arguments.requiredText("query"), limit: try arguments.integer("limit", in: 1...100) ?? 10)
            return ToolOutput(Self.json(found))
        }
    }

    var openNodes: ToolDefinition {
        ToolDefinition(
            name: "open_nodes", title: "Open Nodes",
            description: "Open specific nodes in the knowledge graph by their names: the entities with all their observations, and the relations from or to them. Names that are not entities are left out.",
            input: Schema.object(["names": Schema.array(of: .object(["type": "string"]), "An array of entity names to retrieve")], required: ["names"]),
            output: Schema.graph,
            readOnly: true, idempotent: true
        ) { members in
            let arguments = try ToolArguments(members, allowed: ["names"], place: "open_nodes")
            return ToolOutput(Self.json(try graph.openNodes(try arguments.requiredStrings("names"))))
        }
    }

    // MARK: JSON

    private static func relations(_ arguments: ToolArguments) throws -> [KnowledgeGraph.Relation] {
        try arguments.objects("relations", allowed: ["from", "to", "relationType"]).map { relation in
            KnowledgeGraph.Relation(from: try relation.requiredString("from"), to: try relation.requiredString("to"), relationType: try relation.requiredString("relationType"))
        }
    }

    static func json(_ entity: KnowledgeGraph.Entity) -> JSONValue {
        ["name": .string(entity.name), "entityType": .string(entity.entityType), "observations": .array(entity.observations.map(JSONValue.string))]
    }

    static func json(_ relation: KnowledgeGraph.Relation) -> JSONValue {
        ["from": .string(relation.from), "to": .string(relation.to), "relationType": .string(relation.relationType)]
    }

    static func json(_ graph: KnowledgeGraph.Graph) -> JSONValue {
        ["entities": .array(graph.entities.map(json)), "relations": .array(graph.relations.map(json))]
    }
}
