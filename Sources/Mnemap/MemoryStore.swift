import Embeddings
import Foundation
import MappedMemory
import MappedStore
import VectorIndex

/// Agent memory: memories kept in one folder, found again by meaning, words, time and metadata;
/// shared by any number of processes; nothing committed is ever lost.
///
/// ```swift
/// let memory = try MemoryStore(path: "agent.mnemap", embedder: try MiniLMEmbedder())
/// try memory.add(NewMemory(text: "Alice prefers green tea", namespace: "user/alice", kind: .semantic))
/// let hits = try memory.search(SearchRequest(query: "what does alice drink?"))
/// ```
///
/// The folder holds `manifest.json` (format, embedder, dimension), `store` (a ``MappedStore``
/// with the records, the text index, the timeline and agent state) and a vector index folder.
///
/// Guarantees:
/// - Every write (`add`, `update`, `forget`, `setState`, an import batch) is one store transaction:
///   all or nothing, durable when it returns (with the default ``Options/durability``).
/// - A memory's vector reaches the disk before the transaction that refers to it commits; a crash
///   in between leaves an unreferenced vector slot, which the next write retires.
/// - Readers never wait: searches in any number of threads and processes run on a snapshot while
///   one writer (across all processes) commits. Writers queue on the store's writer lock, giving
///   up after ``Options/writerTimeout`` with ``MemoryError/writerTimeout(seconds:)``.
public final class MemoryStore: @unchecked Sendable {
    /// How a store is opened.
    public struct Options: Sendable {
        /// Create the folder and an empty store when there is none.
        public var create = true
        /// How vectors are stored when the store is created (later opens read it from the manifest).
        public var elementType: ElementType = .float32
        /// When commits reach the disk (see ``MappedStore/Durability``). The vector index is
        /// synced at every write whatever this says.
        public var durability: MappedStore.Durability = .full
        /// How long a write waits for another process's write.
        public var writerTimeout: Duration = .seconds(30)
        /// Vectors the index's address-space reservation holds (costs no memory).
        public var maxVectors = 1 << 24
        /// HNSW candidate list size for searches: higher finds more of the true nearest
        /// neighbours, slower (see ``VectorIndex/VectorIndex/efSearch``).
        public var efSearch = 96
        /// HNSW graph degree and build-time candidate list, used when the store is created: the
        /// defaults (16, 100, as Chroma's) reach recall@10 ≥ 0.95 on sentence embeddings at
        /// half the build cost of efConstruction 200.
        public var M = 16
        public var efConstruction = 100

        public init(create: Bool = true, elementType: ElementType = .float32, durability: MappedStore.Durability = .full, writerTimeout: Duration = .seconds(30), maxVectors: Int = 1 << 24, efSearch: Int = 96, M: Int = 16, efConstruction: Int = 100) {
            self.create = create
            self.elementType = elementType
            self.durability = durability
            self.writerTimeout = writerTimeout
            self.maxVectors = maxVectors
            self.efSearch = efSearch
            self.M = M
            self.efConstruction = efConstruction
        }
    }

    /// The store folder.
    public let path: String
    public let manifest: Manifest
    /// Turns text into vectors; nil when the store was opened without one (then adds need vectors
    /// and searches need a query vector or text mode).
    public let embedder: (any Embedder)?
    public let options: Options
    let store: MappedStore
    private let readerLock = NSLock()
    /// Shares write transactions between threads that add single memories at the same time.
    let groupCommit = GroupCommit()
    /// Writes pending text-index documents out in the background after single adds.
    let pendingTextFlush = PendingTextFlush()
    private var readers: [String: VectorIndex] = [:]
    /// The index this process last wrote with, kept mapped between write transactions with its
    /// writer lock released (``VectorIndex/suspendWriting()``). Used only inside the store's
    /// write transaction, which no other thread or process runs at the same time.
    nonisolated(unsafe) private var lastWriter: (folder: String, index: VectorIndex)?

