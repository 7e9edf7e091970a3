import Embeddings
import Foundation
import MappedStore
import VectorIndex

/// A memory to add: what the caller says; the store fills in id, times and vector.
public struct NewMemory: Sendable {
    public var text: String
    public var namespace: String
    public var kind: MemoryKind
    public var metadata: [String: JSONValue]
    /// 0 to 1.
    public var importance: Double
    public var validFrom: Date?
    public var validUntil: Date?
    /// When the memory expires (see also ``timeToLive``).
    public var expiresAt: Date?
    public var source: String?
    public var episode: String?
    /// When it happened (default: now). Importing keeps the original time.
    public var createdAt: Date?
    /// Keep this id (import); by default a new one is made.
    public var id: MemoryID?
    /// The embedding, when the caller has it (otherwise the store's embedder computes it).
    public var vector: [Float]?

    public init(
        text: String, namespace: String, kind: MemoryKind = .episodic, metadata: [String: JSONValue] = [:], importance: Double = 0.5,
        validFrom: Date? = nil, validUntil: Date? = nil, expiresAt: Date? = nil, source: String? = nil, episode: String? = nil,
        createdAt: Date? = nil, id: MemoryID? = nil, vector: [Float]? = nil
    ) {
        self.text = text
        self.namespace = namespace
        self.kind = kind
        self.metadata = metadata
        self.importance = importance
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.expiresAt = expiresAt
        self.source = source
        self.episode = episode
        self.createdAt = createdAt
        self.id = id
        self.vector = vector
    }

    /// Sets ``expiresAt`` to `seconds` from now.
    public mutating func timeToLive(_ seconds: TimeInterval) { expiresAt = Date().addingTimeInterval(seconds) }
}

/// What `add` does with duplicates.
public struct AddOptions: Sendable {
    /// What to do with a memory whose text is already in the namespace, byte for byte.
    public enum ExactDuplicates: Sendable { case skip, add }
    /// What to do with a memory whose vector is nearly that of one in the namespace.
    public enum NearDuplicates: Sendable {
        /// Add it anyway.
        case add
        /// Keep the existing memory, add nothing.
        case skip
        /// Replace the existing memory's text (and merge metadata), keeping its history.
        case update
    }

    public var exactDuplicates: ExactDuplicates
    public var nearDuplicates: NearDuplicates
    /// Cosine similarity at or above which two memories are near-duplicates.
    public var nearDuplicateThreshold: Float

    public init(exactDuplicates: ExactDuplicates = .skip, nearDuplicates: NearDuplicates = .add, nearDuplicateThreshold: Float = 0.95) {
        self.exactDuplicates = exactDuplicates
        self.nearDuplicates = nearDuplicates
        self.nearDuplicateThreshold = nearDuplicateThreshold
    }
}

/// What `add` did with one memory.
public struct AddResult: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// Added as a new memory.
        case added
        /// The namespace already had this exact text: nothing added; ``AddResult/memory`` is the existing one.
        case exactDuplicate
        /// Nearly the same as an existing memory (similarity given): nothing added.
        case nearDuplicateSkipped(similarity: Float)
        /// Nearly the same as an existing memory, which was updated with the new text.
        case nearDuplicateUpdated(similarity: Float)
        /// A memory with this id is already in the store (a resumed import): nothing changed.
        case alreadyPresent
    }

    public var memory: Memory
    public var outcome: Outcome
}

/// Changes to a memory; nil fields stay as they are. For the optional dates, `.some(nil)` clears.
public struct MemoryChanges: Sendable {
    public var text: String?
    public var kind: MemoryKind?
    /// Replaces the whole metadata object.
    public var metadata: [String: JSONValue]?
    public var importance: Double?
    public var validFrom: Date??
    public var validUntil: Date??
    public var expiresAt: Date??
    public var source: String??
    public var episode: String??
    /// The new text's vector, when the caller has it.
    public var vector: [Float]?

