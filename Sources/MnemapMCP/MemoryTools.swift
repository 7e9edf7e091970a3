import Foundation
import MCP
import Mnemap

/// The tools over memories and agent state: add, search, get, update, delete, list, state.
struct MemoryTools: Sendable {
    let store: MemoryStore
    let configuration: MCPServerConfiguration

    var definitions: [ToolDefinition] {
        [addMemoryTool, searchMemoryTool, getMemoryTool, updateMemoryTool, deleteMemoryTool, listMemoriesTool, listNamespacesTool, getStateTool, setStateTool]
    }

    private var namespaceArgument: Value {
        Schema.string("A path such as user/alice or project/x/decisions (default: \(configuration.defaultNamespace)). Searches and listings of a namespace include those below it.")
    }

    // MARK: add_memory

    var addMemoryTool: ToolDefinition {
        ToolDefinition(
            name: "add_memory", title: "Add a memory",
            description: """
                Remember one piece of information for later: a fact, an event, a preference, how to do something. \
                Write it as one self-contained statement ("Alice prefers green tea", not "she likes it"); add \
                several memories for several facts. The same text in the same namespace is not stored twice. To \
                replace an outdated fact, pass its id as 'supersedes': the old one is kept as history. Returns the \
                memory with its id.
                """,
            input: Schema.object(
                [
                    "text": Schema.string("What to remember, as a self-contained statement.", minLength: 1),
                    "namespace": namespaceArgument,
                    "kind": Schema.string("semantic: a fact or preference; episodic: something that happened (default); procedural: how to do something.", choices: Schema.kinds),
                    "metadata": Schema.freeObject("Any JSON object to filter on later, such as {\"topic\": \"tea\", \"priority\": 2}."),
                    "importance": Schema.number("0 to 1 (default 0.5); searches can favour important memories.", minimum: 0, maximum: 1),
                    "ttlSeconds": Schema.number("Forget the memory after this many seconds.", minimum: 1),
                    "expiresAt": Schema.time("Forget the memory after this time."),
                    "validFrom": Schema.time("When the fact starts to hold."),
                    "validUntil": Schema.time("When the fact stops holding."),
                    "source": Schema.string("Where it came from: a tool, a document, a person."),
                    "episode": Schema.string("The conversation or task run it belongs to."),
                    "supersedes": Schema.string("The id of a memory this one replaces: the old one stops holding now and stays as history."),
                    "dedupe": Schema.string("What to do when a memory of nearly the same meaning is already in the namespace: add anyway (default), skip (keep the old one), update (replace its text).", choices: ["add", "skip", "update"]),
                ],
                required: ["text"]
            ),
            readOnly: false
        ) { arguments in try addMemory(arguments) }
    }

    private func addMemory(_ members: [String: JSONValue]) throws -> ToolOutput {
        let arguments = try ToolArguments(members, allowed: addMemoryTool.argumentNames, place: "add_memory")
        let namespace = try writableNamespace(arguments)
        var memory = NewMemory(
            text: try arguments.requiredText("text"), namespace: namespace, kind: try arguments.kind("kind") ?? .episodic,
            metadata: try arguments.object("metadata") ?? [:], importance: try arguments.number("importance") ?? 0.5,
            validFrom: try arguments.date("validFrom"), validUntil: try arguments.date("validUntil"), expiresAt: try arguments.date("expiresAt"),
            source: try arguments.string("source"), episode: try arguments.string("episode")
        )
        if let ttl = try arguments.number("ttlSeconds") {
            guard ttl > 0, ttl < 1e10 else { throw ToolError("'ttlSeconds' in add_memory must be a positive number of seconds.") }
            guard memory.expiresAt == nil else { throw ToolError("add_memory takes 'ttlSeconds' or 'expiresAt', not both.") }
            memory.timeToLive(ttl)
        }
        if arguments.has("supersedes") {
            guard try arguments.string("dedupe") == nil else { throw ToolError("add_memory takes 'supersedes' or 'dedupe', not both.") }
            let old = try arguments.id("supersedes")
            let added = try store.supersede(old, with: memory)
            return ToolOutput(["id": .string(added.id.description), "outcome": "added", "supersedes": .string(old.description), "memory": MemoryJSON.memory(added)])
        }
        let nearDuplicates: AddOptions.NearDuplicates = switch try arguments.choice("dedupe", ["add", "skip", "update"]) {
        case "skip": .skip
        case "update": .update
        default: .add
        }
        let result = try store.add(memory, options: AddOptions(nearDuplicates: nearDuplicates))
        let outcome = MemoryJSON.outcome(result.outcome)
        var output: [String: JSONValue] = ["id": .string(result.memory.id.description), "outcome": .string(outcome.name), "memory": MemoryJSON.memory(result.memory)]
        if let similarity = outcome.similarity { output["similarity"] = .number(Double(similarity)) }
        return ToolOutput(.object(output))
    }

