import Foundation
import MappedMemory
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import MappedStore

@Suite("MappedStore basics")
struct StoreTests {
    let folder: StoreFolder
    init() throws { folder = try StoreFolder() }

    @Test func putGetDeleteAndReadYourOwnWrites() throws {
        let store = try MappedStore(path: folder.file("db"))
        try store.write { tx throws in
            try tx.put(bytes("alpha"), bytes("1"))
            try tx.put(bytes("beta"), bytes("2"))
            #expect(try tx.get(bytes("alpha")) == bytes("1"))
            try tx.put(bytes("alpha"), bytes("one"))
            #expect(try tx.get(bytes("alpha")) == bytes("one"))
        }
        try store.read { tx throws in
            #expect(try tx.get(bytes("alpha")) == bytes("one"))
            #expect(try tx.get(bytes("beta")) == bytes("2"))
            #expect(try tx.get(bytes("gamma")) == nil)
            #expect(try tx.info().entries == 2)
        }
        let deleted = try store.write { tx throws in try tx.delete(bytes("alpha")) }
        #expect(deleted)
        let again = try store.write { tx throws in try tx.delete(bytes("alpha")) }
        #expect(!again)
        try store.read { tx throws in
            #expect(try tx.get(bytes("alpha")) == nil)
            #expect(try tx.info().entries == 1)
        }
    }

    @Test func aThrowingWriteCommitsNothing() throws {
        let store = try MappedStore(path: folder.file("db"))
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try store.write { tx throws in
                try tx.put(bytes("k"), bytes("v"))
                throw Stop()
            }
        }
        try store.read { tx throws in #expect(try tx.get(bytes("k")) == nil) }
    }