    /// Opens the store in folder `path`, creating it when missing (``Options/create``).
    ///
    /// Cost: a few system calls and mappings, whatever the store's size.
    /// - Parameters:
    ///   - embedder: the model for text; must be the one the store was created with (its name and
    ///     dimension are in the manifest). Pass nil to open without embedding (then give vectors).
    ///   - dimension: for a store created without an embedder, the vector length.
    /// - Throws: `.notAStore` (not a store, or damaged manifest), `.embedderMismatch`, and the engines' errors.
    public init(path: String, embedder: (any Embedder)?, dimension: Int? = nil, embedderName: String? = nil, options: Options = Options()) throws {
        self.path = path
        self.embedder = embedder
        self.options = options
        let manifestPath = path + "/manifest.json"
        if !FileManager.default.fileExists(atPath: manifestPath) {
            guard options.create else { throw MemoryError.notAStore(path: path, problem: "no manifest.json") }
            guard let dimension = embedder?.dimension ?? dimension else {
                throw MemoryError.invalidField("creating a store needs an embedder or a vector dimension.")
            }
            try Self.create(path: path, manifest: Manifest(embedder: embedder?.name ?? embedderName ?? "external-\(dimension)", dimension: dimension, elementType: options.elementType), options: options)
        }
        var manifest = try Manifest.read(folder: path)
        if let embedder {
            guard embedder.name == manifest.embedder, embedder.dimension == manifest.dimension else {
                throw MemoryError.embedderMismatch(store: "\(manifest.embedder) (\(manifest.dimension) dimensions)", given: "\(embedder.name) (\(embedder.dimension) dimensions)")
            }
        } else if let dimension, dimension != manifest.dimension {
            throw MemoryError.wrongDimension(expected: manifest.dimension, got: dimension)
        }
        store = try Self.engine {
            try MappedStore(path: path + "/store", options: MappedStore.Options(durability: options.durability, create: false))
        }
        if manifest.format < Manifest.currentFormat {
            // This build writes entries an older build cannot read (format 2: timeline entries
            // with the text document number); the new number makes older builds refuse the store.
            manifest.format = Manifest.currentFormat
            try manifest.write(folder: path)
        }
        self.manifest = manifest
    }

    /// The manifest of the store in folder `path` (embedder, dimension, element type), read without
    /// opening the store: what a tool needs to choose the embedder to open it with.
    ///
    /// Cost: reading one small file.
    /// - Throws: `.notAStore` when there is no readable, valid `manifest.json`.
    public static func manifest(at path: String) throws -> Manifest {
        try Manifest.read(folder: path)
    }

    /// Makes the folder: the vector index, the store with its trees, then the manifest (last: a
    /// folder with a manifest is a complete store).
    private static func create(path: String, manifest: Manifest, options: Options) throws {
        let manager = FileManager.default
        try? manager.createDirectory(atPath: path, withIntermediateDirectories: true)
        let known: Set<String> = ["store", "store-lock", "vectors-1", "manifest.json.new"]
        let present = (try? manager.contentsOfDirectory(atPath: path)) ?? []
        guard present.allSatisfy(known.contains) else {
            throw MemoryError.notAStore(path: path, problem: "the folder holds other files (\(present.filter { !known.contains($0) }.sorted().prefix(3).joined(separator: ", "))); choose an empty or new folder")
        }
        // Leftovers of a creation that crashed are remade.
        for name in present { try? manager.removeItem(atPath: path + "/" + name) }
        try engine {
            _ = try VectorIndex.create(at: path + "/vectors-1", configuration: IndexConfiguration(dimension: manifest.dimension, metric: .cosine, elementType: manifest.elementType, M: options.M, efConstruction: options.efConstruction))
            let store = try MappedStore(path: path + "/store")
            try store.write { tx in
                for tree in StoreLayout.allTrees { _ = try tx.createTree(tree) }
                try tx.put(StoreLayout.vectorFolderKey, Array("vectors-1".utf8), in: StoreLayout.meta)
                try tx.put(StoreLayout.vectorCountKey, StoreLayout.u64(0), in: StoreLayout.meta)
            }
        }
        try manifest.write(folder: path)
    }

    // MARK: Engines

    /// Runs `body`, turning the engines' errors into ``MemoryError/engine(_:)`` with their message
    /// (and a writer-lock timeout into ``MemoryError/writerTimeout(seconds:)``).
    static func engine<R>(_ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as MemoryError {
            throw error
        } catch let error as StoreError {
            if case .timedOut = error.reason { throw MemoryError.writerTimeout(seconds: 0) }
            throw MemoryError.engine("\(error)")
        } catch {
            throw MemoryError.engine("\(error)")
        }
    }

