import Foundation
import MappedStore

extension MemoryStore {
    /// Runs `body` on one snapshot of the store: every read in it sees the same committed state,
    /// whatever other threads and processes commit meanwhile.
    ///
    /// Cost: a read transaction; readers never wait for writers.
    /// - Throws: what `body` throws, and the engines' errors. The snapshot is valid only inside
    ///   `body` (used later, its calls throw).
    public func read<R>(_ body: (MemorySnapshot) throws -> R) throws -> R {
        var thrown: (any Error)?
        do {
            return try reading { tx, _ in
                do { return try body(MemorySnapshot(store: self, tx: tx)) } catch {
                    thrown = error
                    throw error
                }
            }
        } catch {
            // The caller's own error as it is (the engine wrapper would make it `.engine`).
            throw thrown ?? error
        }
    }

    /// Runs `body` in one write transaction: memories added and forgotten and agent state set in
    /// it commit together, or (when `body` throws) none of them does. Use it when several changes
    /// must stay consistent with each other, such as a record in agent state that lists memories.
    ///
    /// The transaction holds the store's writer lock (across processes) while `body` runs, so
    /// `body` must not do slow work: compute embeddings before with ``embed(_:)`` and pass them as
    /// ``NewMemory/vector``.
    ///
    /// Cost: one commit (as ``add(_:options:)``), whatever `body` changes.
    /// - Throws: what `body` throws (nothing is written), `.writerTimeout`, the engines' errors.
    public func write<R>(_ body: (MemoryTransaction) throws -> R) throws -> R {
        let now = Date()
        var thrown: (any Error)?
        do {
            return try writing { writer in
                do { return try body(MemoryTransaction(store: self, writer: writer, now: now)) } catch {
                    thrown = error
                    throw error
                }
            }
        } catch {
            throw thrown ?? error
        }
    }

    /// The embeddings of `texts` by the store's embedder, for memories added in ``write(_:)``.
    ///
    /// Cost: the embedder's (MiniLM: a few milliseconds a text on one core); takes no lock.
    /// - Throws: `.invalidField` when the store was opened without an embedder, the embedder's errors.
    public func embed(_ texts: [String]) throws -> [[Float]] {
        try vectors(for: texts.map { ($0, nil) })
    }
}

/// What a read sees of the store inside ``MemoryStore/read(_:)`` (and ``MemoryStore/write(_:)``):
/// one consistent state. Valid only inside the closure it is given to.
public class MemorySnapshot {
    let store: MemoryStore
    let tx: ReadTransaction

    init(store: MemoryStore, tx: ReadTransaction) {
        self.store = store
        self.tx = tx
    }

    /// A memory by id, or nil.
    public func get(_ id: MemoryID) throws -> Memory? {
        try MemoryStore.engine { try store.load(id, in: tx)?.memory }
    }

    /// The memory of exactly `namespace` whose text is `text`, byte for byte, or nil (the index of
    /// exact duplicates answers it: one lookup). When several memories share the text (added with
    /// `exactDuplicates: .add`), one of them.
    public func memory(withText text: String, in namespace: String) throws -> Memory? {
        try StoreLayout.validate(namespace: namespace)
        return try MemoryStore.engine {
            guard let idBytes = try tx.get(StoreLayout.hashKey(namespace, RecordCodec.contentHash(text)), in: StoreLayout.hashes),
                  let stored = try store.load(MemoryID(unchecked: idBytes), in: tx), stored.memory.text == text
            else { return nil }
            return stored.memory
        }
    }

    /// The memories of exactly `namespace` (not those below it), oldest first, a page at a time;
    /// see ``MemoryStore/timeline(namespace:includingChildren:after:limit:newestFirst:)``.
    public func memories(in namespace: String, after: MemoryID? = nil, limit: Int = 1000) throws -> Page<Memory> {
        try StoreLayout.validate(namespace: namespace)
        guard (1...1000).contains(limit) else { throw MemoryError.invalidField("limit \(limit) is outside 1 to 1000.") }
        return try MemoryStore.engine { try store.timeline(namespace: namespace, includingChildren: false, after: after, limit: limit, newestFirst: false, in: tx) }
    }

    /// The agent-state value of `key` in `namespace`, or nil.
    public func state(_ key: String, in namespace: String) throws -> JSONValue? {
        try MemoryStore.validate(stateKey: key, namespace: namespace)
        return try MemoryStore.engine { try tx.get(StoreLayout.stateKey(namespace, key), in: StoreLayout.state).map { try JSONValue(parsing: $0) } }
    }

    /// The state keys and values of `namespace` in key order, a page at a time.
    public func stateEntries(in namespace: String, after: String? = nil, limit: Int = 100) throws -> Page<StateEntry> {
        try StoreLayout.validate(namespace: namespace)
        guard (1...1000).contains(limit) else { throw MemoryError.invalidField("limit \(limit) is outside 1 to 1000.") }
        return try MemoryStore.engine { try store.stateEntries(in: namespace, after: after, limit: limit, tx: tx) }
    }
}

/// The changes of one ``MemoryStore/write(_:)``: they commit together when its closure returns.
/// Reads in it see the changes made so far. Valid only inside the closure it is given to.
public final class MemoryTransaction: MemorySnapshot {
    private let writer: Writer
    private let now: Date

    init(store: MemoryStore, writer: Writer, now: Date) {
        self.writer = writer
        self.now = now
        super.init(store: store, tx: writer.tx)
    }

    /// Adds memories as ``MemoryStore/add(contentsOf:options:)`` does (same checks and duplicate
    /// handling), in this transaction. Every memory must carry its ``NewMemory/vector`` (see
    /// ``MemoryStore/embed(_:)``): embedding here would hold the writer lock meanwhile.
    /// - Throws: `.invalidField` (a memory without a vector, or any field `add` refuses), `.wrongDimension`.
    @discardableResult
    public func add(_ memories: [NewMemory], options: AddOptions = AddOptions()) throws -> [AddResult] {
        guard !memories.isEmpty else { return [] }
        for (index, memory) in memories.enumerated() {
            try store.validate(memory, position: memories.count > 1 ? index : nil)
            guard memory.vector != nil else {
                throw MemoryError.invalidField("a memory added in a write transaction needs its vector (memory \(index + 1)); compute it before with MemoryStore.embed.")
            }
        }
        let vectors = try store.vectors(for: memories.map { ($0.text, $0.vector) })
        return try MemoryStore.engine { try store.insert(memories, vectors: vectors, options: options, restoring: [], writer: writer, now: now) }
    }

    /// Forgets a memory (as ``MemoryStore/forget(_:)``); returns whether it existed.
    @discardableResult
    public func forget(_ id: MemoryID) throws -> Bool {
        try MemoryStore.engine { try store.remove(id, writer: writer) }
    }

    /// Sets an agent-state value.
    public func setState(_ value: JSONValue, for key: String, in namespace: String) throws {
        try MemoryStore.validate(stateKey: key, namespace: namespace)
        let text = Array(value.jsonText.utf8)
        guard text.count <= 16 << 20 else { throw MemoryError.invalidField("the state value is larger than 16 MiB.") }
        try MemoryStore.engine { try writer.tx.put(StoreLayout.stateKey(namespace, key), text, in: StoreLayout.state) }
    }

    /// Deletes an agent-state value; returns whether it existed.
    @discardableResult
    public func deleteState(_ key: String, in namespace: String) throws -> Bool {
        try MemoryStore.validate(stateKey: key, namespace: namespace)
        return try MemoryStore.engine { try writer.tx.delete(StoreLayout.stateKey(namespace, key), in: StoreLayout.state) }
    }
}
