import Foundation
import Testing
import MnemapTestSupport
@testable import VectorIndex

@Suite("VectorIndex changes, reopening and damage")
struct LifecycleTests {
    let folder: IndexFolder
    init() throws { folder = try IndexFolder() }

    @Test func filtersDeletesUpdatesAndReopening() throws {
        let path = folder.folder("index")
        let vectors = randomVectors(2000, dimension: 48, seed: 9)
        do {
            let index = try VectorIndex.create(at: path, configuration: .init(dimension: 48, M: 12, efConstruction: 80))
            try index.add(contentsOf: vectors)
            let query = vectors[17]
            #expect(try index.search(query, k: 1).first?.id == 17)
            // A selective allow-set is searched exactly: it still returns k results.
            let allowed: Set<UInt32> = [3, 999, 1500, 1999, 42]
            let filtered = try index.search(query, k: 5, filter: .allow(allowed))
            #expect(Set(filtered.map(\.id)) == allowed)
            let even = try index.search(query, k: 10, filter: .predicate { $0 % 2 == 0 })
            #expect(even.count == 10 && even.allSatisfy { $0.id % 2 == 0 })
            try index.delete(17)
            #expect(try index.search(query, k: 5).allSatisfy { $0.id != 17 })
            #expect(try index.exactSearch(query, k: 5).allSatisfy { $0.id != 17 })
            let moved = try index.update(100, to: vectors[17])
            #expect(moved == 2000)
            #expect(try index.search(query, k: 1).first?.id == 2000)
            #expect(index.isDeleted(100))
            try index.commit()
            #expect(index.check().isIntact)
        }
        let reopened = try VectorIndex(directory: path)
        #expect(reopened.count == 2001)
        #expect(reopened.deletedCount == 2)
        #expect(try reopened.search(vectors[17], k: 1).first?.id == 2000)
        #expect(try reopened.vector(5) == VectorIndex.normalized(vectors[5]))
        #expect(throws: VectorIndexError.self) { try reopened.add(vectors[0]) }
        #expect(throws: VectorIndexError.self) { _ = try reopened.search([1, 2, 3], k: 1) }
        #expect(throws: VectorIndexError.self) { _ = try reopened.search([Float](repeating: .nan, count: 48), k: 1) }
        let stat = reopened.stat()
        #expect(stat.count == 2001 && stat.durableCount == 2001 && stat.levels[0] > 1500)
        #expect(reopened.check().isIntact)
    }

    @Test func oneWriterAtATime() throws {
        let path = folder.folder("index")
        let writer = try VectorIndex.create(at: path, configuration: .init(dimension: 8))
        #expect(throws: VectorIndexError(path: path, reason: .writerExists)) { _ = try VectorIndex(directory: path, writable: true) }
        let reader = try VectorIndex(directory: path)
        try writer.add([1, 2, 3, 4, 5, 6, 7, 8])
        #expect(reader.count == 1)
    }

    @Test func aSuspendedWriterLetsAnotherWriteAndCatchesUpWhenItResumes() throws {
        let path = folder.folder("suspend")
        let vectors = randomVectors(600, dimension: 16, seed: 11)
        let first = try VectorIndex.create(at: path, configuration: .init(dimension: 16, M: 8, efConstruction: 40))
        try first.add(contentsOf: Array(vectors[0..<200]))
        try first.commit()
        #expect(throws: VectorIndexError.self) { _ = try VectorIndex(directory: path, writable: true) }
        try first.suspendWriting()
        #expect(throws: VectorIndexError.self) { _ = try first.add(vectors[200]) }
        do {
            // Another writer (as another process would) adds, and dies without committing its last add.
            let second = try VectorIndex(directory: path, writable: true)
            try second.add(contentsOf: Array(vectors[200..<400]))
            try second.commit()
            _ = try second.add(vectors[400])
        }
        try first.resumeWriting()
        #expect(first.count == 401)
        try first.add(contentsOf: Array(vectors[401..<600]))
        try first.commit()
        #expect(first.count == 600)
        #expect(try first.check().problems.isEmpty)
        for id in [0, 250, 400, 599] {
            #expect(try first.search(vectors[id], k: 1).first?.id == UInt32(id))
        }
        try first.suspendWriting()
        let reopened = try VectorIndex(directory: path)
        #expect(reopened.count == 600)
    }

