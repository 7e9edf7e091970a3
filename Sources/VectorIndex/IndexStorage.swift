import Atomics
import CMnemapShims
import MappedMemory

/// The files of an index and their layout (see `docs/vector-index-format.md`):
///
/// - `vectors`: a 4096-byte header (configuration, published count, entry point, durable
///   count), then slot *i* at `4096 + i·stride`: the stored vector (int8: its scale, then the bytes).
/// - `graph`: a 4096-byte header, then node *i* at `4096 + i·nodeSize`: count (UInt32), level and
///   flags (UInt32), offset of its upper-layer lists in `links` (UInt64), then 2·M neighbour ids.
/// - `links`: a 4096-byte header, then, per node above layer 0, for each layer 1…L: count, M ids.
///
/// Every file is mapped with address space reserved past its end, so the writer grows them
/// and other processes see the new space without remapping.
final class IndexStorage: @unchecked Sendable {
    static let headerSize = 4096
    static let vectorsMagic: UInt64 = 0x4156_5041_4D45_4E4D  // "MNEMAPVA"
    static let graphMagic: UInt64 = 0x4748_5041_4D45_4E4D    // "MNEMAPHG"
    static let linksMagic: UInt64 = 0x4B4C_5041_4D45_4E4D    // "MNEMAPLK"
    static let version: UInt32 = 1
    static let maxLevel = 31

    // Header offsets in `vectors`.
    static let countOffset = 64
    static let durableOffset = 72
    static let entryOffset = 80
    static let linksUsedOffset = 88
    static let dirtyOffset = 96
    static let deletedOffset = 104
    static let bootOffset = 112

    let directory: String
    let configuration: IndexConfiguration
    let vectors: MappedFile
    let graph: MappedFile
    let links: MappedFile
    let vectorsBase: UnsafeMutableRawPointer
    let graphBase: UnsafeMutableRawPointer
    let linksBase: UnsafeMutableRawPointer
    let stride: Int
    let nodeSize: Int
    let writable: Bool
    /// Slots the reservation can hold.
    let maxCount: Int

    var vectorsPath: String { directory + "/vectors" }

    init(directory: String, configuration: IndexConfiguration, vectors: consuming MappedFile, graph: consuming MappedFile, links: consuming MappedFile, writable: Bool) {
        self.directory = directory
        self.configuration = configuration
        stride = configuration.stride
        nodeSize = 16 + 4 * configuration.M0
        vectorsBase = vectors.unsafeBaseAddress!
        graphBase = graph.unsafeBaseAddress!
        linksBase = links.unsafeBaseAddress!
        maxCount = min((vectors.count - Self.headerSize) / stride, (graph.count - Self.headerSize) / nodeSize)
        self.vectors = vectors
        self.graph = graph
        self.links = links
        self.writable = writable
    }

    // MARK: Header words

    func word(_ offset: Int) -> UnsafeAtomic<UInt64> {
        UnsafeAtomic<UInt64>(at: (vectorsBase + offset).assumingMemoryBound(to: UInt64.AtomicRepresentation.self))
    }

    /// Published slots: readers see exactly these (acquire).
    var publishedCount: Int { Int(truncatingIfNeeded: word(Self.countOffset).load(ordering: .acquiring)) }
    var durableCount: Int { Int(truncatingIfNeeded: word(Self.durableOffset).load(ordering: .acquiring)) }

    /// The entry point and the top layer, one word: (level << 48) | (id + 1); 0 when empty.
    var entry: (id: UInt32, level: Int)? {
        let value = word(Self.entryOffset).load(ordering: .acquiring)
        guard value != 0 else { return nil }
        return (UInt32(truncatingIfNeeded: (value & 0xFFFF_FFFF_FFFF) - 1), Int(value >> 48))
    }

    func setEntry(_ id: UInt32, level: Int) {
        word(Self.entryOffset).store(UInt64(level) << 48 | UInt64(id + 1), ordering: .releasing)
    }

    // MARK: Vectors

    @inline(__always)
    func slot(_ id: UInt32) -> UnsafeMutableRawPointer {
        vectorsBase + Self.headerSize + Int(id) * stride
    }

    // MARK: Graph nodes

    @inline(__always)
    func node(_ id: UInt32) -> UnsafeMutableRawPointer {
        graphBase + Self.headerSize + Int(id) * nodeSize
    }

    @inline(__always)
    func u32(_ pointer: UnsafeMutableRawPointer) -> UnsafeAtomic<UInt32> {
        UnsafeAtomic<UInt32>(at: pointer.assumingMemoryBound(to: UInt32.AtomicRepresentation.self))
    }

