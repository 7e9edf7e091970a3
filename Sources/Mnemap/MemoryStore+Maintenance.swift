import Foundation
import MappedStore
import VectorIndex

/// Counts and sizes of a store.
public struct MemoryStats: Sendable {
    public var memories: Int
    public var namespaces: Int
    /// Earlier versions kept by updates.
    public var historyVersions: Int
    public var stateKeys: Int
    /// Memories with an expiry time (expired or not).
    public var expiring: Int
    /// Vector slots in the index, and how many of them no memory uses (reclaimed by ``MemoryStore/compact()``).
    public var vectorSlots: Int
    public var unusedVectorSlots: Int
    /// Documents and total tokens in the text index.
    public var textDocuments: Int
    public var textTokens: Int
    /// Bytes on disk: the store file and the vector index folder.
    public var storeBytes: Int64
    public var vectorBytes: Int64
    public var embedder: String
    public var dimension: Int
}

/// What ``MemoryStore/check()`` found.
public struct MemoryCheckReport: Sendable {
    /// Each problem says where it is; empty when the store is intact.
    public var problems: [String] = []
    public var memories = 0
    public var isIntact: Bool { problems.isEmpty }
}

extension MemoryStore {
    /// Counts and sizes. Cost: reads tree headers and the namespace list, not the records.
    public func stats() throws -> MemoryStats {
        try reading { tx, snapshot in
            func entries(_ tree: String) throws -> Int { Int(try tx.info(of: tree).entries) }
            let text = try TextIndex.statistics(in: tx)
            let live = try entries(StoreLayout.vectors)
            let index = try snapshot.index
            return MemoryStats(
                memories: try entries(StoreLayout.memories), namespaces: try entries(StoreLayout.namespaces),
                historyVersions: try entries(StoreLayout.history), stateKeys: try entries(StoreLayout.state),
                expiring: try entries(StoreLayout.expiry), vectorSlots: index.count, unusedVectorSlots: index.count - live,
                textDocuments: text.documents, textTokens: text.totalLength,
                storeBytes: Self.size(of: path + "/store"), vectorBytes: ["vectors", "graph", "links"].reduce(0) { $0 + Self.size(of: path + "/" + snapshot.folder + "/" + $1) },
                embedder: manifest.embedder, dimension: manifest.dimension
            )
        }
    }

