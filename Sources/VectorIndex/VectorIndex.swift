import CMnemapShims
import Foundation
import MappedMemory

/// One search result: the vector's id and how near it is.
public struct SearchResult: Sendable, Equatable {
    /// The id `add` returned.
    public var id: UInt32
    /// Cosine similarity (cosine), dot product (inner product), or squared distance (L2).
    public var score: Float
    /// The distance the index ranks by (lower is nearer): 1 − score for cosine and inner
    /// product, the score itself for L2.
    public var distance: Float
}

/// Which ids a filtered search may return.
public enum SearchFilter {
    /// Only these ids. Small sets are searched exactly (recall never collapses).
    case allow(Set<UInt32>)
    /// The ids for which the predicate is true.
    case predicate((UInt32) -> Bool)
}

/// Nearest-neighbour search over memory-mapped vectors: exact (flat) search and HNSW.
///
/// Opening is mapping: O(1) in the index size; nothing is read until a search touches it.
/// One process writes (`writable: true`, exclusive across processes) while any number of
/// processes search the same files: a searcher sees a prefix of the inserts (a published
/// count, release/acquire), never an invalid id or a torn list.
///
/// Durability: ``commit()`` syncs the vectors, then the graph, then the header with the count
/// up to which everything is durable. After a power loss the index reopens at the last commit.
public final class VectorIndex: @unchecked Sendable {
    public let directory: String
    public let configuration: IndexConfiguration
    let storage: IndexStorage
    let writerLock: FileLock?
    let writeLock = ThreadLock()
    /// Whether this handle holds the writer lock now (see ``suspendWriting()``). Guarded by `writeLock`.
    var holdsWriterLock = false
    private let visitedPool = VisitedPool()
    /// Whether the header says "changed since the last commit" (durably).
    var dirtyFlag = false
    /// File sizes known to this writer (to grow without asking the system each time).
    var fileSizes: [String: Int] = [:]
    /// HNSW: candidate list size while searching (at least k). The default reaches recall@10 of
    /// about 0.98 on 384-dimensional sentence embeddings with M = 16.
    public var efSearch = 96

    // MARK: Opening