    func level(_ id: UInt32) -> Int { Int(u32(node(id) + 4).load(ordering: .relaxed) & 0xFF) }

    func isDeleted(_ id: UInt32) -> Bool { u32(node(id) + 4).load(ordering: .relaxed) & 0x100 != 0 }

    func setDeleted(_ id: UInt32) {
        let flags = u32(node(id) + 4)
        flags.store(flags.load(ordering: .relaxed) | 0x100, ordering: .releasing)
    }

    /// Bytes of `links` in use: every list lies below this, and the file is at least this long
    /// (the writer grows the file before it raises the word, and `open` checks it).
    var linksUsed: Int {
        max(Self.headerSize, min(links.count, Int(truncatingIfNeeded: word(Self.linksUsedOffset).load(ordering: .acquiring))))
    }

    /// The list of `id` at `layer`: where its count and ids live, and its capacity.
    /// Nil when the node has no such layer or its links offset is damaged. Lists are bounded by
    /// the bytes in use, not by the reservation: past the end of the file a read is a SIGBUS.
    func list(_ id: UInt32, layer: Int) -> (count: UnsafeMutableRawPointer, ids: UnsafeMutableRawPointer, capacity: Int)? {
        let base = node(id)
        if layer == 0 { return (base, base + 16, configuration.M0) }
        guard layer <= level(id) else { return nil }
        let offset = Int(truncatingIfNeeded: base.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        let blockSize = (1 + configuration.M) * 4
        let used = linksUsed
        guard offset >= Self.headerSize, offset <= used, layer * blockSize <= used - offset else { return nil }
        let start = offset + (layer - 1) * blockSize
        return (linksBase + start, linksBase + start + 4, configuration.M)
    }

    /// Calls `body` with each neighbour of `id` at `layer` that is below `limit` (the published
    /// count): ids of nodes not yet published, and damaged ids, are skipped.
    @inline(__always)
    func forEachNeighbor(_ id: UInt32, layer: Int, limit: Int, _ body: (UInt32) -> Void) {
        guard let list = list(id, layer: layer) else { return }
        let count = min(Int(u32(list.count).load(ordering: .acquiring)), list.capacity)
        for index in 0..<count {
            let neighbor = u32(list.ids + index * 4).load(ordering: .relaxed)
            if Int(neighbor) < limit { body(neighbor) }
        }
    }

    /// Calls `body` with each neighbour of `id` at `layer` below `limit` that `visited` had not
    /// marked yet (and marks it), after asking the CPU to load all their vectors: the loads of
    /// a node's neighbours overlap instead of each waiting for memory in turn (as hnswlib does).
    @inline(__always)
    func forEachUnvisitedNeighbor(_ id: UInt32, layer: Int, limit: Int, visited: VisitedList, _ body: (UInt32) -> Void) {
        guard let list = list(id, layer: layer) else { return }
        let count = min(Int(u32(list.count).load(ordering: .acquiring)), list.capacity)
        let prefetchBytes = Swift.min(stride, Self.prefetchBytes)
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: count) { fresh in
            var found = 0
            for index in 0..<count {
                let neighbor = u32(list.ids + index * 4).load(ordering: .relaxed)
                if Int(neighbor) < limit, !visited.visit(neighbor) {
                    mnemap_prefetch(slot(neighbor), prefetchBytes)
                    fresh[found] = neighbor
                    found += 1
                }
            }
            for index in 0..<found { body(fresh[index]) }
        }
    }

    /// How much of each neighbour's vector ``forEachUnvisitedNeighbor(_:layer:limit:visited:_:)``
    /// prefetches; the hardware prefetcher follows on from there.
    static let prefetchBytes = 1536

    func neighbors(_ id: UInt32, layer: Int, limit: Int) -> [UInt32] {
        var result: [UInt32] = []
        forEachNeighbor(id, layer: layer, limit: limit) { result.append($0) }
        return result
    }

    /// Replaces the list of `id` at `layer`: ids first, then the count (release), so a reader
    /// sees either list's ids, never garbage.
    func setNeighbors(_ id: UInt32, layer: Int, _ ids: [UInt32]) {
        guard let list = list(id, layer: layer) else { return }
        let count = min(ids.count, list.capacity)
        for index in 0..<count { u32(list.ids + index * 4).store(ids[index], ordering: .relaxed) }
        u32(list.count).store(UInt32(count), ordering: .releasing)
    }
}