    // MARK: search_memory

    var searchMemoryTool: ToolDefinition {
        ToolDefinition(
            name: "search_memory", title: "Search memories",
            description: """
                Find memories by meaning and by words (hybrid search, best first). Search before answering \
                questions about the user, earlier conversations or past decisions. Narrow with 'filter': a \
                namespace (and those below it), kinds, a creation time range, validity at a time, or a metadata \
                condition. Memories of the knowledge graph (namespace \(configuration.graphNamespace)) are searched \
                too; search_nodes returns them as entities.
                """,
            input: Schema.object(
                [
                    "query": Schema.string("What to look for, in natural language.", minLength: 1),
                    "mode": Schema.string("hybrid (default): meaning and words; vector: meaning only; text: words only (BM25).", choices: SearchMode.allCases.map(\.rawValue)),
                    "limit": Schema.integer("How many memories to return.", minimum: 1, maximum: 100, default: 10),
                    "filter": Schema.filter,
                    "includeExpired": Schema.boolean("Also return memories whose expiry time has passed (default false)."),
                    "recencyHalfLife": Schema.number("Favour recent memories: a memory this many seconds old counts half.", minimum: 1),
                    "importanceWeight": Schema.number("0 to 1: how much importance weighs in the ranking (default 0).", minimum: 0, maximum: 1),
                ],
                required: ["query"]
            ),
            readOnly: true, idempotent: true
        ) { arguments in try searchMemory(arguments) }
    }

    private func searchMemory(_ members: [String: JSONValue]) throws -> ToolOutput {
        let arguments = try ToolArguments(members, allowed: searchMemoryTool.argumentNames, place: "search_memory")
        var request = SearchRequest(
            query: try arguments.requiredText("query"),
            mode: try arguments.choice("mode", SearchMode.allCases.map(\.rawValue)).flatMap(SearchMode.init(rawValue:)) ?? .hybrid,
            limit: try arguments.integer("limit", in: 1...100) ?? 10,
            filter: try arguments.filter("filter")
        )
        if store.embedder == nil, request.mode != .text {
            throw ToolError("this store has no embedder (its vectors come from elsewhere), so search_memory can only search words: pass \"mode\": \"text\".")
        }
        request.includeExpired = try arguments.bool("includeExpired") ?? false
        if let halfLife = try arguments.number("recencyHalfLife") {
            guard halfLife > 0 else { throw ToolError("'recencyHalfLife' in search_memory must be a positive number of seconds.") }
            request.recencyHalfLife = halfLife
        }
        if let weight = try arguments.number("importanceWeight") {
            guard (0...1).contains(weight) else { throw ToolError("'importanceWeight' in search_memory must be from 0 to 1.") }
            request.importanceWeight = weight
        }
        let hits = try store.search(request)
        return ToolOutput(["hits": .array(hits.enumerated().map { MemoryJSON.hit($1, rank: $0 + 1) })])
    }

    // MARK: get_memory, update_memory, delete_memory

    var getMemoryTool: ToolDefinition {
        ToolDefinition(
            name: "get_memory", title: "Get a memory",
            description: "Read one memory by its id, optionally with its earlier versions (each update keeps the version before it).",
            input: Schema.object(
                ["id": Schema.string("The memory's id (26 characters, from add_memory, search_memory or list_memories)."),
                 "history": Schema.boolean("Also return the earlier versions, oldest first (default false).")],
                required: ["id"]
            ),
            readOnly: true, idempotent: true
        ) { arguments in try getMemory(arguments) }
    }

