import Foundation
import MappedMemory

extension VectorIndex {
    /// Adds `vector` and returns its id (ids are 0, 1, 2, … in insertion order). Normalised first
    /// for cosine; quantised for Int8. Searchers see it as soon as this returns; it is durable
    /// after ``commit()``.
    ///
    /// Cost: an HNSW insertion, about `efConstruction · log(count)` distance computations.
    /// - Throws: `.readOnly`, `.wrongDimension`, `.notFinite`, `.system` when a file cannot grow.
    @discardableResult
    public func add(_ vector: [Float]) throws -> UInt32 {
        try writing {
            let prepared = try prepared(vector)
            let id = UInt32(storage.publishedCount)
            try ensureCapacity(for: Int(id) + 1)
            try markDirty()
            storage.store(prepared.floats, at: id)
            let level = randomLevel(for: id)
            let node = storage.node(id)
            node.initializeMemory(as: UInt8.self, repeating: 0, count: storage.nodeSize)
            node.storeBytes(of: UInt32(level), toByteOffset: 4, as: UInt32.self)
            node.storeBytes(of: UInt64(try allocateLinks(level: level)), toByteOffset: 8, as: UInt64.self)
            let visited = VisitedList()
            storage.insert(id, level: level, limit: Int(id), visited: visited)
            storage.word(IndexStorage.countOffset).store(UInt64(id) + 1, ordering: .releasing)
            return id
        }
    }

    /// Adds many vectors, on all cores; returns their ids (consecutive). Searchers see the whole
    /// batch at once when it is linked.
    ///
    /// Cost: the HNSW insertions, spread over the cores (nodes are linked in parallel, each list
    /// change under its node's lock, as in hnswlib).
    @discardableResult
    public func add(contentsOf vectors: [[Float]]) throws -> [UInt32] {
        try add(contentsOf: vectors, whileLinking: { _ in }).ids
    }

    /// Adds many vectors as ``add(contentsOf:)`` does, and runs `body` with their ids on the
    /// calling thread while other threads link them into the graph; the calling thread then
    /// helps link the rest. For work that needs the ids but not the graph (a caller writing
    /// records that point at the new ids), done in the time the linking takes anyway.
    ///
    /// `body` runs under this index's writer lock: it must not write to this index (it would
    /// wait for itself). When `body` throws, the vectors stay added and linked (as after
    /// ``add(contentsOf:)``), and its error is rethrown once the linking is done.
    ///
    /// Cost: as ``add(contentsOf:)``; `body` overlaps the linking (small batches, under 256
    /// vectors, are linked on the calling thread after `body`).
    public func add<R>(contentsOf vectors: [[Float]], whileLinking body: ([UInt32]) throws -> R) throws -> (ids: [UInt32], result: R) {
        try writing {
            let items = try vectors.map { try prepared($0).floats }
            guard !items.isEmpty else { return ([], try body([])) }
            let first = storage.publishedCount
            try ensureCapacity(for: first + items.count)
            try markDirty()
            var levels: [Int] = []
            for (offset, vector) in items.enumerated() {
                let id = UInt32(first + offset)
                storage.store(vector, at: id)
                let level = randomLevel(for: id)
                let node = storage.node(id)
                node.initializeMemory(as: UInt8.self, repeating: 0, count: storage.nodeSize)
                node.storeBytes(of: UInt32(level), toByteOffset: 4, as: UInt32.self)
                node.storeBytes(of: UInt64(try allocateLinks(level: level)), toByteOffset: 8, as: UInt64.self)
                levels.append(level)
            }
            let limit = first + items.count
            let ids = (first..<limit).map { UInt32($0) }
            let result: Result<R, any Error>
            let cores = ProcessInfo.processInfo.activeProcessorCount
            if items.count < 256 || cores == 1 {
                result = Result { try body(ids) }
                let visited = VisitedList()
                for offset in 0..<items.count {
                    storage.insert(UInt32(first + offset), level: levels[offset], limit: first + offset, visited: visited)
                }
            } else {
                let locks = StripedLocks()
                let next = ManagedCounter(first)
                let levels = levels
                let storage = storage
                let link: @Sendable () -> Void = {
                    let visited = VisitedList()
                    while true {
                        let id = next.take()
                        guard id < limit else { return }
                        storage.insert(UInt32(id), level: levels[id - first], limit: limit, visited: visited, locks: locks)
                    }
                }
                let helpers = DispatchGroup()
                for _ in 0..<(cores - 1) { DispatchQueue.global().async(group: helpers, execute: link) }
                result = Result { try body(ids) }
                link()
                helpers.wait()
            }
            storage.word(IndexStorage.countOffset).store(UInt64(limit), ordering: .releasing)
            return (ids, try result.get())
        }
    }

