import Foundation
import Hummingbird
import Mnemap

/// Memories one at a time and in batches: add, get, update, forget.
enum MemoryRoutes {
    /// The fields of a memory to add.
    static let memoryFields = ["text", "namespace", "kind", "metadata", "importance", "validFrom", "validUntil", "expiresAt", "ttl", "source", "episode", "createdAt", "vector"]
    /// How duplicates are treated, for one memory or a batch.
    static let duplicateFields = ["dedupe", "threshold", "exactDuplicates"]
    static let changeFields = ["text", "kind", "metadata", "mergeMetadata", "importance", "validFrom", "validUntil", "expiresAt", "ttl", "source", "episode", "vector"]

    static func register(_ routes: RouteTable) {
        let state = routes.state
        routes.add(.post, "/v1/memories", .write) { request, _, access in
            let fields = try JSONFields(try await request.json(limit: state.limits.maxBodyBytes), allowed: memoryFields + duplicateFields + ["supersedes"])
            let memory = try newMemory(fields)
            try access.require(memory.namespace)
            let options = try addOptions(fields)
            if let supersedes = try fields.string("supersedes") {
                guard options.nearDuplicates == .add else { throw APIError.invalidField("'supersedes' and 'dedupe' (skip or update) do not go together.") }
                let id = try MemoryID(supersedes)
                let added = try await state.run(.write) { store -> Memory in
                    guard let old = try store.get(id), access.allows(old.namespace) else { throw APIError.memoryNotFound(supersedes) }
                    return try store.supersede(id, with: memory)
                }
                var body = JSONText()
                body.add("id", added.id.description)
                body.add("outcome", "added")
                body.add("supersedes", id.description)
                body.add("memory", raw: memoryJSON(added))
                return jsonResponse(body.text, status: .created)
            }
            let result = try await state.run(.write) { store in try store.add(memory, options: options) }
            var body = outcomeJSON(result)
            body.add("memory", raw: memoryJSON(result.memory))
            return jsonResponse(body.text, status: result.outcome == .added ? .created : .ok)
        }

        routes.add(.post, "/v1/memories/batch", .write) { request, _, access in
            let fields = try JSONFields(try await request.json(limit: state.limits.maxBodyBytes), allowed: ["memories"] + duplicateFields)
            guard let items = try fields.array("memories"), !items.isEmpty else {
                throw APIError.invalidField("the body needs 'memories': a non-empty array of memories such as {\"text\": \"...\", \"namespace\": \"user/alice\"}.")
            }
            guard items.count <= state.limits.maxBatch else {
                throw APIError.badRequest("batch_too_large", "'memories' has \(items.count) memories; a batch takes at most \(state.limits.maxBatch). Send several batches.")
            }
            var memories: [NewMemory] = []
            memories.reserveCapacity(items.count)
            for (position, item) in items.enumerated() {
                let memory = try newMemory(try JSONFields(item, allowed: memoryFields, place: "memories[\(position)]"))
                try access.require(memory.namespace)
                memories.append(memory)
            }
            let options = try addOptions(fields)
            let batch = memories
            let results = try await state.run(.write) { store in try store.add(contentsOf: batch, options: options) }
            var body = JSONText()
            body.add("added", results.filter { $0.outcome == .added }.count)
            body.add("results", raw: JSONText.array(results.map { outcomeJSON($0).text }))
            return jsonResponse(body.text)
        }

        routes.add(.get, "/v1/memories/{id}", .read) { request, context, access in
            let query = try QueryParameters(request, allowed: ["history"])
            let text = try context.parameters.require("id")
            let id = try MemoryID(text)
            let withHistory = try query.bool("history")
            let (memory, history) = try await state.run(.read) { store -> (Memory, [Memory]) in
                guard let memory = try store.get(id), access.allows(memory.namespace) else { throw APIError.memoryNotFound(text) }
                return (memory, withHistory ? try store.history(of: id) : [])
            }
            var line = memoryJSON(memory)
            if withHistory {
                line.removeLast()
                line += ",\"history\":" + JSONText.array(history.map(memoryJSON)) + "}"
            }
            return jsonResponse(line)
        }

        routes.add(.patch, "/v1/memories/{id}", .write) { request, context, access in
            let text = try context.parameters.require("id")
            let id = try MemoryID(text)
            let fields = try JSONFields(try await request.json(limit: state.limits.maxBodyBytes), allowed: changeFields)
            let requested = try memoryChanges(fields)
            let merge = try fields.object("mergeMetadata")
            let updated = try await state.run(.write) { store -> Memory in
                var changes = requested
                guard let current = try store.get(id), access.allows(current.namespace) else { throw APIError.memoryNotFound(text) }
                if let merge {
                    var metadata = current.metadata
                    for (key, value) in merge {
                        if value.isNull { metadata.removeValue(forKey: key) } else { metadata[key] = value }
                    }
                    changes.metadata = metadata
                }
                return try store.update(id, changes)
            }
            return jsonResponse(memoryJSON(updated))
        }

        routes.add(.delete, "/v1/memories/{id}", .write) { request, context, access in
            _ = try QueryParameters(request, allowed: [])
            let text = try context.parameters.require("id")
            let id = try MemoryID(text)
            try await state.run(.write) { store in
                guard let memory = try store.get(id), access.allows(memory.namespace), try store.forget(id) else { throw APIError.memoryNotFound(text) }
            }
            return jsonResponse(["forgotten": 1])
        }
    }

