import Foundation
import MappedMemory
import Testing
@testable import MappedStore

/// The free list on disk is a snapshot followed by deltas (`docs/store-format.md`): commits
/// write only what they changed, and any other handle rebuilds the same list from the chain.
@Suite("Free-list chain")
struct FreeListTests {
    let folder: StoreFolder
    init() throws { folder = try StoreFolder() }

    /// A store with a large free list: 8,000 keys, then every other one deleted.
    func storeWithFreePages(_ path: String) throws -> (MappedStore, [Int: [UInt8]]) {
        let store = try MappedStore(path: path)
        var model: [Int: [UInt8]] = [:]
        try store.write { tx throws in
            for i in 0..<8000 {
                try tx.put(key(i), value(i, length: 1000))
                model[i] = value(i, length: 1000)
            }
        }
        try store.write { tx throws in
            for i in stride(from: 0, to: 8000, by: 2) {
                try tx.delete(key(i))
                model[i] = nil
            }
        }
        return (store, model)
    }

    @Test func smallCommitsWriteDeltasThatAnotherHandleReadsBack() throws {
        let path = folder.file("db")
        var (first, model) = try storeWithFreePages(path)
        let second = try MappedStore(path: path)
        var longestChain = 0
        for round in 0..<80 {
            // Alternate handles: each must rebuild the list the other wrote from the chain.
            let store = round % 2 == 0 ? first : second
            let i = (round * 37) % 3000
            try store.write { tx throws in try tx.put(key(i), value(i, version: round, length: 300)) }
            model[i] = value(i, version: round, length: 300)
            let stat = try store.stat()
            longestChain = max(longestChain, stat.freeListRuns)
            #expect(stat.freeListRuns >= 1 && stat.freeListRuns <= FreeList.maxDeltas + 1)
            if round % 10 == 9 { try expectIntact(store, "after round \(round)") }
        }
        #expect(longestChain > 3, "commits of one key should write deltas, not snapshots")
        first = try MappedStore(path: path)
        try first.read { tx throws in
            let all = try tx.all()
            #expect(all.count == model.count)
            for (key, value) in all {
                let index = Int(String(decoding: key.dropFirst(4), as: UTF8.self))!
                #expect(model[index] == value)
            }
        }
        try expectIntact(first)
    }

    @Test func theDecodedChainEqualsTheListTheWriterKept() throws {
        let path = folder.file("db")
        let (store, _) = try storeWithFreePages(path)
        for round in 0..<20 {
            try store.write { tx throws in try tx.put(key(round * 7), value(round)) }
            let (kept, decoded) = try store.read { tx throws in
                let kept = store.cachedFreeList!
                let decoded = try FreeList.decode(tx.source, first: tx.meta.freeListPage, length: Int(tx.meta.freeListPages))
                return (kept, decoded)
            }
            #expect(kept.reusable == decoded.reusable, "round \(round)")
            #expect(kept.pending == decoded.pending, "round \(round)")
            #expect(kept.chain == decoded.chain, "round \(round)")
        }
    }

    @Test func aDamagedDeltaIsReportedAndStopsWritesWithAClearError() throws {
        let path = folder.file("db")
        let (store, _) = try storeWithFreePages(path)
        for i in [7, 5, 3, 1] { try store.write { tx throws in try tx.put(key(i), value(i, version: 1)) } }
        let head = try store.read { tx throws in (tx.meta.freeListPage, Int(tx.meta.freeListPages)) }
        #expect(try store.stat().freeListRuns > 1)
        // Flip a byte inside the newest run (a delta).
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        let offset = UInt64(head.0) * 4096 + 100
        try handle.seek(toOffset: offset)
        let byte = try handle.read(upToCount: 1)!
        try handle.seek(toOffset: offset)
        try handle.write(contentsOf: Data([byte[0] ^ 0x5A]))
        try handle.close()

        let reopened = try MappedStore(path: path)
        let report = try reopened.check()
        #expect(report.problems.contains { $0.contains("free list") })
        // Reading still works; a write cannot know which pages are free and says why.
        #expect(try reopened.read { try $0.get(key(1)) } == value(1, version: 1))
        do {
            try reopened.write { tx throws in try tx.put(key(5), value(5)) }
            Issue.record("a write over a damaged free list succeeded")
        } catch let error as StoreError {
            #expect("\(error)".contains("free list"), "\(error)")
        }
    }

    @Test func aVersion1StoreOpensAndIsWrittenAsVersion2() throws {
        let path = folder.file("db")
        do {
            let store = try MappedStore(path: path)
            try store.write { tx throws in for i in 0..<100 { try tx.put(key(i), value(i)) } }
        }
        // Version 1 had the same layout with the free list as one snapshot run: rewrite both
        // meta pages as version 1, with their checksums.
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        for slot in 0..<2 {
            let base = slot * 4096
            data.withUnsafeMutableBytes { raw in
                raw.storeBytes(of: UInt32(1).littleEndian, toByteOffset: base + 32 + 8, as: UInt32.self)
                let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[(base + 4)..<(base + 4096)]))
                raw.storeBytes(of: crc.littleEndian, toByteOffset: base, as: UInt32.self)
            }
        }
        try data.write(to: URL(fileURLWithPath: path))

        let store = try MappedStore(path: path)
        #expect(try store.read { try $0.get(key(42)) } == value(42))
        try store.write { tx throws in try tx.put(key(100), value(100)) }
        try expectIntact(store)
        let after = try Data(contentsOf: URL(fileURLWithPath: path))
        let versions = (0..<2).map { slot in after.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: slot * 4096 + 32 + 8, as: UInt32.self)) } }
        #expect(versions.contains(2), "versions \(versions)")
    }
}
