/// What ``VectorIndex/check()`` found.
public struct IndexCheckReport: Sendable {
    public var problems: [String] = []
    public var count = 0
    public var deleted = 0
    public var isIntact: Bool { problems.isEmpty }
}

/// Shape of an index: ``VectorIndex/stat()``.
public struct IndexStat: Sendable {
    public var count: Int
    public var durableCount: Int
    public var deleted: Int
    public var configuration: IndexConfiguration
    /// Nodes per top layer (index = layer).
    public var levels: [Int]
    /// Nodes per layer-0 degree (index = number of neighbours).
    public var degrees: [Int]
    /// Bytes the vectors and graph use (not the reservation).
    public var bytes: Int
    /// Pages of the used vectors and graph ranges resident in memory.
    public var residentPages: Int
    public var totalPages: Int
}

extension VectorIndex {
    /// Verifies every node: its layer, its lists (lengths, ids inside the index, no self-links),
    /// its upper-layer links, that its vector is finite, and the entry point.
    ///
    /// While the index is being changed, or after its writer died before committing, lists may
    /// link to nodes not published yet, and the entry point may be one: searches skip them, and
    /// the next writer repairs them (see `docs/vector-index-format.md`). Those are not
    /// problems then, only when the index says it was committed.
    public func check() -> IndexCheckReport {
        var report = IndexCheckReport()
        let count = self.count
        let changing = storage.word(IndexStorage.dirtyOffset).load(ordering: .acquiring) != 0
        let reserved = changing ? storage.maxCount : count
        report.count = count
        var topLevel = -1
        for index in 0..<count {
            let id = UInt32(index)
            if storage.isDeleted(id) { report.deleted += 1 }
            let level = storage.level(id)
            if level > IndexStorage.maxLevel { report.problems.append("node \(id): layer \(level)"); continue }
            topLevel = max(topLevel, level)
            for layer in 0...level {
                guard let list = storage.list(id, layer: layer) else {
                    report.problems.append("node \(id): layer \(layer) lists point outside the links file")
                    continue
                }
                let length = Int(list.count.load(as: UInt32.self))
                if length > list.capacity { report.problems.append("node \(id): layer \(layer) has \(length) neighbours, more than \(list.capacity)") }
                for slot in 0..<min(length, list.capacity) {
                    let neighbor = list.ids.load(fromByteOffset: slot * 4, as: UInt32.self)
                    if Int(neighbor) >= reserved { report.problems.append("node \(id): layer \(layer) links to \(neighbor), past the \(count) nodes") }
                    if neighbor == id { report.problems.append("node \(id): layer \(layer) links to itself") }
                    if Int(neighbor) < count && storage.level(neighbor) < layer { report.problems.append("node \(id): layer \(layer) links to \(neighbor), which has no such layer") }
                }
            }
            if configuration.elementType != .int8 && !storage.vector(id).allSatisfy(\.isFinite) {
                report.problems.append("node \(id): vector is not finite")
            }
            if report.problems.count > 1000 { break }
        }
        if count > 0 {
            if let entry = storage.entry {
                if Int(entry.id) >= count {
                    if Int(entry.id) >= reserved { report.problems.append("entry point \(entry.id) is past the \(count) nodes") }
                } else if entry.level != topLevel { report.problems.append("entry point is on layer \(entry.level) but the top layer is \(topLevel)") }
            } else {
                report.problems.append("no entry point for \(count) nodes")
            }
        }
        return report
    }

    /// Counts, layer and degree histograms, sizes and resident pages.
    public func stat() -> IndexStat {
        let count = self.count
        var levels = [Int](repeating: 0, count: IndexStorage.maxLevel + 1)
        var degrees = [Int](repeating: 0, count: configuration.M0 + 1)
        for index in 0..<count {
            let id = UInt32(index)
            levels[min(storage.level(id), IndexStorage.maxLevel)] += 1
            degrees[storage.neighbors(id, layer: 0, limit: count).count] += 1
        }
        while levels.count > 1 && levels.last == 0 { levels.removeLast() }
        let vectorBytes = IndexStorage.headerSize + count * storage.stride
        let graphBytes = IndexStorage.headerSize + count * storage.nodeSize
        let vectorResidency = try? storage.vectors.residency(range: 0..<vectorBytes)
        let graphResidency = try? storage.graph.residency(range: 0..<graphBytes)
        return IndexStat(
            count: count, durableCount: storage.durableCount, deleted: deletedCount, configuration: configuration,
            levels: levels, degrees: degrees, bytes: vectorBytes + graphBytes + linksUsed,
            residentPages: (vectorResidency?.residentPages ?? 0) + (graphResidency?.residentPages ?? 0),
            totalPages: (vectorResidency?.totalPages ?? 0) + (graphResidency?.totalPages ?? 0)
        )
    }
}