    public init(text: String? = nil, kind: MemoryKind? = nil, metadata: [String: JSONValue]? = nil, importance: Double? = nil, validFrom: Date?? = nil, validUntil: Date?? = nil, expiresAt: Date?? = nil, source: String?? = nil, episode: String?? = nil, vector: [Float]? = nil) {
        self.text = text
        self.kind = kind
        self.metadata = metadata
        self.importance = importance
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.expiresAt = expiresAt
        self.source = source
        self.episode = episode
        self.vector = vector
    }
}

extension MemoryStore {
    // MARK: Adding

    /// Adds one memory: record, text index and vector in one transaction.
    ///
    /// Threads of this process that add at the same time share transactions (group commit):
    /// while one commits, the others' memories queue and go in the next transaction together,
    /// each caller getting its own result once that transaction is durable. Adds that look for
    /// near-duplicates (``AddOptions/nearDuplicates`` other than `.add`) are not grouped.
    ///
    /// Cost: one embedding (outside the writer lock), an HNSW insertion, and a commit (with
    /// ``Options/durability`` `.full`: the index's syncs, then one `fdatasync` of the store),
    /// shared by the adds of a group. The text goes to the text index's pending list; once 32
    /// are pending, a background transaction writes them into the postings at the next pause
    /// of 2 ms in adds (an add that finds 63 pending does it itself).
    /// - Throws: `.invalidField` (empty text, bad namespace, importance outside 0–1…),
    ///   `.wrongDimension`, `.writerTimeout`, the engines' errors (for every add of the group
    ///   that met them). Nothing is added when it throws.
    @discardableResult
    public func add(_ memory: NewMemory, options: AddOptions = AddOptions()) throws -> AddResult {
        try validate(memory, position: nil)
        let vector = try vectors(for: [(memory.text, memory.vector)])[0]
        pendingTextFlush.addStarting()
        let result = try groupCommit.add(memory, vector: vector, options: options) { memories, vectors, options in
            let now = Date()
            return try writing { writer in
                try insert(memories, vectors: vectors, options: options, restoring: [], writer: writer, now: now)
            }
        }
        // Single adds leave their text in the index's pending list: write it out while the
        // caller is busy elsewhere, before an add has to (see `PendingTextFlush`).
        pendingTextFlush.schedule(store)
        return result
    }

    /// Adds memories in one transaction: all or none. Embeddings are computed first, in batches,
    /// outside the writer lock; the vectors are linked into the index on all cores.
    @discardableResult
    public func add(contentsOf memories: [NewMemory], options: AddOptions = AddOptions()) throws -> [AddResult] {
        try add(contentsOf: memories, options: options, restoring: [])
    }

    /// `restoring[i]`, when given, carries the update/access times, access count and version an
    /// import keeps.
    func add(contentsOf memories: [NewMemory], options: AddOptions, restoring: [Memory?]) throws -> [AddResult] {
        guard !memories.isEmpty else { return [] }
        for (index, memory) in memories.enumerated() { try validate(memory, position: memories.count > 1 ? index : nil) }
        let vectors = try vectors(for: memories.map { ($0.text, $0.vector) })
        let now = Date()
        return try writing { writer in
            try insert(memories, vectors: vectors, options: options, restoring: restoring, writer: writer, now: now)
        }
    }