    static func size(of path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    /// Verifies everything: the store's pages and checksums, the vector index, and that the trees
    /// agree (every record has its timeline entry, vector facts and namespace count; every index
    /// entry points to a record). Cost: reads the whole store and index.
    public func check() throws -> MemoryCheckReport {
        var report = MemoryCheckReport()
        let storeReport = try Self.engine { try store.check() }
        report.problems += storeReport.problems.map { "store: \($0)" }
        guard storeReport.isIntact else { return report }
        try reading { tx, snapshot in
            let index: VectorIndex
            do { index = try snapshot.index } catch {
                report.problems.append("vector index: \(error)")
                return
            }
            let indexReport = index.check()
            report.problems += indexReport.problems.map { "vector index: \($0)" }
            if index.count < Int(snapshot.accounted) {
                report.problems.append("vector index: holds \(index.count) vectors but the store accounts for \(snapshot.accounted)")
            }
            var counted: [String: Int] = [:]
            var liveSlots: [UInt32: MemoryID] = [:]
            try tx.scan(in: StoreLayout.memories) { key, value in
                report.memories += 1
                guard key.count == 16 else {
                    report.problems.append("memories: a key of \(key.count) bytes")
                    return true
                }
                let id = MemoryID(unchecked: Array(key))
                let stored: RecordCodec.Stored
                do { stored = try RecordCodec.decode(value, id: id) } catch {
                    report.problems.append("memories: \(error)")
                    return true
                }
                let memory = stored.memory
                counted[memory.namespace, default: 0] += 1
                guard let slot = try slot(of: memory, in: tx) else {
                    report.problems.append("memory \(id): no timeline entry in namespace \(memory.namespace)")
                    return true
                }
                if let other = liveSlots.updateValue(id, forKey: slot) { report.problems.append("memories \(other) and \(id) share vector slot \(slot)") }
                if let number = try tx.withValue(for: StoreLayout.timelineKey(memory.namespace, id), in: StoreLayout.timeline, StoreLayout.timelineTextNumber) ?? nil {
                    let indexed = try id.bytes.withUnsafeBytes { try TextIndex.documentNumbers(ofIDs: $0, in: tx) }
                    if indexed != [number] {
                        report.problems.append("memory \(id): its timeline entry names text document \(number), the text index \(indexed.first.map { "\($0)" } ?? "none")")
                    }
                }
                if !snapshot.isLive(slot) { report.problems.append("memory \(id): vector slot \(slot) is retired or beyond the accounted \(snapshot.accounted)") }
                if Int(slot) < index.count, index.isDeleted(slot) { report.problems.append("memory \(id): vector slot \(slot) is deleted in the index") }
                let facts = try tx.withValue(for: StoreLayout.slotKey(slot), in: StoreLayout.vectors, RecordCodec.decodeFacts) ?? nil
                if facts != RecordCodec.Facts(memory) { report.problems.append("memory \(id): the vector facts of slot \(slot) do not match the record") }
                if let expiresAt = memory.expiresAt, try !tx.contains(StoreLayout.expiryKey(Timestamps.milliseconds(expiresAt), id), in: StoreLayout.expiry) {
                    report.problems.append("memory \(id): its expiry is not in the expiry tree")
                }
                return report.problems.count < 100
            }
            for (namespace, count) in try namespaceCounts(under: nil, in: tx) where counted[namespace] != count {
                report.problems.append("namespace \(namespace): counted \(count) memories, holds \(counted[namespace] ?? 0)")
            }
            for namespace in counted.keys where try tx.get(Array(namespace.utf8), in: StoreLayout.namespaces) == nil {
                report.problems.append("namespace \(namespace): missing from the namespace list")
            }
            let vectorEntries = Int(try tx.info(of: StoreLayout.vectors).entries)
            if vectorEntries != liveSlots.count { report.problems.append("vectors: \(vectorEntries) slot entries for \(liveSlots.count) memories") }
            let timelineEntries = Int(try tx.info(of: StoreLayout.timeline).entries)
            if timelineEntries != report.memories { report.problems.append("timeline: \(timelineEntries) entries for \(report.memories) memories") }
            let text = try TextIndex.statistics(in: tx)
            if text.documents != report.memories { report.problems.append("text index: \(text.documents) documents for \(report.memories) memories") }
            report.problems += try TextIndex.problems(in: tx).prefix(20).map { "text index: \($0)" }
        }
        return report
    }

    /// Reclaims space: rebuilds the vector index from the live memories' vectors into a new folder
    /// (retired and orphan slots dropped, the graph rebuilt), switches to it in one transaction,
    /// then removes the old folder. Free pages of the store file are reused by later writes.
    ///
    /// Readers keep searching the old index until they start a new read. Writers wait until the
    /// compaction commits. A crash at any point leaves the store on the old or the new index,
    /// never between.
    /// - Returns: the vector slots reclaimed.
    @discardableResult
    public func compact() throws -> Int {
        let (reclaimed, old) = try writing { writer -> (Int, String) in
            let tx = writer.tx
            var live: [(slot: UInt32, facts: [UInt8])] = []
            try tx.scan(in: StoreLayout.vectors) { key, value in
                live.append((UInt32(bigEndian: key.loadUnaligned(as: UInt32.self)), Array(value)))
                return true
            }
            let number = (Int(writer.folder.split(separator: "-").last ?? "1") ?? 1) + 1
            let folder = "vectors-\(number)"
            // Folders a crashed compaction left behind (before or after its commit).
            for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] where name.hasPrefix("vectors-") && name != writer.folder {
                try? FileManager.default.removeItem(atPath: path + "/" + name)
            }
            let index = try VectorIndex.create(at: path + "/" + folder, configuration: writer.index.configuration, maxCount: options.maxVectors)
            var vectors: [[Float]] = []
            vectors.reserveCapacity(live.count)
            for item in live { vectors.append(try writer.index.vector(item.slot)) }
            let slots = try index.add(contentsOf: vectors)
            try index.commit()
            for item in live { _ = try tx.delete(StoreLayout.slotKey(item.slot), in: StoreLayout.vectors) }
            for (item, slot) in zip(live, slots) {
                try tx.put(StoreLayout.slotKey(slot), item.facts, in: StoreLayout.vectors)
                let facts = item.facts.withUnsafeBytes { RecordCodec.decodeFacts($0) }
                if let facts {
                    // The new slot; the text document number stays.
                    let key = StoreLayout.timelineKey(facts.namespace, facts.id)
                    let number = try tx.withValue(for: key, in: StoreLayout.timeline, StoreLayout.timelineTextNumber) ?? nil
                    try tx.put(key, StoreLayout.timelineValue(slot: slot, textNumber: number), in: StoreLayout.timeline)
                }
            }
            try tx.put(StoreLayout.vectorFolderKey, Array(folder.utf8), in: StoreLayout.meta)
            try tx.put(StoreLayout.vectorCountKey, StoreLayout.u64(UInt64(index.count)), in: StoreLayout.meta)
            _ = try tx.delete(StoreLayout.pendingDeletesKey, in: StoreLayout.meta)
            writer.retired = []
            writer.indexChanged = false
            return (writer.index.count - live.count, writer.folder)
        }
        try? FileManager.default.removeItem(atPath: path + "/" + old)
        return reclaimed
    }
}