    /// Marks `id` deleted: searches skip it from now on (the graph still routes through it until
    /// the index is rebuilt). Durable after ``commit()``.
    public func delete(_ id: UInt32) throws {
        try writing {
            guard Int(id) < storage.publishedCount else { throw VectorIndexError(path: directory, reason: .unknownID(id)) }
            guard !storage.isDeleted(id) else { return }
            try markDirty()
            storage.setDeleted(id)
            storage.word(IndexStorage.deletedOffset).wrappingIncrement(ordering: .relaxed)
        }
    }

    /// Replaces the vector of `id`: the old id is deleted and the new vector added; returns its new id.
    public func update(_ id: UInt32, to vector: [Float]) throws -> UInt32 {
        _ = try prepared(vector)
        try delete(id)
        return try add(vector)
    }

    /// Vectors marked deleted.
    public var deletedCount: Int { Int(storage.word(IndexStorage.deletedOffset).load(ordering: .relaxed)) }

    /// Makes every add and delete so far durable: syncs the vectors, then the graph and its
    /// upper-layer links, then the header with the durable count. Survives power loss once it returns.
    public func commit() throws {
        try writing {
            let count = storage.publishedCount
            do {
                try storage.vectors.flush(range: 0..<(IndexStorage.headerSize + count * storage.stride))
                try storage.graph.flush(range: 0..<(IndexStorage.headerSize + count * storage.nodeSize))
                try storage.links.flush(range: 0..<linksUsed)
                storage.word(IndexStorage.durableOffset).store(UInt64(count), ordering: .releasing)
                storage.word(IndexStorage.dirtyOffset).store(0, ordering: .releasing)
                try storage.vectors.flush(range: 0..<IndexStorage.headerSize)
            } catch let error as MappedMemoryError {
                throw VectorIndexError.wrap(error, path: directory)
            }
            dirtyFlag = false
        }
    }

    // MARK: Internals

    func writing<R>(_ body: () throws -> R) throws -> R {
        guard storage.writable else { throw VectorIndexError(path: directory, reason: .readOnly) }
        return try writeLock.withLock {
            guard holdsWriterLock else { throw VectorIndexError(path: directory, reason: .readOnly) }
            return try body()
        }
    }

    /// Lets go of the writer lock and keeps the files mapped: another handle or process may
    /// write until ``resumeWriting()``; meanwhile this handle searches but does not write
    /// (writes throw `.readOnly`). Commit first: what is not committed stays as a crash would
    /// leave it, and the next writer repairs it.
    ///
    /// For a process that writes now and then while others write too: resuming costs a few
    /// system calls, where opening the index anew maps it again and faults in every page the
    /// next insertion walks.
    /// - Throws: `.readOnly` for a read-only handle; `.system` when the lock cannot be released.
    public func suspendWriting() throws {
        guard storage.writable, writerLock != nil else { throw VectorIndexError(path: directory, reason: .readOnly) }
        try writeLock.withLock {
            guard holdsWriterLock else { return }
            do { try writerLock?.unlock(range: 0..<1) } catch let error as MappedMemoryError { throw VectorIndexError.wrap(error, path: directory) }
            holdsWriterLock = false
        }
    }

    /// Takes the writer lock again after ``suspendWriting()`` and catches up with the files as
    /// other writers left them: checked as opening checks them, and repaired as opening repairs
    /// them when a writer died or a power loss came in between.
    ///
    /// Cost: a few system calls (a repair reads the graph once, as opening would).
    /// - Throws: `.writerExists` when another handle or process writes now; `.readOnly`; the
    ///   errors of opening (a damaged or truncated index).
    public func resumeWriting() throws {
        guard storage.writable, writerLock != nil else { throw VectorIndexError(path: directory, reason: .readOnly) }
        try writeLock.withLock {
            guard !holdsWriterLock else { return }
            do {
                guard try writerLock?.tryLock(.exclusive, range: 0..<1) ?? false else { throw VectorIndexError(path: directory, reason: .writerExists) }
            } catch let error as MappedMemoryError {
                throw VectorIndexError.wrap(error, path: directory)
            }
            holdsWriterLock = true
        }
        do {
            try validateSizes()
            // What the header says now, not what this handle last wrote: another writer may
            // have committed (clean) or died (dirty) since.
            dirtyFlag = false
            try recover()
        } catch {
            try? suspendWriting()
            throw error
        }
    }

    /// Records, durably, that the files are about to change: after a power loss before the next
    /// commit, opening knows to repair.
    func markDirty() throws {
        guard !dirtyFlag else { return }
        let header = storage.vectorsBase
        for (index, byte) in BootIdentity.current.enumerated() { header.storeBytes(of: byte, toByteOffset: IndexStorage.bootOffset + index, as: UInt8.self) }
        storage.word(IndexStorage.dirtyOffset).store(1, ordering: .releasing)
        do {
            try storage.vectors.flush(range: 0..<IndexStorage.headerSize)
        } catch {
            throw VectorIndexError.wrap(error, path: directory)
        }
        dirtyFlag = true
    }