    /// The body of `add` inside the write transaction: duplicate checks, then the new records, their
    /// indexes and vectors. `vectors[i]` is the embedding of `memories[i]` (validated already).
    func insert(_ memories: [NewMemory], vectors: [[Float]], options: AddOptions, restoring: [Memory?], writer: Writer, now: Date) throws -> [AddResult] {
        let tx = writer.tx
        var results: [AddResult?] = Array(repeating: nil, count: memories.count)
        var fresh: [(position: Int, memory: Memory, hash: UInt64)] = []
        var seen: [[UInt8]: Int] = [:]
        for (position, new) in memories.enumerated() {
            if let id = new.id, let existing = try load(id, in: tx) {
                results[position] = AddResult(memory: existing.memory, outcome: .alreadyPresent)
                continue
            }
            let hash = RecordCodec.contentHash(new.text)
            let hashKey = StoreLayout.hashKey(new.namespace, hash)
            if options.exactDuplicates == .skip, new.id == nil {
                if let earlier = seen[hashKey], case let memory = fresh.first(where: { $0.position == earlier })!.memory, memory.text == new.text {
                    results[position] = AddResult(memory: memory, outcome: .exactDuplicate)
                    continue
                }
                if let idBytes = try tx.get(hashKey, in: StoreLayout.hashes), let existing = try load(MemoryID(unchecked: idBytes), in: tx), existing.memory.text == new.text {
                    results[position] = AddResult(memory: existing.memory, outcome: .exactDuplicate)
                    continue
                }
            }
            if options.nearDuplicates != .add, let (existing, similarity) = try nearest(to: vectors[position], namespace: new.namespace, writer: writer), similarity >= options.nearDuplicateThreshold {
                if options.nearDuplicates == .skip {
                    results[position] = AddResult(memory: existing, outcome: .nearDuplicateSkipped(similarity: similarity))
                } else {
                    var metadata = existing.metadata
                    metadata.merge(new.metadata) { _, new in new }
                    let updated = try update(existing.id, MemoryChanges(text: new.text, metadata: metadata, importance: max(existing.importance, new.importance), vector: vectors[position]), writer: writer, now: now)
                    results[position] = AddResult(memory: updated, outcome: .nearDuplicateUpdated(similarity: similarity))
                }
                continue
            }
            let created = new.createdAt ?? now
            var memory = Memory(
                id: new.id ?? MemoryID.make(at: created), namespace: new.namespace, kind: new.kind, text: new.text, metadata: new.metadata,
                createdAt: created, updatedAt: created, lastAccessedAt: created, importance: new.importance,
                validFrom: new.validFrom, validUntil: new.validUntil, expiresAt: new.expiresAt, source: new.source, episode: new.episode
            )
            if position < restoring.count, let kept = restoring[position] {
                memory.updatedAt = kept.updatedAt
                memory.lastAccessedAt = kept.lastAccessedAt
                memory.accessCount = kept.accessCount
                memory.version = kept.version
            }
            seen[hashKey] = position
            fresh.append((position, memory, hash))
        }
        // The records and the text index are written while other threads link the vectors into
        // the graph. The text index once for the batch: each term's posting blocks are written once.
        _ = try writer.addVectors(fresh.map { vectors[$0.position] }) { slots in
            let numbers = try TextIndex.add(documents: fresh.map { ($0.memory.id.bytes, $0.memory.text) }, in: tx)
            for ((item, slot), number) in zip(zip(fresh, slots), numbers) {
                try insert(item.memory, hash: item.hash, slot: slot, in: tx, textNumber: number)
                results[item.position] = AddResult(memory: item.memory, outcome: .added)
            }
        }
        return results.map { $0! }
    }

    /// Supersedes a fact: the old memory gets `validUntil = now` (kept, findable with `validAt`),
    /// and the new one is added with `validFrom = now` and metadata `supersedes: <old id>`.
    @discardableResult
    public func supersede(_ id: MemoryID, with new: NewMemory) throws -> Memory {
        var new = new
        let now = Date()
        new.validFrom = new.validFrom ?? now
        new.metadata["supersedes"] = .string(id.description)
        try validate(new, position: nil)
        let vector = try vectors(for: [(new.text, new.vector)])[0]
        new.vector = vector
        return try writing { writer in
            _ = try update(id, MemoryChanges(validUntil: .some(now)), writer: writer, now: now)
            let memory = Memory(
                id: MemoryID.make(at: now), namespace: new.namespace, kind: new.kind, text: new.text, metadata: new.metadata, createdAt: now,
                importance: new.importance, validFrom: new.validFrom, validUntil: new.validUntil, expiresAt: new.expiresAt, source: new.source, episode: new.episode
            )
            let slot = try writer.addVectors([vector])[0]
            try insert(memory, hash: RecordCodec.contentHash(memory.text), slot: slot, in: writer.tx)
            return memory
        }
    }

    // MARK: Updating