    /// A memory to add from its JSON fields.
    static func newMemory(_ fields: JSONFields) throws(APIError) -> NewMemory {
        var memory = NewMemory(
            text: try fields.requiredString("text"), namespace: try fields.requiredString("namespace"), kind: try fields.kind("kind") ?? .episodic,
            metadata: try fields.object("metadata") ?? [:], importance: try fields.number("importance") ?? 0.5,
            validFrom: try fields.date("validFrom"), validUntil: try fields.date("validUntil"), expiresAt: try fields.date("expiresAt"),
            source: try fields.string("source"), episode: try fields.string("episode"), createdAt: try fields.date("createdAt"), vector: try fields.vector("vector")
        )
        if let ttl = try fields.number("ttl") {
            guard ttl > 0, ttl <= 1e11 else { throw APIError.invalidField("'ttl' in \(fields.place) is a positive number of seconds, at most 1e11.") }
            guard memory.expiresAt == nil else { throw APIError.invalidField("give 'expiresAt' or 'ttl' in \(fields.place), not both.") }
            memory.timeToLive(ttl)
        }
        return memory
    }

    /// How an add treats duplicates: `dedupe` (near duplicates: add, skip or update), `threshold`,
    /// `exactDuplicates` (skip or add).
    static func addOptions(_ fields: JSONFields) throws(APIError) -> AddOptions {
        var options = AddOptions()
        switch try fields.choice("dedupe", ["add", "skip", "update"]) {
        case "skip": options.nearDuplicates = .skip
        case "update": options.nearDuplicates = .update
        default: options.nearDuplicates = .add
        }
        if let threshold = try fields.number("threshold") {
            guard (0...1).contains(threshold) else { throw APIError.invalidField("'threshold' is a cosine similarity between 0 and 1.") }
            options.nearDuplicateThreshold = Float(threshold)
        }
        if try fields.choice("exactDuplicates", ["skip", "add"]) == "add" { options.exactDuplicates = .add }
        return options
    }

    /// The changes of an update; `mergeMetadata` is applied by the caller, on the current metadata.
    static func memoryChanges(_ fields: JSONFields) throws(APIError) -> MemoryChanges {
        var changes = MemoryChanges(
            text: try fields.string("text"), kind: try fields.kind("kind"), metadata: try fields.object("metadata"),
            importance: try fields.number("importance"), validFrom: try fields.clearableDate("validFrom"),
            validUntil: try fields.clearableDate("validUntil"), expiresAt: try fields.clearableDate("expiresAt"),
            source: try fields.clearableString("source"), episode: try fields.clearableString("episode"), vector: try fields.vector("vector")
        )
        if fields.has("metadata"), fields.has("mergeMetadata") { throw APIError.invalidField("give 'metadata' (replace) or 'mergeMetadata' (merge), not both.") }
        if changes.vector != nil, changes.text == nil { throw APIError.invalidField("'vector' goes with 'text': it is the new text's vector.") }
        if let ttl = try fields.number("ttl") {
            guard ttl > 0, ttl <= 1e11 else { throw APIError.invalidField("'ttl' is a positive number of seconds, at most 1e11.") }
            guard !fields.has("expiresAt") else { throw APIError.invalidField("give 'expiresAt' or 'ttl', not both.") }
            changes.expiresAt = .some(Date().addingTimeInterval(ttl))
        }
        // A null clears the optional times, source and episode; elsewhere it changes nothing.
        let clearable: Set<String> = ["validFrom", "validUntil", "expiresAt", "source", "episode"]
        guard fields.members.contains(where: { $0.key != "vector" && (!$0.value.isNull || clearable.contains($0.key)) }) else {
            throw APIError.invalidField("nothing to change: give text, kind, metadata, mergeMetadata, importance, validFrom, validUntil, expiresAt, ttl, source or episode.")
        }
        return changes
    }
}
