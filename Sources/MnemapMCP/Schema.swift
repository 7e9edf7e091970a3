import MCP
import Mnemap

/// JSON Schemas of tool arguments and results, written the way a model reads them: every
/// property described, closed objects, bounds stated.
enum Schema {
    /// An object with exactly these properties.
    static func object(_ properties: [String: Value], required: [String] = [], description: String? = nil) -> Value {
        var schema: [String: Value] = [
            "type": "object",
            "properties": .object(properties),
            "additionalProperties": false,
        ]
        if !required.isEmpty { schema["required"] = .array(required.map { .string($0) }) }
        if let description { schema["description"] = .string(description) }
        return .object(schema)
    }

    static func string(_ description: String, choices: [String]? = nil, minLength: Int? = nil) -> Value {
        var schema: [String: Value] = ["type": "string", "description": .string(description)]
        if let choices { schema["enum"] = .array(choices.map { .string($0) }) }
        if let minLength { schema["minLength"] = .int(minLength) }
        return .object(schema)
    }

    static func integer(_ description: String, minimum: Int, maximum: Int, default value: Int? = nil) -> Value {
        var schema: [String: Value] = ["type": "integer", "description": .string(description), "minimum": .int(minimum), "maximum": .int(maximum)]
        if let value { schema["default"] = .int(value) }
        return .object(schema)
    }

    static func number(_ description: String, minimum: Double? = nil, maximum: Double? = nil) -> Value {
        var schema: [String: Value] = ["type": "number", "description": .string(description)]
        if let minimum { schema["minimum"] = .double(minimum) }
        if let maximum { schema["maximum"] = .double(maximum) }
        return .object(schema)
    }

    static func boolean(_ description: String) -> Value {
        .object(["type": "boolean", "description": .string(description)])
    }

    static func array(of items: Value, _ description: String) -> Value {
        .object(["type": "array", "items": items, "description": .string(description)])
    }

    /// Any JSON value.
    static func anyValue(_ description: String) -> Value {
        .object(["description": .string(description)])
    }

    /// A JSON object with any members.
    static func freeObject(_ description: String) -> Value {
        .object(["type": "object", "description": .string(description)])
    }

    /// A time, as the store reads them.
    static func time(_ description: String) -> Value {
        .object([
            "type": ["string", "number"],
            "description": .string(description + " An ISO-8601 time with a zone (2025-05-01T12:00:00Z), a date (2025-05-01) or Unix seconds."),
        ])
    }

    /// A time that `null` clears.
    static func clearableTime(_ description: String) -> Value {
        .object([
            "type": ["string", "number", "null"],
            "description": .string(description + " An ISO-8601 time with a zone (2025-05-01T12:00:00Z), a date (2025-05-01) or Unix seconds; null clears it."),
        ])
    }

    static let kinds = MemoryKind.allCases.map(\.rawValue)

    /// The memory filter, in the shape of `MemoryFilter(json:)`.
    static let filter: Value = object(
        [
            "namespace": string("Only this namespace and those below it (\"user/alice\" also gives \"user/alice/session/1\")."),
            "kind": .object([
                "description": "Only these kinds: one kind or an array of kinds.",
                "anyOf": [
                    .object(["type": "string", "enum": .array(kinds.map { .string($0) })]),
                    .object(["type": "array", "items": .object(["type": "string", "enum": .array(kinds.map { .string($0) })])]),
                ],
            ]),
            "createdAfter": time("Only memories created at or after this time."),
            "createdBefore": time("Only memories created before this time."),
            "validAt": time("Only facts that held at this time (their validFrom/validUntil window contains it)."),
            "where": .object([
                "type": ["object", "string"],
                "description": """
                    A condition on metadata. JSON as in MongoDB: {"topic": "tea", "priority": {"$gte": 2}, \
                    "$or": [{"lang": "en"}, {"tags": {"$contains": "x"}}]}, operators $eq $ne $gt $gte $lt $lte \
                    $in $nin $contains $exists, and $and $or $not; dotted paths reach inside objects. Or text: \
                    'priority >= 2 and (lang = "en" or tags contains "x")'.
                    """,
            ]),
        ],
        description: "Which memories to keep; every condition given must hold."
    )

    // MARK: The knowledge graph, as the reference memory server shapes it

    static let entity = object(
        [
            "name": string("The name of the entity"),
            "entityType": string("The type of the entity"),
            "observations": array(of: .object(["type": "string"]), "An array of observation contents associated with the entity"),
        ],
        required: ["name", "entityType", "observations"]
    )

    static let relation = object(
        [
            "from": string("The name of the entity where the relation starts"),
            "to": string("The name of the entity where the relation ends"),
            "relationType": string("The type of the relation"),
        ],
        required: ["from", "to", "relationType"]
    )

    /// What read_graph, search_nodes and open_nodes return.
    static let graph = object(
        [
            "entities": array(of: entity, "The entities"),
            "relations": array(of: relation, "The relations"),
            "nextCursor": .object(["type": ["string", "null"], "description": "read_graph: pass as 'cursor' for the next page; null on the last page."]),
        ],
        required: ["entities", "relations"]
    )

    /// What the reference server's delete tools return.
    static let success = object(["success": boolean("Whether the call succeeded"), "message": string("What was done")], required: ["success", "message"])
}