    @Test func manyKeysSplitPagesAndSurviveReopen() throws {
        let path = folder.file("db")
        do {
            let store = try MappedStore(path: path)
            try store.write { tx throws in
                for i in stride(from: 0, to: 20_000, by: 2) { try tx.put(key(i), value(i)) }
            }
            try store.write { tx throws in
                for i in stride(from: 1, to: 20_000, by: 2) { try tx.put(key(i), value(i)) }
            }
            try store.read { tx throws in
                let info = try tx.info()
                #expect(info.entries == 20_000)
                #expect(info.depth >= 2)
            }
        }
        let store = try MappedStore(path: path)
        try store.read { tx throws in
            for i in [0, 1, 2, 999, 10_001, 19_999] { #expect(try tx.get(key(i)) == value(i)) }
            let all = try tx.all()
            #expect(all.count == 20_000)
            #expect(all.map(\.0) == (0..<20_000).map(key))
        }
        try expectIntact(store)
    }

    @Test func keyAndValueBytesFromAnyBufferWorkAsArraysDo() throws {
        let store = try MappedStore(path: folder.file("db"))
        let keys = (0..<6_000).map { key($0 * 2) }
        try store.write { tx throws in for (i, k) in keys.enumerated() { try tx.put(k, value(i)) } }
        // All keys back to back in one buffer, each looked up through a slice of it.
        let flat = keys.flatMap { $0 }
        let absent = [key(1), key(4_001), key(11_999 + 2), [], bytes("a"), key(0) + [0]]
        func check(_ tx: ReadTransaction) throws {
            try flat.withUnsafeBytes { all throws in
                var offset = 0
                for (i, k) in keys.enumerated() {
                    let slice = UnsafeRawBufferPointer(rebasing: all[offset ..< offset + k.count])
                    offset += k.count
                    #expect(try tx.get(slice) == value(i))
                    #expect(try tx.withValue(for: slice) { Array($0) } == value(i))
                }
            }
            for k in absent {
                try k.withUnsafeBytes { raw throws in
                    #expect(try tx.get(raw) == nil)
                    #expect(try tx.withValue(for: raw) { _ in true } == nil)
                }
            }
        }
        try store.read { tx throws in
            #expect(try tx.info().depth >= 2)
            try check(tx)
        }
        // In a write transaction, with changed pages held in memory.
        try store.write { tx throws in
            try tx.put(key(0), value(0))
            try tx.put(key(6_000), value(3_000))
            try check(tx)
        }
        // Writes from slices of one buffer: append, put (new and replacing) and delete.
        let values = (0..<6_000).flatMap { value($0) }
        let valueSize = value(0).count
        try store.write { tx throws in
            _ = try tx.createTree("raw")
            try flat.withUnsafeBytes { keyBytes throws in
                try values.withUnsafeBytes { valueBytes throws in
                    func slice(_ buffer: UnsafeRawBufferPointer, _ i: Int, _ size: Int) -> UnsafeRawBufferPointer {
                        UnsafeRawBufferPointer(rebasing: buffer[i * size ..< (i + 1) * size])
                    }
                    let keySize = keys[0].count
                    for i in 0..<3_000 { try tx.append(slice(keyBytes, i, keySize), slice(valueBytes, i, valueSize), in: "raw") }
                    for i in stride(from: 5_999, through: 0, by: -1) { try tx.put(slice(keyBytes, i, keySize), slice(valueBytes, 5_999 - i, valueSize), in: "raw") }
                    for i in stride(from: 0, to: 6_000, by: 3) { #expect(try tx.delete(slice(keyBytes, i, keySize), in: "raw")) }
                    #expect(try !tx.delete(slice(keyBytes, 0, keySize), in: "raw"))
                }
            }
        }
        try store.read { tx throws in
            let all = try tx.all(in: "raw")
            let expected = (0..<6_000).filter { $0 % 3 != 0 }.map { (keys[$0], value(5_999 - $0)) }
            #expect(all.count == expected.count)
            #expect(all.map(\.0) == expected.map(\.0))
            #expect(all.map(\.1) == expected.map(\.1))
        }
        try expectIntact(store)
    }

    @Test func largeValuesLiveInOverflowPagesAndAreReadInPlace() throws {
        let store = try MappedStore(path: folder.file("db"))
        let big = value(7, length: 100_000)
        let medium = value(8, length: 3_000)
        try store.write { tx throws in
            try tx.put(bytes("big"), big)
            try tx.put(bytes("medium"), medium)
            try tx.put(bytes("small"), bytes("s"))
        }
        try store.read { tx throws in
            #expect(try tx.get(bytes("big")) == big)
            #expect(try tx.withValue(for: bytes("big")) { $0.count } == 100_000)
            #expect(try tx.get(bytes("medium")) == medium)
            #expect(try tx.info().overflowPages >= 25)
        }
        let replaced = value(9, length: 50_000)
        try store.write { tx throws in try tx.put(bytes("big"), replaced) }
        try store.read { tx throws in #expect(try tx.get(bytes("big")) == replaced) }
        try store.write { tx throws in _ = try tx.delete(bytes("big")) }
        try store.read { tx throws in #expect(try tx.info().overflowPages == 1) }
        try expectIntact(store)
    }

    @Test func keysUpTo1KiBAndClearErrorsBeyond() throws {
        let store = try MappedStore(path: folder.file("db"))
        try store.write { tx throws in
            for i in 0..<50 {
                var long = key(i)
                long += [UInt8](repeating: UInt8(i), count: MappedStore.maxKeySize - long.count)
                try tx.put(long, value(i, length: 900))
            }
        }
        try store.read { tx throws in #expect(try tx.all().count == 50) }
        #expect(throws: StoreError.self) {
            try store.write { tx throws in try tx.put([UInt8](repeating: 1, count: MappedStore.maxKeySize + 1), bytes("v")) }
        }
        #expect(throws: StoreError.self) {
            try store.write { tx throws in try tx.put([], bytes("v")) }
        }
    }

    @Test func namedTreesAreIndependentAndCanBeDropped() throws {
        let store = try MappedStore(path: folder.file("db"))
        try store.write { tx throws in
            #expect(try tx.createTree("users"))
            #expect(try !tx.createTree("users"))
            try tx.createTree("docs")
            try tx.put(bytes("a"), bytes("user a"), in: "users")
            try tx.put(bytes("a"), bytes("doc a"), in: "docs")
            try tx.put(bytes("a"), bytes("main a"))
        }
        try store.read { tx throws in
            #expect(try tx.treeNames() == ["docs", "users"])
            #expect(try tx.get(bytes("a"), in: "users") == bytes("user a"))
            #expect(try tx.get(bytes("a"), in: "docs") == bytes("doc a"))
            #expect(try tx.get(bytes("a")) == bytes("main a"))
            #expect(throws: StoreError(path: store.path, reason: .treeNotFound("nope"))) { _ = try tx.get(bytes("a"), in: "nope") }
        }
        try store.write { tx throws in
            for i in 0..<2000 { try tx.put(key(i), value(i), in: "docs") }
        }
        try store.write { tx throws in #expect(try tx.dropTree("docs")) }
        try store.read { tx throws in
            #expect(try tx.treeNames() == ["users"])
            #expect(throws: StoreError.self) { _ = try tx.get(bytes("a"), in: "docs") }
        }
        try expectIntact(store)
    }

    @Test func cursorsSeekAndWalkBothWays() throws {
        let store = try MappedStore(path: folder.file("db"))
        try store.write { tx throws in for i in stride(from: 0, to: 3000, by: 3) { try tx.put(key(i), value(i)) } }
        try store.read { tx throws in
            var cursor = try tx.cursor()
            #expect(try cursor.first())
            #expect(try cursor.key() == key(0))
            #expect(try cursor.seek(key(301)))
            #expect(try cursor.key() == key(303))
            #expect(try cursor.value() == value(303))
            #expect(try cursor.previous())
            #expect(try cursor.key() == key(300))
            #expect(try cursor.last())
            #expect(try cursor.key() == key(2997))
            #expect(try !cursor.next())
            #expect(try !cursor.seek(key(2998)))
            var count = 0
            var more = try cursor.last()
            while more { count += 1; more = try cursor.previous() }
            #expect(count == 1000)
        }
    }

    @Test func rangeAndPrefixScansInBothDirections() throws {
        let store = try MappedStore(path: folder.file("db"))
        try store.write { tx throws in
            for word in ["apple", "apricot", "banana", "blueberry", "cherry", "apex"] { try tx.put(bytes(word), bytes(word.uppercased())) }
        }
        try store.read { tx throws in
            func keys(_ body: (inout [String]) throws -> Void) rethrows -> [String] { var out: [String] = []; try body(&out); return out }
            let prefixed = try keys { out in try tx.scan(prefix: bytes("ap")) { key, _ in out.append(String(decoding: key, as: UTF8.self)); return true } }
            #expect(prefixed == ["apex", "apple", "apricot"])
            let reversed = try keys { out in try tx.scan(prefix: bytes("ap"), reverse: true) { key, _ in out.append(String(decoding: key, as: UTF8.self)); return true } }
            #expect(reversed == ["apricot", "apple", "apex"])
            let range = try keys { out in try tx.scan(from: bytes("b"), to: bytes("c")) { key, _ in out.append(String(decoding: key, as: UTF8.self)); return true } }
            #expect(range == ["banana", "blueberry"])
            let rangeReversed = try keys { out in try tx.scan(from: bytes("apple"), to: bytes("cherry"), reverse: true) { key, _ in out.append(String(decoding: key, as: UTF8.self)); return true } }
            #expect(rangeReversed == ["blueberry", "banana", "apricot", "apple"])
            let stopped = try keys { out in try tx.scan { key, _ in out.append(String(decoding: key, as: UTF8.self)); return out.count < 2 } }
            #expect(stopped == ["apex", "apple"])
        }
    }

    @Test func appendBulkLoadsSortedKeysIntoFullPages() throws {
        let store = try MappedStore(path: folder.file("db"))
        try store.write { tx throws in for i in 0..<10_000 { try tx.append(key(i), value(i)) } }
        try store.read { tx throws in
            let info = try tx.info()
            #expect(info.entries == 10_000)
            // ~42 bytes an entry: about 96 entries a page when pages are full.
            #expect(info.leafPages <= 110)
        }
        #expect(throws: StoreError.self) { try store.write { tx throws in try tx.append(key(5), value(5)) } }
    }

    @Test func manyAppendPointsKeepBranchPagesFilled() throws {
        // One append point per group (as Mnemap's timeline has one per namespace), each
        // transaction adding one key to every group: the branches above the groups' last leaves
        // take new children in their middle and must split evenly, not into a full page and a
        // page of one child that nothing ever fills.
        let store = try MappedStore(path: folder.file("db"))
        let groups = 100
        for round in 0..<400 {
            try store.write { tx throws in
                for group in 0..<groups { try tx.put(bytes(String(format: "group-%03d/%08d", group, round)), value(round)) }
            }
        }
        try store.read { tx throws in
            let info = try tx.info()
            #expect(info.entries == UInt64(groups * 400))
            // Branches hold 60 to 120 children: fewer than 20 branch pages and 3 levels.
            // 48 bytes a leaf entry: 473 full leaves. Even splits at the append points left
            // 1,280 (37% full); splitting at the point, about 600 (the first rounds, when a leaf
            // holds several groups, still split evenly).
            #expect(info.leafPages <= 650, "leaf pages: \(info.leafPages)")
            #expect(info.branchPages <= 20, "branch pages: \(info.branchPages) for \(info.leafPages) leaves")
            #expect(info.depth <= 3)
        }
        #expect(try store.check().isIntact)
    }

    @Test func deletingEverythingEmptiesTheTreeAndFreesItsPages() throws {
        let store = try MappedStore(path: folder.file("db"))
        try store.write { tx throws in for i in 0..<5000 { try tx.put(key(i), value(i)) } }
        try store.write { tx throws in for i in 0..<5000 where i % 7 != 0 { try tx.delete(key(i)) } }
        try store.read { tx throws in
            let all = try tx.all()
            #expect(all.map(\.0) == stride(from: 0, to: 5000, by: 7).map(key))
        }
        try store.write { tx throws in for i in stride(from: 0, to: 5000, by: 7) { try tx.delete(key(i)) } }
        try store.read { tx throws in
            let info = try tx.info()
            #expect(info.entries == 0 && info.depth == 0 && info.leafPages == 0 && info.branchPages == 0)
            #expect(try tx.all().isEmpty)
        }
        try expectIntact(store)
    }

    @Test func freedPagesAreReusedSoTheFileStopsGrowing() throws {
        let path = folder.file("db")
        let store = try MappedStore(path: path)
        try store.write { tx throws in for i in 0..<2000 { try tx.put(key(i), value(i)) } }
        for round in 0..<50 {
            try store.write { tx throws in for i in stride(from: round, to: 2000, by: 50) { try tx.put(key(i), value(i, version: round)) } }
        }
        let sizeAfterWarmup = try store.read { tx throws in tx.meta.pageCount }
        for round in 50..<150 {
            try store.write { tx throws in for i in stride(from: round % 50, to: 2000, by: 50) { try tx.put(key(i), value(i, version: round)) } }
        }
        let sizeAfter = try store.read { tx throws in tx.meta.pageCount }
        #expect(sizeAfter <= sizeAfterWarmup + 8, "pages in use grew from \(sizeAfterWarmup) to \(sizeAfter)")
        try expectIntact(store)
    }
}

@Suite("Stat and copies")
struct StatAndCopyTests {
    let folder: StoreFolder
    init() throws { folder = try StoreFolder() }

    @Test func statReportsTreesFreePagesAndTheOldestReader() throws {
        let store = try MappedStore(path: folder.file("db"))
        try store.write { tx throws in
            try tx.createTree("docs")
            for i in 0..<3000 { try tx.put(key(i), value(i)); try tx.put(key(i), value(i), in: "docs") }
        }
        var stat = try store.stat()
        #expect(stat.main.entries == 3000)
        #expect(stat.trees["docs"]?.entries == 3000)
        #expect(stat.readers.isEmpty && stat.oldestReader == nil)
        // A long-lived reader pins the pages the writer frees after it.
        try store.read { reader in
            for round in 0..<5 { try store.write { tx throws in for i in 0..<3000 { try tx.put(key(i), value(i, version: round)) } } }
            stat = try store.stat()
            #expect(stat.oldestReader == reader.txnID)
            #expect(stat.pagesPinnedByOldestReader > 50)
            #expect(try reader.get(key(5)) == value(5))
        }
        stat = try store.stat()
        #expect(stat.oldestReader == nil && stat.pagesPinnedByOldestReader == 0)
    }

    @Test func copiesAreConsistentWhileWritersGoOnAndCompactionShrinks() throws {
        let store = try MappedStore(path: folder.file("db"))
        try store.write { tx throws in
            try tx.createTree("docs")
            for i in 0..<5000 { try tx.put(key(i), value(i, length: i % 100 == 0 ? 6000 : 50)) }
            for i in 0..<500 { try tx.put(key(i), value(i), in: "docs") }
        }
        try store.write { tx throws in for i in 0..<5000 where i % 3 != 0 { try tx.delete(key(i)) } }
        try store.copy(to: folder.file("copy"))
        try store.copy(to: folder.file("compact"), compact: true)
        #expect(throws: StoreError.self) { try store.copy(to: folder.file("copy")) }
        let expected = try store.read { try $0.all() }
        for name in ["copy", "compact"] {
            let copy = try MappedStore(path: folder.file(name))
            #expect(try copy.read { try $0.all() }.elementsEqual(expected, by: { $0.0 == $1.0 && $0.1 == $1.1 }))
            #expect(try copy.read { try $0.all(in: "docs").count } == 500)
            try expectIntact(copy, name)
        }
        let original = try FileManager.default.attributesOfItem(atPath: folder.file("copy"))[.size] as! Int
        let compacted = try FileManager.default.attributesOfItem(atPath: folder.file("compact"))[.size] as! Int
        let used = try MappedStore(path: folder.file("compact")).stat().pageCount
        let before = try store.stat().pageCount
        #expect(used < before, "compaction: \(before) -> \(used) pages (files \(original) -> \(compacted) bytes)")
    }
}

@Suite("Space and durability modes")
struct SpaceTests {
    let folder: StoreFolder
    init() throws { folder = try StoreFolder() }

    @Test func theFileShrinksWhenFreePagesAtTheEndAreNoLongerNeeded() throws {
        let path = folder.file("db")
        let store = try MappedStore(path: path)
        try store.write { tx throws in for i in 0..<4000 { try tx.put(key(i), value(i, length: 4000)) } }
        let grown = try store.stat().fileSize
        #expect(grown > 12 << 20)
        try store.write { tx throws in for i in 0..<4000 { try tx.delete(key(i)) } }
        // The pages freed above become reusable at the next commit, and the tail is given back.
        try store.write { tx throws in try tx.put(bytes("k"), bytes("v")) }
        try store.write { tx throws in try tx.put(bytes("k"), bytes("w")) }
        let shrunk = try store.stat().fileSize
        #expect(shrunk < grown / 2, "file \(grown) -> \(shrunk) bytes")
        try expectIntact(store)
        let reopened = try MappedStore(path: path)
        #expect(try reopened.read { try $0.get(bytes("k")) } == bytes("w"))
    }

    @Test func batchedCommitsAreVisibleAtOnceAndDurableAfterSync() throws {
        let path = folder.file("db")
        let store = try MappedStore(path: path, options: .init(durability: .batched(interval: .seconds(3600))))
        try store.write { tx throws in try tx.put(bytes("a"), bytes("1")) }
        // Visible to another handle (as to another process) before any sync.
        let other = try MappedStore(path: path)
        #expect(try other.read { try $0.get(bytes("a")) } == bytes("1"))
        var stat = try store.stat()
        #expect(stat.durableTxnID < stat.txnID)
        try store.sync()
        stat = try store.stat()
        #expect(stat.durableTxnID == stat.txnID)
    }

    @Test func batchedCommitsSyncWhenTheIntervalHasPassed() throws {
        let path = folder.file("db")
        let store = try MappedStore(path: path, options: .init(durability: .batched(interval: .milliseconds(20))))
        try store.write { tx throws in try tx.put(bytes("a"), bytes("1")) }
        usleep(30_000)
        try store.write { tx throws in try tx.put(bytes("b"), bytes("2")) }
        let stat = try store.stat()
        #expect(stat.durableTxnID == stat.txnID)
    }
}