    /// A read transaction with the vector index its snapshot refers to.
    func reading<R>(_ body: (ReadTransaction, Snapshot) throws -> R) throws -> R {
        try Self.engine {
            try store.read { tx in
                let snapshot = try Snapshot(tx: tx, index: { try self.readerIndex(folder: $0) })
                return try body(tx, snapshot)
            }
        }
    }

    /// The index handle searches of `folder` use, opened once per process: read-only, or the
    /// writer's once this handle has written (see ``shareForReading(_:folder:)``).
    private func readerIndex(folder: String) throws -> VectorIndex {
        readerLock.lock()
        defer { readerLock.unlock() }
        if let index = readers[folder] { return index }
        let index = try VectorIndex(directory: path + "/" + folder, writable: false, maxCount: options.maxVectors)
        index.efSearch = options.efSearch
        readers = readers.filter { FileManager.default.fileExists(atPath: path + "/" + $0.key) }
        readers[folder] = index
        return index
    }

    /// Lets searches use the writer's handle of `folder` from now on, in place of a read-only
    /// one: the files are then mapped once in this process, not twice (two mappings of the same
    /// pages count twice in the resident set, and cost page tables twice). A handle searches
    /// while it writes, as another process's would; reads see only the slots their snapshot
    /// accounts for.
    private func shareForReading(_ index: VectorIndex, folder: String) {
        readerLock.lock()
        defer { readerLock.unlock() }
        guard readers[folder] !== index else { return }
        index.efSearch = options.efSearch
        readers[folder] = index
    }

    /// Runs `body` in the store's write transaction with the vector index open for writing.
    ///
    /// Order, so that a crash anywhere loses nothing committed: vector slots retired by earlier
    /// transactions are deleted in the index and the index synced; `body` runs; the index is
    /// synced (new vectors durable); then the store commits, recording how many slots it accounts for.
    func writing<R>(_ body: (Writer) throws -> R) throws -> R {
        let timeout = options.writerTimeout
        do {
            return try Self.engine {
                try store.write(timeout: timeout) { tx in
                    let folder = try Snapshot.vectorFolder(tx)
                    // The index stays mapped from one write to the next (opening it anew would
                    // map it again and fault in every page the next insertion walks); its
                    // writer lock is held only inside the transaction, as before.
                    let index: VectorIndex
                    if let last = lastWriter, last.folder == folder {
                        lastWriter = nil
                        try last.index.resumeWriting()
                        index = last.index
                    } else {
                        lastWriter = nil
                        index = try VectorIndex(directory: path + "/" + folder, writable: true, maxCount: options.maxVectors)
                    }
                    let writer = Writer(tx: tx, index: index, folder: folder)
                    do {
                        try writer.retirePending()
                        let result = try body(writer)
                        try writer.finish()
                        // Only after a write that went through: after a failure the handle is
                        // dropped, and the next write opens the index as it is on disk.
                        try index.suspendWriting()
                        lastWriter = (folder, index)
                        shareForReading(index, folder: folder)
                        return result
                    } catch {
                        // Searches may still use the handle: it lets go of the writer lock.
                        try? index.suspendWriting()
                        throw error
                    }
                }
            }
        } catch MemoryError.writerTimeout {
            let (seconds, attoseconds) = timeout.components
            throw MemoryError.writerTimeout(seconds: Double(seconds) + Double(attoseconds) / 1e18)
        }
    }

    /// Waits until everything committed so far is on disk (for ``Options/durability`` other than `.full`).
    public func sync() throws {
        try Self.engine { try store.sync() }
    }
}

/// What a read needs besides the transaction: the index and which of its slots are live.
struct Snapshot {
    let folder: String
    private let openIndex: (String) throws -> VectorIndex
    /// The index this snapshot names (opened on first use: timelines and state need none).
    var index: VectorIndex {
        get throws { try openIndex(folder) }
    }
    /// Slots below this are accounted for by the store; later ones are orphans of a crash.
    let accounted: UInt32
    /// Slots retired (memory forgotten or updated) but perhaps not yet deleted in the index.
    let pending: Set<UInt32>
    /// The earliest expiry time of any memory (ms), or nil when none expires.
    let earliestExpiry: Int64?