    private func getMemory(_ members: [String: JSONValue]) throws -> ToolOutput {
        let arguments = try ToolArguments(members, allowed: getMemoryTool.argumentNames, place: "get_memory")
        let id = try arguments.id("id")
        guard let memory = try store.get(id) else { throw MemoryError.notFound(id) }
        var output: [String: JSONValue] = ["memory": MemoryJSON.memory(memory)]
        if try arguments.bool("history") == true { output["history"] = .array(try store.history(of: id).map(MemoryJSON.memory)) }
        return ToolOutput(.object(output))
    }

    var updateMemoryTool: ToolDefinition {
        ToolDefinition(
            name: "update_memory", title: "Update a memory",
            description: """
                Change a memory in place: its text (re-indexed for search), kind, metadata, importance, validity, \
                expiry, source or episode. The version before is kept as history. To record that a fact changed \
                while keeping the old one findable for the past, prefer add_memory with 'supersedes'.
                """,
            input: Schema.object(
                [
                    "id": Schema.string("The memory's id."),
                    "text": Schema.string("The new text.", minLength: 1),
                    "kind": Schema.string("The new kind.", choices: Schema.kinds),
                    "metadata": Schema.freeObject("Replaces the whole metadata object."),
                    "mergeMetadata": Schema.freeObject("Merged into the metadata: members given replace those there, a null member removes one."),
                    "importance": Schema.number("0 to 1.", minimum: 0, maximum: 1),
                    "validFrom": Schema.clearableTime("When the fact starts to hold."),
                    "validUntil": Schema.clearableTime("When the fact stops holding."),
                    "expiresAt": Schema.clearableTime("When the memory is forgotten."),
                    "source": .object(["type": ["string", "null"], "description": "Where it came from; null clears it."]),
                    "episode": .object(["type": ["string", "null"], "description": "The conversation or task run; null clears it."]),
                ],
                required: ["id"]
            ),
            readOnly: false, idempotent: true
        ) { arguments in try updateMemory(arguments) }
    }

    private func updateMemory(_ members: [String: JSONValue]) throws -> ToolOutput {
        let arguments = try ToolArguments(members, allowed: updateMemoryTool.argumentNames, place: "update_memory")
        let id = try arguments.id("id")
        guard arguments.members.keys.contains(where: { $0 != "id" }) else {
            throw ToolError("update_memory needs something to change besides 'id': text, kind, metadata, mergeMetadata, importance, validFrom, validUntil, expiresAt, source or episode.")
        }
        guard let current = try store.get(id) else { throw MemoryError.notFound(id) }
        try checkWritable(current.namespace, tool: "update_memory")
        if arguments.has("metadata"), arguments.has("mergeMetadata") { throw ToolError("update_memory takes 'metadata' or 'mergeMetadata', not both.") }
        var changes = MemoryChanges(
            kind: try arguments.kind("kind"), metadata: try arguments.object("metadata"), importance: try arguments.number("importance"),
            validFrom: try arguments.clearableDate("validFrom"), validUntil: try arguments.clearableDate("validUntil"),
            expiresAt: try arguments.clearableDate("expiresAt"), source: try arguments.clearableString("source"), episode: try arguments.clearableString("episode")
        )
        if arguments.has("text") { changes.text = try arguments.requiredText("text") }
        if let merge = try arguments.object("mergeMetadata") {
            // Read and written in separate transactions: a concurrent metadata change in between is
            // overwritten, as with any update of the whole object.
            var metadata = current.metadata
            for (key, value) in merge {
                if value.isNull { metadata.removeValue(forKey: key) } else { metadata[key] = value }
            }
            changes.metadata = metadata
        }
        let updated = try store.update(id, changes)
        return ToolOutput(["memory": MemoryJSON.memory(updated)])
    }