    /// Creates an index in `directory` (created if missing; must not hold an index yet).
    /// - Parameter maxCount: vectors the address-space reservation holds (no memory is used).
    public static func create(at directory: String, configuration: IndexConfiguration, maxCount: Int = 1 << 24) throws -> VectorIndex {
        try configuration.validate(path: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let vectorsPath = directory + "/vectors"
        guard !FileManager.default.fileExists(atPath: vectorsPath) else {
            throw VectorIndexError(path: vectorsPath, reason: .invalidConfiguration("an index already exists here; open it instead."))
        }
        do {
            for (name, magic) in [("graph", IndexStorage.graphMagic), ("links", IndexStorage.linksMagic), ("vectors", IndexStorage.vectorsMagic)] {
                let file = try SystemFile(path: directory + "/" + name + ".new", create: true)
                try file.grow(to: Int64(IndexStorage.headerSize))
                var header = [UInt8](repeating: 0, count: IndexStorage.headerSize)
                header.withUnsafeMutableBytes { raw in
                    raw.storeBytes(of: magic, toByteOffset: 0, as: UInt64.self)
                    raw.storeBytes(of: IndexStorage.version, toByteOffset: 8, as: UInt32.self)
                    raw.storeBytes(of: UInt32(configuration.dimension), toByteOffset: 12, as: UInt32.self)
                    raw.storeBytes(of: configuration.metric.rawValue, toByteOffset: 16, as: UInt32.self)
                    raw.storeBytes(of: configuration.elementType.rawValue, toByteOffset: 20, as: UInt32.self)
                    raw.storeBytes(of: UInt32(configuration.stride), toByteOffset: 24, as: UInt32.self)
                    raw.storeBytes(of: UInt32(configuration.M), toByteOffset: 28, as: UInt32.self)
                    raw.storeBytes(of: UInt32(configuration.efConstruction), toByteOffset: 32, as: UInt32.self)
                    let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<36]))
                    raw.storeBytes(of: crc, toByteOffset: 36, as: UInt32.self)
                    if name == "links" { raw.storeBytes(of: UInt64(IndexStorage.headerSize), toByteOffset: 40, as: UInt64.self) }
                }
                try header.withUnsafeBytes { try file.write($0, at: 0) }
                try file.synchronize(.full)
            }
            // The vectors file, renamed last, is what makes the folder an index.
            for name in ["graph", "links", "vectors"] {
                guard rename(directory + "/" + name + ".new", directory + "/" + name) == 0 else {
                    throw MappedMemoryError.system("rename", path: directory + "/" + name, errno: errno)
                }
            }
            try DirectorySync.synchronize(path: directory)
        } catch let error as MappedMemoryError {
            throw VectorIndexError.wrap(error, path: directory)
        }
        return try VectorIndex(directory: directory, writable: true, maxCount: maxCount)
    }

    /// Opens the index in `directory`. With `writable`, this process becomes its one writer
    /// (another writer gives `.writerExists`) and repairs what a crash left unfinished.
    ///
    /// Cost: a few system calls, whatever the index size (recovery after a power loss scans the graph once).
    public init(directory: String, writable: Bool = false, maxCount: Int = 1 << 24) throws {
        self.directory = directory
        let vectorsPath = directory + "/vectors"
        let header = try Self.readHeader(vectorsPath)
        configuration = header
        var lock: FileLock?
        if writable {
            do {
                let candidate = try FileLock(path: directory + "/lock")
                guard try candidate.tryLock(.exclusive, range: 0..<1) else { throw VectorIndexError(path: directory, reason: .writerExists) }
                lock = consume candidate
            } catch let error as MappedMemoryError {
                throw VectorIndexError.wrap(error, path: directory)
            }
        }
        writerLock = lock.take()
        holdsWriterLock = writerLock != nil
        let mode: MappedFile.Mode = writable ? .readWrite : .readOnly
        let nodeSize = 16 + 4 * header.M0
        do {
            let vectors = try MappedFile(path: vectorsPath, mode: mode, length: IndexStorage.headerSize + maxCount * header.stride, options: .pastEndOfFile)
            let graph = try MappedFile(path: directory + "/graph", mode: mode, length: IndexStorage.headerSize + maxCount * nodeSize, options: .pastEndOfFile)
            let links = try MappedFile(path: directory + "/links", mode: mode, length: IndexStorage.headerSize + maxCount / 4 * (1 + header.M) * 4 * 4, options: .pastEndOfFile)
            storage = IndexStorage(directory: directory, configuration: header, vectors: vectors, graph: graph, links: links, writable: writable)
        } catch let error as MappedMemoryError {
            throw VectorIndexError.wrap(error, path: directory)
        }
        try validateSizes()
        if writable { try recover() }
    }

    /// Reads and validates the configuration in the header of `vectors`.
    private static func readHeader(_ path: String) throws -> IndexConfiguration {
        var header = [UInt8](repeating: 0, count: 64)
        do {
            let file = try SystemFile(path: path, readOnly: true)
            let read = try header.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }
            guard read == 64 else { throw VectorIndexError(path: path, reason: .notAnIndex) }
        } catch let error as MappedMemoryError {
            throw VectorIndexError.wrap(error, path: path)
        }
        return try header.withUnsafeBytes { raw in
            guard raw.load(fromByteOffset: 0, as: UInt64.self) == IndexStorage.vectorsMagic else { throw VectorIndexError(path: path, reason: .notAnIndex) }
            let version = raw.load(fromByteOffset: 8, as: UInt32.self)
            guard version == IndexStorage.version else { throw VectorIndexError(path: path, reason: .unsupportedVersion(version)) }
            guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<36])) == raw.load(fromByteOffset: 36, as: UInt32.self) else {
                throw VectorIndexError(path: path, reason: .corruptHeader("checksum mismatch"))
            }
            guard let metric = Metric(rawValue: raw.load(fromByteOffset: 16, as: UInt32.self)),
                  let type = ElementType(rawValue: raw.load(fromByteOffset: 20, as: UInt32.self)) else {
                throw VectorIndexError(path: path, reason: .corruptHeader("unknown metric or element type"))
            }
            let configuration = IndexConfiguration(
                dimension: Int(raw.load(fromByteOffset: 12, as: UInt32.self)), metric: metric, elementType: type,
                M: Int(raw.load(fromByteOffset: 28, as: UInt32.self)), efConstruction: Int(raw.load(fromByteOffset: 32, as: UInt32.self))
            )
            do { try configuration.validate(path: path) } catch let error as VectorIndexError { throw VectorIndexError(path: path, reason: .corruptHeader("\(error.reason)")) }
            guard Int(raw.load(fromByteOffset: 24, as: UInt32.self)) == configuration.stride else {
                throw VectorIndexError(path: path, reason: .corruptHeader("stride"))
            }
            return configuration
        }
    }

    /// The files must hold every published slot, and the other files must be this index's.
    func validateSizes() throws {
        // Read the header words before the file sizes: a live writer grows a file before it
        // raises the word that says how much of it is used, so sizes read later are never short.
        let count = storage.publishedCount
        let linksUsed = Int(truncatingIfNeeded: storage.word(IndexStorage.linksUsedOffset).load(ordering: .acquiring))
        let entry = storage.entry
        guard count >= 0, count <= storage.maxCount, storage.durableCount <= count else {
            throw VectorIndexError(path: storage.vectorsPath, reason: .corruptHeader("count \(count)"))
        }
        let sizes = try ["vectors", "graph", "links"].map { name -> Int64 in
            let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/" + name)
            return (attributes[.size] as? NSNumber)?.int64Value ?? 0
        }
        guard sizes[0] >= Int64(IndexStorage.headerSize + count * storage.stride) else {
            throw VectorIndexError(path: storage.vectorsPath, reason: .corrupt("the vectors file is shorter than its \(count) vectors (truncated)"))
        }
        guard sizes[1] >= Int64(IndexStorage.headerSize + count * storage.nodeSize) else {
            throw VectorIndexError(path: directory + "/graph", reason: .corrupt("the graph file is shorter than its \(count) nodes (truncated)"))
        }
        guard linksUsed == 0 || (linksUsed >= IndexStorage.headerSize && Int64(linksUsed) <= sizes[2]) else {
            throw VectorIndexError(path: directory + "/links", reason: .corrupt("the links file is shorter than its \(linksUsed) bytes in use (truncated)"))
        }
        guard storage.graphBase.load(as: UInt64.self) == IndexStorage.graphMagic else { throw VectorIndexError(path: directory + "/graph", reason: .notAnIndex) }
        guard storage.linksBase.load(as: UInt64.self) == IndexStorage.linksMagic else { throw VectorIndexError(path: directory + "/links", reason: .notAnIndex) }
        // The entry point may name a node a live writer is about to publish, but never one
        // outside the files.
        let slots = min((sizes[0] - Int64(IndexStorage.headerSize)) / Int64(storage.stride), (sizes[1] - Int64(IndexStorage.headerSize)) / Int64(storage.nodeSize))
        if let entry, Int64(entry.id) >= slots || entry.level > IndexStorage.maxLevel {
            throw VectorIndexError(path: storage.vectorsPath, reason: .corruptHeader("entry point \(entry.id) on layer \(entry.level)"))
        }
    }

    // MARK: Reading

    /// Vectors in the index (deleted ones included: ids are slots).
    public var count: Int { storage.publishedCount }

    /// The stored vector of `id` (dequantised for Int8).
    public func vector(_ id: UInt32) throws -> [Float] {
        guard Int(id) < count else { throw VectorIndexError(path: directory, reason: .unknownID(id)) }
        return storage.vector(id)
    }

    /// Whether `id` was deleted.
    public func isDeleted(_ id: UInt32) -> Bool { Int(id) < count && storage.isDeleted(id) }

    func prepared(_ vector: [Float]) throws -> PreparedQuery {
        guard vector.count == configuration.dimension else {
            throw VectorIndexError(path: directory, reason: .wrongDimension(expected: configuration.dimension, got: vector.count))
        }
        guard vector.allSatisfy(\.isFinite) else { throw VectorIndexError(path: directory, reason: .notFinite) }
        return storage.prepare(configuration.metric == .cosine ? Self.normalized(vector) : vector)
    }

    static func normalized(_ vector: [Float]) -> [Float] {
        let norm = vector.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        // A vector that is already unit length (one read back from an index) is kept bit for bit.
        return norm > 0 && abs(norm - 1) > 1e-6 ? vector.map { $0 / norm } : vector
    }

    func result(_ item: (distance: Float, id: UInt32)) -> SearchResult {
        SearchResult(id: item.id, score: configuration.metric == .l2 ? item.distance : 1 - item.distance, distance: item.distance)
    }

    /// The `k` nearest vectors by HNSW, nearest first (approximate; see ``exactSearch(_:k:filter:)``).
    ///
    /// Cost: about `efSearch · log(count)` distance computations; reads only the nodes it visits.
    /// - Throws: `.wrongDimension`, `.notFinite`.
    public func search(_ query: [Float], k: Int, filter: SearchFilter? = nil) throws -> [SearchResult] {
        let prepared = try prepared(query)
        let limit = count
        guard k > 0, limit > 0, var entry = storage.entry else { return [] }
        // The writer sets a new top node as the entry point just before publishing it: until then,
        // start from node 0.
        if Int(entry.id) >= limit { entry = (0, min(storage.level(0), IndexStorage.maxLevel)) }
        if case .allow(let allowed) = filter, allowed.count <= max(k * 20, limit / 50) {
            return exact(prepared, k: k, limit: limit, accept: { allowed.contains($0) })
        }
        // Without a filter and without deletes, every node may be returned: no check per candidate.
        var accept: ((UInt32) -> Bool)? = deletedCount == 0 ? nil : { !self.storage.isDeleted($0) }
        switch filter {
        case .allow(let allowed): accept = { allowed.contains($0) && !self.storage.isDeleted($0) }
        case .predicate(let predicate): accept = { predicate($0) && !self.storage.isDeleted($0) }
        case nil: break
        }
        let visited = visitedPool.take()
        defer { visitedPool.give(visited) }
        let start = storage.greedyDescent(prepared, from: entry, to: 0, limit: limit)
        let found = storage.searchLayer(prepared, entries: [start], ef: max(efSearch, k), layer: 0, limit: limit, visited: visited, accept: accept)
        return found.sortedAscending().prefix(k).map(result)
    }

    /// Searches many queries at once, on all cores.
    public func search(_ queries: [[Float]], k: Int, filter: SearchFilter? = nil) throws -> [[SearchResult]] {
        nonisolated(unsafe) let filter = filter
        let results = ResultSlots<Result<[SearchResult], any Error>>(count: queries.count)
        DispatchQueue.concurrentPerform(iterations: queries.count) { index in
            results.set(index, Result { try self.search(queries[index], k: k, filter: filter) })
        }
        return try results.values.map { try $0!.get() }
    }

    /// The exact `k` nearest vectors (a scan of every vector, on all cores), nearest first.
    public func exactSearch(_ query: [Float], k: Int, filter: SearchFilter? = nil) throws -> [SearchResult] {
        let prepared = try prepared(query)
        var accept: (UInt32) -> Bool = { _ in true }
        switch filter {
        case .allow(let allowed): accept = { allowed.contains($0) }
        case .predicate(let predicate): accept = predicate
        case nil: break
        }
        return exact(prepared, k: k, limit: count, accept: accept)
    }

    /// The exact `k` nearest among `ids` (each once; deleted and unknown ids skipped), nearest
    /// first: for a filter that keeps few vectors, when the caller already knows which.
    ///
    /// Cost: one distance computation per id, on all cores from 4,096 ids; reads only those
    /// vectors, in file order (ids not in ascending order are sorted first: O(n log n)).
    /// - Throws: `.wrongDimension`, `.notFinite`.
    public func exactSearch(_ query: [Float], k: Int, among ids: [UInt32]) throws -> [SearchResult] {
        let prepared = try prepared(query)
        let limit = count
        guard k > 0, !ids.isEmpty else { return [] }
        // Each id once, in file order (reads that go forward, which the hardware prefetcher follows).
        var ids = ids
        if !zip(ids, ids.dropFirst()).allSatisfy({ $0 < $1 }) {
            ids.sort()
            var kept = 0
            for position in ids.indices where position == 0 || ids[position] != ids[kept - 1] {
                ids[kept] = ids[position]
                kept += 1
            }
            ids.removeLast(ids.count - kept)
        }
        // The ids are usually scattered over the file (a namespace's memories among all the
        // others): each vector is a cache miss, so the next ones are prefetched while one is
        // compared, and large lists are split over the cores.
        let ahead = 4
        let prefetchBytes = min(storage.stride, IndexStorage.prefetchBytes)
        return ids.withUnsafeBufferPointer { buffer in
            nonisolated(unsafe) let ids = buffer
            return nearest(k: k, over: ids.count, parallel: true) { positions, heap in
                for position in positions.lowerBound..<min(positions.lowerBound + ahead, positions.upperBound) where Int(ids[position]) < limit {
                    mnemap_prefetch(storage.slot(ids[position]), prefetchBytes)
                }
                for position in positions {
                    if position + ahead < positions.upperBound, Int(ids[position + ahead]) < limit {
                        mnemap_prefetch(storage.slot(ids[position + ahead]), prefetchBytes)
                        mnemap_prefetch(storage.node(ids[position + ahead]), 64)
                    }
                    let id = ids[position]
                    guard Int(id) < limit, !storage.isDeleted(id) else { continue }
                    heap.offer(storage.distance(prepared, id), id, keeping: k)
                }
            }
        }
    }

    /// The exact `k` nearest vectors of each query, queries spread over the cores.
    public func exactSearch(_ queries: [[Float]], k: Int) throws -> [[SearchResult]] {
        let prepared = try queries.map { try self.prepared($0) }
        let limit = count
        let results = ResultSlots<[SearchResult]>(count: queries.count)
        DispatchQueue.concurrentPerform(iterations: queries.count) { index in
            results.set(index, self.exact(prepared[index], k: k, limit: limit, accept: { _ in true }, parallel: false))
        }
        return results.values.map { $0! }
    }

    private func exact(_ query: PreparedQuery, k: Int, limit: Int, accept: @escaping (UInt32) -> Bool, parallel: Bool = true) -> [SearchResult] {
        nonisolated(unsafe) let accept = accept
        return nearest(k: k, over: limit, parallel: parallel) { ids, heap in
            for index in ids {
                let id = UInt32(index)
                guard !storage.isDeleted(id), accept(id) else { continue }
                heap.offer(storage.distance(query, id), id, keeping: k)
            }
        }
    }

    /// The `k` nearest of what `scan` offers its heap over `0..<count`: one part on this thread,
    /// or (`parallel`, from 4,096) a part per core, the parts' heaps merged.
    private func nearest(k: Int, over count: Int, parallel: Bool, _ scan: @Sendable (Range<Int>, inout DistanceHeap) -> Void) -> [SearchResult] {
        guard k > 0, count > 0 else { return [] }
        let parts = count < 4096 || !parallel ? 1 : ProcessInfo.processInfo.activeProcessorCount
        let heaps = ResultSlots<DistanceHeap>(count: parts)
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            var heap = DistanceHeap(maxOnTop: true, capacity: k + 1)
            scan((count * part / parts)..<(count * (part + 1) / parts), &heap)
            heaps.set(part, heap)
        }
        var merged = DistanceHeap(maxOnTop: true, capacity: k + 1)
        for heap in heaps.values {
            for item in heap!.items { merged.offer(item.distance, item.id, keeping: k) }
        }
        return merged.sortedAscending().map(result)
    }
}

/// Results written by concurrent workers, one slot each.
final class ResultSlots<Value>: @unchecked Sendable {
    private(set) var values: [Value?]
    private let lock = ThreadLock()
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: Value) { lock.withLock { values[index] = value } }
}