    @Test func damagedFilesGiveErrorsNotCrashes() throws {
        let path = folder.folder("index")
        do {
            let index = try VectorIndex.create(at: path, configuration: .init(dimension: 16, M: 8, efConstruction: 40))
            try index.add(contentsOf: randomVectors(3000, dimension: 16, seed: 4))
            try index.commit()
        }
        // Flipped graph bytes: searches return published ids or nothing, never crash; check reports.
        let graph = try FileHandle(forUpdating: URL(fileURLWithPath: path + "/graph"))
        var random = SplitMix64(state: 77)
        for _ in 0..<400 {
            try graph.seek(toOffset: UInt64(Int.random(in: 4096..<(4096 + 3000 * (16 + 4 * 16)), using: &random)))
            graph.write(Data([UInt8.random(in: 0...255, using: &random)]))
        }
        try graph.close()
        let damaged = try VectorIndex(directory: path)
        for query in randomVectors(50, dimension: 16, seed: 5) {
            for result in try damaged.search(query, k: 10) { #expect(Int(result.id) < damaged.count) }
        }
        #expect(!damaged.check().isIntact)
        // A truncated vectors file.
        let vectors = try FileHandle(forUpdating: URL(fileURLWithPath: path + "/vectors"))
        try vectors.truncate(atOffset: 4096 + 100 * 64)
        try vectors.close()
        #expect(throws: VectorIndexError.self) { _ = try VectorIndex(directory: path) }
        // A foreign or damaged header.
        try Data(repeating: 7, count: 8192).write(to: URL(fileURLWithPath: path + "/vectors"))
        #expect(throws: VectorIndexError(path: path + "/vectors", reason: .notAnIndex)) { _ = try VectorIndex(directory: path) }
        #expect(throws: VectorIndexError.self) { _ = try VectorIndex(directory: folder.folder("nothing")) }
    }

    /// A damaged links offset that points past the end of the links file, but inside the address
    /// space reserved for it, is a damaged list (a SIGBUS if read); so is a header that claims
    /// more links bytes than the file holds.
    @Test func linksOffsetsPastTheEndOfTheFileAreDamageNotASigbus() throws {
        let path = folder.folder("index")
        let upper: UInt32
        do {
            let index = try VectorIndex.create(at: path, configuration: .init(dimension: 8, M: 4, efConstruction: 20))
            try index.add(contentsOf: randomVectors(400, dimension: 8, seed: 21))
            try index.commit()
            upper = try #require((0..<400).map(UInt32.init).first { index.storage.level($0) > 0 })
        }
        let linksSize = try #require(FileManager.default.attributesOfItem(atPath: path + "/links")[.size] as? NSNumber).intValue
        let graph = try FileHandle(forUpdating: URL(fileURLWithPath: path + "/graph"))
        try graph.seek(toOffset: UInt64(IndexStorage.headerSize + Int(upper) * (16 + 4 * 8) + 8))
        graph.write(withUnsafeBytes(of: UInt64(linksSize + 4096).littleEndian) { Data($0) })
        try graph.close()

        let damaged = try VectorIndex(directory: path)
        #expect(damaged.storage.list(upper, layer: 1) == nil)
        for query in randomVectors(20, dimension: 8, seed: 22) { _ = try damaged.search(query, k: 5) }
        #expect(damaged.check().problems.contains { $0.hasPrefix("node \(upper): layer 1 lists point outside") })
        _ = damaged.stat()

        let vectors = try FileHandle(forUpdating: URL(fileURLWithPath: path + "/vectors"))
        try vectors.seek(toOffset: UInt64(IndexStorage.linksUsedOffset))
        vectors.write(withUnsafeBytes(of: UInt64(linksSize + 4096).littleEndian) { Data($0) })
        try vectors.close()
        #expect(throws: VectorIndexError.self) { _ = try VectorIndex(directory: path) }
    }
}

@Suite("VectorIndex after a power loss")
struct PowerLossRecoveryTests {
    let folder: IndexFolder
    init() throws { folder = try IndexFolder() }

    /// What a restart after power loss looks like to the next writer: the header says "changed
    /// since the last commit", written during another boot. Only the committed vectors are kept,
    /// and links to the lost ones are removed from the graph.
    @Test func afterARestartOnlyCommittedVectorsRemainAndTheGraphIsRepaired() throws {
        let path = folder.folder("index")
        let vectors = randomVectors(800, dimension: 24, seed: 12)
        do {
            let index = try VectorIndex.create(at: path, configuration: .init(dimension: 24, M: 8, efConstruction: 40))
            try index.add(contentsOf: Array(vectors[..<500]))
            try index.commit()
            try index.add(contentsOf: Array(vectors[500...]))
            // Uncommitted: the old nodes now link to nodes 500...799.
            #expect(index.storage.durableCount == 500 && index.count == 800)
            // Pretend the header was written during another boot.
            for offset in 0..<16 { index.storage.vectorsBase.storeBytes(of: UInt8(0xEE), toByteOffset: IndexStorage.bootOffset + offset, as: UInt8.self) }
        }
        let recovered = try VectorIndex(directory: path, writable: true)
        #expect(recovered.count == 500)
        let report = recovered.check()
        #expect(report.isIntact, "\(report.problems.prefix(3))")
        for id in [0, 123, 499] { #expect(try recovered.search(vectors[id], k: 1).first?.id == UInt32(id)) }
        // And it goes on: new vectors get the ids of the lost ones.
        #expect(try recovered.add(vectors[700]) == 500)
        try recovered.commit()
        #expect(recovered.check().isIntact)
    }
}

@Suite("VectorIndex compaction")
struct CompactionTests {
    let folder: IndexFolder
    init() throws { folder = try IndexFolder() }

    @Test func compactionDropsDeletedVectorsAndSwitchesAtomically() throws {
        let path = folder.folder("index")
        let vectors = randomVectors(1200, dimension: 16, seed: 31)
        do {
            let index = try VectorIndex.create(at: path, configuration: .init(dimension: 16, M: 8, efConstruction: 40))
            try index.add(contentsOf: vectors)
            for id in Swift.stride(from: 0, to: 1200, by: 3) { try index.delete(UInt32(id)) }
            try index.commit()
        }
        let reader = try VectorIndex(directory: path)
        let mapping = try VectorIndex.compact(directory: path)
        #expect(mapping.count == 800)
        #expect(mapping[1] == 0 && mapping[2] == 1 && mapping[4] == 2)
        // A searcher that opened before keeps its (old) view.
        #expect(reader.count == 1200)
        let compacted = try VectorIndex(directory: path)
        #expect(compacted.count == 800 && compacted.deletedCount == 0)
        #expect(compacted.check().isIntact)
        #expect(try compacted.search(vectors[5], k: 1).first?.id == mapping[5])
        #expect(!FileManager.default.fileExists(atPath: path + ".compacting"))
    }
}