    var deleteMemoryTool: ToolDefinition {
        ToolDefinition(
            name: "delete_memory", title: "Delete a memory",
            description: "Forget one memory by its id, with its earlier versions. Use it for what is wrong or must not be kept; for a fact that changed, prefer add_memory with 'supersedes'.",
            input: Schema.object(["id": Schema.string("The memory's id.")], required: ["id"]),
            readOnly: false, destructive: true, idempotent: true
        ) { arguments in try deleteMemory(arguments) }
    }

    private func deleteMemory(_ members: [String: JSONValue]) throws -> ToolOutput {
        let arguments = try ToolArguments(members, allowed: deleteMemoryTool.argumentNames, place: "delete_memory")
        let id = try arguments.id("id")
        guard let memory = try store.get(id) else { throw MemoryError.notFound(id) }
        try checkWritable(memory.namespace, tool: "delete_memory")
        guard try store.forget(id) else { throw MemoryError.notFound(id) }
        return ToolOutput(["deleted": true, "id": .string(id.description)])
    }

    // MARK: list_memories, list_namespaces

    var listMemoriesTool: ToolDefinition {
        ToolDefinition(
            name: "list_memories", title: "List memories",
            description: """
                The timeline of a namespace (and by default those below it), newest first, a page at a time: \
                pass the returned 'nextCursor' as 'cursor' for the next page. Use it to review what is remembered, \
                not to find something (search_memory does that).
                """,
            input: Schema.object([
                "namespace": namespaceArgument,
                "includeChildren": Schema.boolean("Include the namespaces below it (default true)."),
                "newestFirst": Schema.boolean("Newest first (default true); false gives oldest first."),
                "limit": Schema.integer("Memories per page.", minimum: 1, maximum: 100, default: 20),
                "cursor": Schema.string("The nextCursor of the previous page."),
            ]),
            readOnly: true, idempotent: true
        ) { arguments in try listMemories(arguments) }
    }

    private func listMemories(_ members: [String: JSONValue]) throws -> ToolOutput {
        let arguments = try ToolArguments(members, allowed: listMemoriesTool.argumentNames, place: "list_memories")
        let cursor = try arguments.string("cursor").flatMap { $0.isEmpty ? nil : $0 }
        if let cursor, (try? MemoryID(cursor)) == nil { throw ToolError("'cursor' in list_memories is not a cursor list_memories returned; leave it out to start over.") }
        let page = try store.timeline(
            namespace: try arguments.string("namespace") ?? configuration.defaultNamespace, includingChildren: try arguments.bool("includeChildren") ?? true,
            after: cursor, limit: try arguments.integer("limit", in: 1...100) ?? 20, newestFirst: try arguments.bool("newestFirst") ?? true
        )
        return ToolOutput(["memories": .array(page.items.map(MemoryJSON.memory)), "nextCursor": page.next.map(JSONValue.string) ?? .null])
    }

    var listNamespacesTool: ToolDefinition {
        ToolDefinition(
            name: "list_namespaces", title: "List namespaces",
            description: "The namespaces that hold memories, with how many each holds, in name order, a page at a time.",
            input: Schema.object([
                "prefix": Schema.string("Only this namespace and those below it."),
                "limit": Schema.integer("Namespaces per page.", minimum: 1, maximum: 1000, default: 100),
                "cursor": Schema.string("The nextCursor of the previous page."),
            ]),
            readOnly: true, idempotent: true
        ) { arguments in try listNamespaces(arguments) }
    }

    private func listNamespaces(_ members: [String: JSONValue]) throws -> ToolOutput {
        let arguments = try ToolArguments(members, allowed: listNamespacesTool.argumentNames, place: "list_namespaces")
        let page = try store.namespaces(
            under: try arguments.string("prefix").flatMap { $0.allSatisfy { $0 == "/" } ? nil : $0 }, after: try arguments.string("cursor").flatMap { $0.isEmpty ? nil : $0 },
            limit: try arguments.integer("limit", in: 1...1000) ?? 100
        )
        return ToolOutput([
            "namespaces": .array(page.items.map { ["namespace": .string($0.namespace), "count": .number(Double($0.count))] }),
            "nextCursor": page.next.map(JSONValue.string) ?? .null,
        ])
    }