    /// Changes a memory; the earlier version goes to its history (``history(of:)``). A new text is
    /// re-embedded and re-indexed; the namespace never changes.
    /// - Throws: `.notFound`, `.invalidField`, `.writerTimeout`.
    @discardableResult
    public func update(_ id: MemoryID, _ changes: MemoryChanges) throws -> Memory {
        var changes = changes
        if let text = changes.text {
            try Self.validate(text: text, importance: changes.importance ?? 0.5)
            changes.vector = try vectors(for: [(text, changes.vector)])[0]
        } else if let importance = changes.importance {
            try Self.validate(text: "x", importance: importance)
        }
        if let metadata = changes.metadata { try Self.validate(metadata: metadata) }
        for (date, field) in [(changes.validFrom, "validFrom"), (changes.validUntil, "validUntil"), (changes.expiresAt, "expiresAt")] {
            try Timestamps.validate(date ?? nil, field: field)
        }
        return try writing { writer in try update(id, changes, writer: writer, now: Date()) }
    }

    /// Records that memories were used: access count + 1 and last access time now.
    public func recordAccess(_ ids: [MemoryID]) throws {
        guard !ids.isEmpty else { return }
        let now = Date()
        try writing { writer in
            for id in ids {
                guard var stored = try load(id, in: writer.tx) else { continue }
                stored.memory.accessCount &+= 1
                stored.memory.lastAccessedAt = now
                try writer.tx.put(id.bytes, RecordCodec.encode(stored), in: StoreLayout.memories)
            }
        }
    }

    func update(_ id: MemoryID, _ changes: MemoryChanges, writer: Writer, now: Date) throws -> Memory {
        let tx = writer.tx
        guard let old = try load(id, in: tx) else { throw MemoryError.notFound(id) }
        var memory = old.memory
        if let text = changes.text { memory.text = text }
        if let kind = changes.kind { memory.kind = kind }
        if let metadata = changes.metadata { memory.metadata = metadata }
        if let importance = changes.importance { memory.importance = importance }
        if let value = changes.validFrom { memory.validFrom = value }
        if let value = changes.validUntil { memory.validUntil = value }
        if let value = changes.expiresAt { memory.expiresAt = value }
        if let value = changes.source { memory.source = value }
        if let value = changes.episode { memory.episode = value }
        memory.updatedAt = now
        memory.version = old.memory.version &+ 1
        try tx.put(StoreLayout.historyKey(id, version: old.memory.version), RecordCodec.encode(old), in: StoreLayout.history)
        // Remove what the old version put in the indexes, then insert the new one.
        guard let slot = try slot(of: old.memory, in: tx) else { throw MemoryError.engine("memory \(id) has no timeline entry; the store is damaged: run `mnemap check`.") }
        try removeIndexes(of: old, slot: slot, in: tx)
        var newSlot = slot
        if changes.text != nil, let vector = changes.vector {
            newSlot = try writer.addVectors([vector])[0]
            writer.retired.append(slot)
        }
        let stored = RecordCodec.Stored(memory: memory, contentHash: RecordCodec.contentHash(memory.text))
        try insertIndexes(of: stored, slot: newSlot, in: tx, countNamespace: false)
        try tx.put(id.bytes, RecordCodec.encode(stored), in: StoreLayout.memories)
        return memory
    }

    /// The earlier versions of a memory, oldest first.
    public func history(of id: MemoryID) throws -> [Memory] {
        try reading { tx, _ in
            var versions: [Memory] = []
            try tx.scan(in: StoreLayout.history, prefix: id.bytes) { _, value in
                versions.append(try RecordCodec.decode(value, id: id).memory)
                return true
            }
            return versions
        }
    }

    // MARK: Forgetting

    /// Forgets a memory: record, history, text postings and vector (its slot is retired, and the
    /// space is reused after ``compact()``). Returns whether it existed.
    @discardableResult
    public func forget(_ id: MemoryID) throws -> Bool {
        try writing { writer in try remove(id, writer: writer) }
    }

    /// Forgets every memory of `namespace` and the namespaces below it; returns how many.
    /// - Throws: `.unknownNamespace` when there is none (a typo should not pass silently).
    /// Large namespaces are removed in transactions of `batch` memories (each all or nothing).
    @discardableResult
    public func forget(namespace: String, batch: Int = 1000) throws -> Int {
        try StoreLayout.validate(namespace: namespace)
        guard try reading({ tx, _ in try !namespaces(under: namespace, in: tx).isEmpty }) else { throw MemoryError.unknownNamespace(namespace) }
        return try forget(matching: MemoryFilter(namespacePrefix: namespace), batch: batch)
    }