    init(tx: ReadTransaction, index open: @escaping (String) throws -> VectorIndex) throws {
        folder = try Self.vectorFolder(tx)
        openIndex = open
        accounted = UInt32(clamping: StoreLayout.u64(try tx.get(StoreLayout.vectorCountKey, in: StoreLayout.meta)))
        pending = Set(Self.slots(try tx.get(StoreLayout.pendingDeletesKey, in: StoreLayout.meta)))
        var earliest: Int64?
        try tx.scan(in: StoreLayout.expiry) { key, _ in
            earliest = StoreLayout.expiryTime(key)
            return false
        }
        earliestExpiry = earliest
    }

    static func vectorFolder(_ tx: ReadTransaction) throws -> String {
        guard let bytes = try tx.get(StoreLayout.vectorFolderKey, in: StoreLayout.meta), !bytes.isEmpty else {
            throw MemoryError.engine("the store does not name its vector index (meta/vectorFolder is missing); the store is damaged: run `mnemap check`.")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func slots(_ bytes: [UInt8]?) -> [UInt32] {
        guard let bytes else { return [] }
        return stride(from: 0, to: bytes.count - 3, by: 4).map { offset in
            UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
        }
    }

    static func encode(slots: [UInt32]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(slots.count * 4)
        for slot in slots { withUnsafeBytes(of: slot.littleEndian) { bytes.append(contentsOf: $0) } }
        return bytes
    }

    /// Whether slot `slot` may be returned at all (accounted for and not retired).
    func isLive(_ slot: UInt32) -> Bool { slot < accounted && !pending.contains(slot) }
}

/// The write transaction with the index open for writing (see ``MemoryStore/writing(_:)``).
final class Writer {
    let tx: WriteTransaction
    let index: VectorIndex
    let folder: String
    /// Slots retired in this transaction: deleted in the index by the next write.
    var retired: [UInt32] = []
    var indexChanged = false

    init(tx: WriteTransaction, index: VectorIndex, folder: String) {
        self.tx = tx
        self.index = index
        self.folder = folder
    }

    /// Deletes in the index the slots earlier transactions retired and the orphans of a crash, and
    /// syncs the index; the store forgets the list when this transaction commits.
    func retirePending() throws {
        let accounted = Int(StoreLayout.u64(try tx.get(StoreLayout.vectorCountKey, in: StoreLayout.meta)))
        guard index.count >= accounted else {
            throw MemoryError.engine("the vector index holds \(index.count) vectors but the store refers to \(accounted): the index lost committed vectors (was a file replaced?). Run `mnemap check`; `mnemap compact` rebuilds the index.")
        }
        var slots = Snapshot.slots(try tx.get(StoreLayout.pendingDeletesKey, in: StoreLayout.meta))
        slots += (accounted..<index.count).map { UInt32($0) }
        guard !slots.isEmpty else { return }
        for slot in slots where Int(slot) < index.count { try index.delete(slot) }
        try index.commit()
        _ = try tx.delete(StoreLayout.pendingDeletesKey, in: StoreLayout.meta)
        try tx.put(StoreLayout.vectorCountKey, StoreLayout.u64(UInt64(index.count)), in: StoreLayout.meta)
    }

    /// Adds vectors to the index; returns their slots.
    func addVectors(_ vectors: [[Float]]) throws -> [UInt32] {
        try addVectors(vectors) { _ in }.slots
    }

    /// Adds `vectors` to the index and runs `body` with their slots while other threads link
    /// them into the graph (``VectorIndex/add(contentsOf:whileLinking:)``). `body` must not
    /// write to the index.
    func addVectors<R>(_ vectors: [[Float]], whileLinking body: ([UInt32]) throws -> R) throws -> (slots: [UInt32], result: R) {
        guard !vectors.isEmpty else { return ([], try body([])) }
        indexChanged = true
        if vectors.count == 1 {
            let slot = try index.add(vectors[0])
            return ([slot], try body([slot]))
        }
        let (slots, result) = try index.add(contentsOf: vectors, whileLinking: body)
        return (slots, result)
    }

    /// Syncs the index, then records in the store which slots it accounts for and which are retired.
    func finish() throws {
        if indexChanged {
            try index.commit()
            try tx.put(StoreLayout.vectorCountKey, StoreLayout.u64(UInt64(index.count)), in: StoreLayout.meta)
        }
        if !retired.isEmpty {
            try tx.put(StoreLayout.pendingDeletesKey, Snapshot.encode(slots: retired), in: StoreLayout.meta)
        }
    }
}