    // MARK: get_state, set_state

    var getStateTool: ToolDefinition {
        ToolDefinition(
            name: "get_state", title: "Get agent state",
            description: """
                Read working state kept by key, such as a plan, a checklist or settings: the value of 'key', or \
                without a key every key of the namespace with its value (a page at a time). State is exact \
                key-value data, not searched; keep facts to recall by meaning in add_memory.
                """,
            input: Schema.object([
                "namespace": namespaceArgument,
                "key": Schema.string("The key; leave it out to list the namespace's keys."),
                "limit": Schema.integer("Keys per page when listing.", minimum: 1, maximum: 1000, default: 100),
                "cursor": Schema.string("When listing, the nextCursor of the previous page."),
            ]),
            readOnly: true, idempotent: true
        ) { arguments in try getState(arguments) }
    }

    private func getState(_ members: [String: JSONValue]) throws -> ToolOutput {
        let arguments = try ToolArguments(members, allowed: getStateTool.argumentNames, place: "get_state")
        let namespace = try arguments.string("namespace") ?? configuration.defaultNamespace
        if let key = try arguments.string("key") {
            guard !arguments.has("limit"), !arguments.has("cursor") else { throw ToolError("get_state takes 'limit' and 'cursor' only when listing (without 'key').") }
            let value = try store.state(key, in: namespace)
            return ToolOutput(["namespace": .string(namespace), "key": .string(key), "found": .bool(value != nil), "value": value ?? .null])
        }
        let page = try store.stateEntries(
            in: namespace, after: try arguments.string("cursor").flatMap { $0.isEmpty ? nil : $0 }, limit: try arguments.integer("limit", in: 1...1000) ?? 100
        )
        return ToolOutput([
            "namespace": .string(namespace),
            "entries": .array(page.items.map { ["key": .string($0.key), "value": $0.value] }),
            "nextCursor": page.next.map(JSONValue.string) ?? .null,
        ])
    }

    var setStateTool: ToolDefinition {
        ToolDefinition(
            name: "set_state", title: "Set agent state",
            description: "Keep a JSON value under a key, replacing the value there; null deletes the key. For working state such as a plan, progress or settings.",
            input: Schema.object(
                [
                    "namespace": namespaceArgument,
                    "key": Schema.string("The key (1 to 256 bytes), such as plan or settings/theme.", minLength: 1),
                    "value": Schema.anyValue("Any JSON value; null deletes the key."),
                ],
                required: ["key", "value"]
            ),
            readOnly: false, idempotent: true
        ) { arguments in try setState(arguments) }
    }

    private func setState(_ members: [String: JSONValue]) throws -> ToolOutput {
        let arguments = try ToolArguments(members, allowed: setStateTool.argumentNames, place: "set_state")
        let namespace = try writableNamespace(arguments)
        let key = try arguments.requiredString("key")
        guard let value = arguments.members["value"] else { throw ToolError("set_state needs 'value' (any JSON; null deletes the key).") }
        if value.isNull {
            let existed = try store.deleteState(key, in: namespace)
            return ToolOutput(["namespace": .string(namespace), "key": .string(key), "deleted": .bool(existed)])
        }
        try store.setState(value, for: key, in: namespace)
        return ToolOutput(["namespace": .string(namespace), "key": .string(key), "value": value])
    }

    // MARK: The graph's namespace

    /// The call's namespace (or the default), refused when it lies in the graph's.
    private func writableNamespace(_ arguments: ToolArguments) throws -> String {
        let namespace = try arguments.string("namespace") ?? configuration.defaultNamespace
        try checkWritable(namespace, tool: arguments.place)
        return namespace
    }

    private func checkWritable(_ namespace: String, tool: String) throws(ToolError) {
        if MemoryFilter.namespace(namespace, matchesPrefix: configuration.graphNamespace) {
            throw ToolError("\(tool) cannot change namespace '\(namespace)': it belongs to the knowledge graph (\(configuration.graphNamespace)), which changes through create_entities, add_observations, delete_observations and the other graph tools.")
        }
    }
}