    /// Forgets every memory `filter` matches; returns how many.
    @discardableResult
    public func forget(matching filter: MemoryFilter, batch: Int = 1000) throws -> Int {
        var total = 0
        while true {
            let removed = try writing { writer -> Int in
                var ids: [MemoryID] = []
                try forEachCandidate(filter, in: writer.tx) { stored in
                    if filter.matches(stored.memory) { ids.append(stored.memory.id) }
                    return ids.count < batch
                }
                for id in ids { _ = try remove(id, writer: writer) }
                return ids.count
            }
            total += removed
            if removed < batch { return total }
        }
    }

    /// Deletes the memories whose expiry time has passed; returns how many.
    @discardableResult
    public func purgeExpired(now: Date = Date(), batch: Int = 1000) throws -> Int {
        let limit = Timestamps.milliseconds(now)
        var total = 0
        while true {
            let removed = try writing { writer -> Int in
                var ids: [MemoryID] = []
                try writer.tx.scan(in: StoreLayout.expiry) { key, _ in
                    guard StoreLayout.expiryTime(key) <= limit, ids.count < batch else { return false }
                    ids.append(MemoryID(unchecked: Array(key[8..<24])))
                    return true
                }
                for id in ids { _ = try remove(id, writer: writer) }
                return ids.count
            }
            total += removed
            if removed < batch { return total }
        }
    }

    func remove(_ id: MemoryID, writer: Writer) throws -> Bool {
        let tx = writer.tx
        guard let stored = try load(id, in: tx) else { return false }
        if let slot = try slot(of: stored.memory, in: tx) {
            try removeIndexes(of: stored, slot: slot, in: tx)
            writer.retired.append(slot)
        }
        _ = try tx.delete(id.bytes, in: StoreLayout.memories)
        let namespaceKey = Array(stored.memory.namespace.utf8)
        let count = StoreLayout.u64(try tx.get(namespaceKey, in: StoreLayout.namespaces))
        if count <= 1 { _ = try tx.delete(namespaceKey, in: StoreLayout.namespaces) }
        else { try tx.put(namespaceKey, StoreLayout.u64(count - 1), in: StoreLayout.namespaces) }
        var versions: [[UInt8]] = []
        try tx.scan(in: StoreLayout.history, prefix: id.bytes) { key, _ in
            versions.append(Array(key))
            return true
        }
        for key in versions { _ = try tx.delete(key, in: StoreLayout.history) }
        return true
    }

    // MARK: Records and indexes

    func load(_ id: MemoryID, in tx: ReadTransaction) throws -> RecordCodec.Stored? {
        try tx.withValue(for: id.bytes, in: StoreLayout.memories) { try RecordCodec.decode($0, id: id) }
    }

    /// The vector slot of a memory (the timeline entry's value).
    func slot(of memory: Memory, in tx: ReadTransaction) throws -> UInt32? {
        try tx.withValue(for: StoreLayout.timelineKey(memory.namespace, memory.id), in: StoreLayout.timeline, StoreLayout.timelineSlot) ?? nil
    }

    /// The record and its indexes; the text index too unless the caller indexed the text itself
    /// (for a whole batch at once) and gives its document number as `textNumber`.
    private func insert(_ memory: Memory, hash: UInt64, slot: UInt32, in tx: WriteTransaction, textNumber: UInt32? = nil) throws {
        let stored = RecordCodec.Stored(memory: memory, contentHash: hash)
        try tx.put(memory.id.bytes, RecordCodec.encode(stored), in: StoreLayout.memories)
        try insertIndexes(of: stored, slot: slot, in: tx, countNamespace: true, textNumber: textNumber)
    }