    var linksUsed: Int { storage.linksUsed }

    /// A node's level: ⌊−ln(U) · mL⌋ with mL = 1 / ln(M), as in the paper. U is derived from the
    /// id by a hash, so building the same vectors gives the same graph.
    func randomLevel(for id: UInt32) -> Int {
        var z = UInt64(id) &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        let uniform = max(Double(z >> 11) / Double(1 << 53), Double.ulpOfOne)
        let level = Int(-log(uniform) / log(Double(configuration.M)))
        return min(level, IndexStorage.maxLevel)
    }

    /// Space in `links` for the upper-layer lists of a node of `level`; 0 for level 0.
    func allocateLinks(level: Int) throws -> Int {
        guard level > 0 else { return 0 }
        let size = level * (1 + configuration.M) * 4
        let offset = linksUsed
        guard offset + size <= storage.links.count else {
            throw VectorIndexError(path: directory + "/links", reason: .invalidConfiguration("the links reservation is full; reopen with a larger maxCount."))
        }
        try grow(directory + "/links", to: offset + size, step: 1 << 20)
        (storage.linksBase + offset).initializeMemory(as: UInt8.self, repeating: 0, count: size)
        storage.word(IndexStorage.linksUsedOffset).store(UInt64(offset + size), ordering: .releasing)
        return offset
    }

    func ensureCapacity(for count: Int) throws {
        guard count <= storage.maxCount else {
            throw VectorIndexError(path: directory, reason: .invalidConfiguration("the index holds at most \(storage.maxCount) vectors as opened; reopen with a larger maxCount."))
        }
        try grow(storage.vectorsPath, to: IndexStorage.headerSize + count * storage.stride, step: 1024 * storage.stride)
        try grow(directory + "/graph", to: IndexStorage.headerSize + count * storage.nodeSize, step: 1024 * storage.nodeSize)
    }

    /// Grows a file (blocks allocated) so that it holds `size` bytes, in steps of an eighth of its
    /// size (at least `step`): few enough growths, at most 12.5% of the disk space unused.
    func grow(_ path: String, to size: Int, step: Int) throws {
        let known = fileSizes[path] ?? 0
        guard size > known else { return }
        do {
            let file = try SystemFile(path: path)
            let current = Int(try file.size())
            if current < size {
                try file.grow(to: Int64(max(size, current + max(step, current / 8))))
            }
            fileSizes[path] = Int(try file.size())
        } catch {
            throw VectorIndexError.wrap(error, path: path)
        }
    }

    // MARK: Recovery

    /// After a crash: a crash of processes only (same boot) left everything published intact in
    /// the page cache; after a power loss, only what the last commit made durable is trusted,
    /// and graph lists are cleaned of links to anything newer.
    func recover() throws {
        guard storage.word(IndexStorage.dirtyOffset).load(ordering: .acquiring) != 0 else { return }
        let boot = (0..<16).map { storage.vectorsBase.load(fromByteOffset: IndexStorage.bootOffset + $0, as: UInt8.self) }
        if !BootIdentity.isCurrent(boot) {
            let durable = storage.durableCount
            storage.word(IndexStorage.countOffset).store(UInt64(durable), ordering: .releasing)
        }
        // Same boot: every published node is complete, but a writer killed mid-insert left reverse
        // links to nodes it never published, and maybe the entry point on one. Either way the
        // lists are cleaned of links past the count and the entry point recomputed (one pass).
        repairGraph(count: storage.publishedCount)
        dirtyFlag = true
        try commit()
    }

    /// Removes links to nodes at or past `count` and impossible list lengths; fixes the entry point.
    func repairGraph(count: Int) {
        var best: (id: UInt32, level: Int)?
        var deleted: UInt64 = 0
        for index in 0..<count {
            let id = UInt32(index)
            var level = storage.level(id)
            if level > IndexStorage.maxLevel {
                level = 0
                storage.node(id).storeBytes(of: UInt32(0), toByteOffset: 4, as: UInt32.self)
            }
            if storage.isDeleted(id) { deleted += 1 }
            for layer in 0...level {
                guard storage.list(id, layer: layer) != nil else { continue }
                storage.setNeighbors(id, layer: layer, storage.neighbors(id, layer: layer, limit: count).filter { $0 != id })
            }
            if best == nil || level > best!.level { best = (id, level) }
        }
        if let best { storage.setEntry(best.id, level: best.level) } else { storage.word(IndexStorage.entryOffset).store(0, ordering: .releasing) }
        storage.word(IndexStorage.deletedOffset).store(deleted, ordering: .relaxed)
    }
}

/// A counter shared by the threads of a parallel build.
final class ManagedCounter: @unchecked Sendable {
    private var value: Int
    private let lock = ThreadLock()
    init(_ value: Int) { self.value = value }
    func take() -> Int { lock.withLock { defer { value += 1 }; return value } }
}