    /// Everything but the record itself: vector facts, timeline, namespace count, hash, expiry,
    /// and text unless `textNumber` says the text is indexed already (under that number).
    private func insertIndexes(of stored: RecordCodec.Stored, slot: UInt32, in tx: WriteTransaction, countNamespace: Bool, textNumber: UInt32? = nil) throws {
        let memory = stored.memory
        let number = try textNumber ?? TextIndex.add(document: memory.id.bytes, text: memory.text, in: tx)
        try tx.put(StoreLayout.slotKey(slot), RecordCodec.encode(RecordCodec.Facts(memory)), in: StoreLayout.vectors)
        try tx.put(StoreLayout.timelineKey(memory.namespace, memory.id), StoreLayout.timelineValue(slot: slot, textNumber: number), in: StoreLayout.timeline)
        if countNamespace {
            let key = Array(memory.namespace.utf8)
            try tx.put(key, StoreLayout.u64(StoreLayout.u64(try tx.get(key, in: StoreLayout.namespaces)) + 1), in: StoreLayout.namespaces)
        }
        let hashKey = StoreLayout.hashKey(memory.namespace, stored.contentHash)
        if try tx.get(hashKey, in: StoreLayout.hashes) == nil { try tx.put(hashKey, memory.id.bytes, in: StoreLayout.hashes) }
        if let expiresAt = memory.expiresAt {
            try tx.put(StoreLayout.expiryKey(Timestamps.milliseconds(expiresAt), memory.id), [], in: StoreLayout.expiry)
        }
    }

    private func removeIndexes(of stored: RecordCodec.Stored, slot: UInt32, in tx: WriteTransaction) throws {
        let memory = stored.memory
        _ = try tx.delete(StoreLayout.slotKey(slot), in: StoreLayout.vectors)
        _ = try tx.delete(StoreLayout.timelineKey(memory.namespace, memory.id), in: StoreLayout.timeline)
        let hashKey = StoreLayout.hashKey(memory.namespace, stored.contentHash)
        if try tx.get(hashKey, in: StoreLayout.hashes) == memory.id.bytes { _ = try tx.delete(hashKey, in: StoreLayout.hashes) }
        if let expiresAt = memory.expiresAt {
            _ = try tx.delete(StoreLayout.expiryKey(Timestamps.milliseconds(expiresAt), memory.id), in: StoreLayout.expiry)
        }
        try TextIndex.remove(document: memory.id.bytes, text: memory.text, in: tx)
    }

    /// The most similar live memory of exactly `namespace` to `vector`, with its similarity.
    private func nearest(to vector: [Float], namespace: String, writer: Writer) throws -> (Memory, Float)? {
        let tx = writer.tx
        var slots: [UInt32] = []
        try tx.scan(in: StoreLayout.timeline, prefix: StoreLayout.timelinePrefix(namespace)) { _, value in
            if let slot = StoreLayout.timelineSlot(value) { slots.append(slot) }
            return slots.count < 50_000
        }
        let retired = Set(writer.retired)
        let found = slots.count < 50_000
            ? try writer.index.exactSearch(vector, k: 1, among: slots.filter { !retired.contains($0) })
            : try writer.index.search(vector, k: 1, filter: .allow(Set(slots).subtracting(retired)))
        guard let best = found.first, let facts = try tx.withValue(for: StoreLayout.slotKey(best.id), in: StoreLayout.vectors, RecordCodec.decodeFacts) ?? nil,
              let stored = try load(facts.id, in: tx) else { return nil }
        return (stored.memory, best.score)
    }

    /// Visits the records a filter may match (those of its namespaces when it names a prefix, in
    /// id order otherwise); `body` returns false to stop.
    func forEachCandidate(_ filter: MemoryFilter, in tx: ReadTransaction, _ body: (RecordCodec.Stored) throws -> Bool) throws {
        if let prefix = filter.namespacePrefix {
            for namespace in try namespaces(under: prefix, in: tx) {
                var more = true
                try tx.scan(in: StoreLayout.timeline, prefix: StoreLayout.timelinePrefix(namespace)) { key, _ in
                    let id = MemoryID(unchecked: Array(key[(key.count - 16)...]))
                    guard let stored = try load(id, in: tx) else { return true }
                    more = try body(stored)
                    return more
                }
                if !more { return }
            }
        } else {
            try tx.scan(in: StoreLayout.memories) { key, value in
                try body(try RecordCodec.decode(value, id: MemoryID(unchecked: Array(key))))
            }
        }
    }

    /// The namespaces equal to `prefix` or below it, with their memory counts.
    func namespaces(under prefix: String, in tx: ReadTransaction) throws -> [String] {
        try namespaceCounts(under: prefix, in: tx).map(\.namespace)
    }

    func namespaceCounts(under prefix: String?, in tx: ReadTransaction) throws -> [(namespace: String, count: Int)] {
        // "user/alice/" means "user/alice"; "" and "/" mean every namespace.
        var prefix = prefix
        while let last = prefix?.last, last == "/" { prefix?.removeLast() }
        if prefix?.isEmpty == true { prefix = nil }
        var found: [(String, Int)] = []
        try tx.scan(in: StoreLayout.namespaces, prefix: prefix.map { Array($0.utf8) }) { key, value in
            let namespace = String(decoding: key, as: UTF8.self)
            if prefix.map({ MemoryFilter.namespace(namespace, matchesPrefix: $0) }) ?? true {
                found.append((namespace, Int(value.count == 8 ? UInt64(littleEndian: value.loadUnaligned(as: UInt64.self)) : 0)))
            }
            return true
        }
        return found
    }

    // MARK: Validation and embedding

    func validate(_ memory: NewMemory, position: Int?) throws {
        do {
            try StoreLayout.validate(namespace: memory.namespace)
            try Self.validate(text: memory.text, importance: memory.importance)
            try Self.validate(metadata: memory.metadata)
            if let vector = memory.vector, vector.count != manifest.dimension {
                throw MemoryError.wrongDimension(expected: manifest.dimension, got: vector.count)
            }
            for (date, field) in [(memory.createdAt, "createdAt"), (memory.validFrom, "validFrom"), (memory.validUntil, "validUntil"), (memory.expiresAt, "expiresAt")] {
                try Timestamps.validate(date, field: field)
            }
            if let from = memory.validFrom, let until = memory.validUntil, until <= from {
                throw MemoryError.invalidField("validUntil must be after validFrom.")
            }
        } catch let error as MemoryError {
            guard let position else { throw error }
            throw MemoryError.invalidField("memory \(position + 1) of the batch: \(error)")
        }
    }

    static func validate(text: String, importance: Double) throws {
        guard !text.allSatisfy(\.isWhitespace) else { throw MemoryError.invalidField("the text is empty; a memory needs some text.") }
        guard text.utf8.count <= 1 << 20 else { throw MemoryError.invalidField("the text has \(text.utf8.count) bytes; a memory holds at most 1 MiB of text (split it).") }
        guard importance >= 0, importance <= 1 else { throw MemoryError.invalidField("importance \(importance) is outside 0 to 1.") }
    }

    static func validate(metadata: [String: JSONValue]) throws {
        guard JSONValue.object(metadata).jsonText.utf8.count <= 1 << 20 else { throw MemoryError.invalidField("the metadata is larger than 1 MiB.") }
    }

    /// The vectors of texts, computing the missing ones with the embedder (in one batch).
    func vectors(for items: [(text: String, vector: [Float]?)]) throws -> [[Float]] {
        let missing = items.indices.filter { items[$0].vector == nil }
        var vectors = items.map { $0.vector ?? [] }
        if !missing.isEmpty {
            guard let embedder else {
                throw MemoryError.invalidField("this store was opened without an embedder, so memories need a vector (or open it with the \(manifest.embedder) embedder).")
            }
            let computed = try Self.engine { try embedder.embed(missing.map { items[$0].text }) }
            for (index, vector) in zip(missing, computed) { vectors[index] = vector }
        }
        for vector in vectors {
            guard vector.count == manifest.dimension else { throw MemoryError.wrongDimension(expected: manifest.dimension, got: vector.count) }
            guard vector.allSatisfy(\.isFinite) else { throw MemoryError.invalidField("the vector holds a NaN or an infinity.") }
        }
        return vectors
    }
}
