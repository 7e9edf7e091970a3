import Foundation
import MappedMemory
import Testing
import MnemapTestSupport
#if canImport(Glibc)
import Glibc
#endif
@testable import MappedStore

@Suite("Damaged and foreign files")
struct DamageTests {
    let folder: StoreFolder
    init() throws { folder = try StoreFolder() }

    func makeStore(_ name: String, entries: Int = 3000) throws -> String {
        let path = folder.file(name)
        let store = try MappedStore(path: path)
        try store.write { tx throws in for i in 0..<entries { try tx.put(key(i), value(i, length: i % 50 == 0 ? 3000 : 40)) } }
        try store.write { tx throws in try tx.put(bytes("last"), bytes("commit")) }
        return path
    }

    func reopen(_ path: String) throws -> MappedStore {
        try? FileManager.default.removeItem(atPath: path + "-lock")
        return try MappedStore(path: path, options: .init(create: false))
    }

    func patch(_ path: String, at offset: Int, with bytes: [UInt8]) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try handle.seek(toOffset: UInt64(offset))
        handle.write(Data(bytes))
        try handle.close()
    }

    @Test func aFileThatIsNotAStoreIsAClearError() throws {
        let path = folder.file("text")
        try Data(String(repeating: "hello world\n", count: 2000).utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try MappedStore(path: path)
            Issue.record("expected an error")
        } catch let error as StoreError {
            #expect(error.reason == .notAStore)
            #expect(error.description.contains(path))
        }
        let tiny = folder.file("tiny")
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: tiny))
        #expect(throws: StoreError.self) { _ = try MappedStore(path: tiny) }
        #expect(throws: StoreError.self) { _ = try MappedStore(path: folder.file("absent"), options: .init(create: false)) }
    }

    @Test func openingAMissingStoreWithoutCreateLeavesNoFileBehind() throws {
        let path = folder.file("absent")
        #expect(throws: StoreError.self) { _ = try MappedStore(path: path, options: .init(create: false)) }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(!FileManager.default.fileExists(atPath: path + "-lock"))
    }

    @Test func anotherVersionIsNamed() throws {
        let path = try makeStore("version", entries: 10)
        for slot in 0..<2 {
            var page = [UInt8](repeating: 0, count: 4096)
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            try handle.seek(toOffset: UInt64(slot * 4096))
            page = Array(handle.readData(ofLength: 4096))
            try handle.close()
            page.withUnsafeMutableBytes { raw in
                raw.storeBytes(of: UInt32(99).littleEndian, toByteOffset: 40, as: UInt32.self)
                let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[4...]))
                raw.storeBytes(of: crc.littleEndian, toByteOffset: 0, as: UInt32.self)
            }
            try patch(path, at: slot * 4096, with: page)
        }
        #expect(throws: StoreError(path: path, reason: .unsupportedVersion(99))) { _ = try reopen(path) }
    }

    @Test func aDamagedNewestMetaFallsBackToThePreviousSnapshot() throws {
        let path = try makeStore("meta")
        let newest = try reopen(path).read { $0.txnID }
        // Damage the meta page that holds the newest transaction.
        let slot = try (0..<2).first { slot in
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            try handle.seek(toOffset: UInt64(slot * 4096 + 48))
            return handle.readData(ofLength: 8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } == newest
        }!
        try patch(path, at: slot * 4096 + 100, with: [0xFF, 0xEE])
        let store = try reopen(path)
        try store.read { tx throws in
            #expect(tx.txnID == newest - 1)
            #expect(try tx.get(bytes("last")) == nil)
            #expect(try tx.get(key(10)) == value(10, length: 40))
        }
        try expectIntact(store)
        // Both damaged: a clear error.
        try patch(path, at: (1 - slot) * 4096 + 100, with: [0xFF, 0xEE])
        #expect(throws: StoreError(path: path, reason: .noValidMeta)) { _ = try reopen(path) }
    }

    @Test func aTruncatedStoreIsAClearError() throws {
        let path = try makeStore("truncated")
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: UInt64(size / 3))
        try handle.close()
        do {
            _ = try reopen(path)
            Issue.record("expected an error")
        } catch let error as StoreError {
            guard case .truncated = error.reason else { Issue.record("unexpected \(error)"); return }
            #expect(error.description.contains("truncated"))
        }
    }

    /// Seeded fuzzing: flipped bytes anywhere past the meta pages; every read either works or
    /// throws a StoreError, `check` reports the damage, and nothing crashes or reads out of bounds.
    @Test func flippedBytesGiveErrorsOrDataNeverACrash() throws {
        let pristine = try makeStore("pristine")
        let image = try Data(contentsOf: URL(fileURLWithPath: pristine))
        var random = SplitMix64(state: 2026)
        var detected = 0
        for round in 0..<150 {
            var damaged = image
            for _ in 0..<Int.random(in: 1...8, using: &random) {
                let offset = Int.random(in: 8192..<damaged.count, using: &random)
                damaged[offset] ^= UInt8.random(in: 1...255, using: &random)
            }
            let path = folder.file("fuzz-\(round)")
            try damaged.write(to: URL(fileURLWithPath: path))
            let store: MappedStore
            do { store = try reopen(path) } catch is StoreError { continue }
            for verify in [false, true] {
                let checked = try MappedStore(path: path, options: .init(create: false, verifyChecksums: verify))
                do {
                    try checked.read { tx throws in
                        for i in stride(from: 0, to: 3000, by: 37) { _ = try tx.get(key(i)) }
                        _ = try tx.all()
                        var cursor = try tx.cursor()
                        var more = try cursor.last()
                        while more { more = try cursor.previous() }
                    }
                } catch is StoreError {}
            }
            do {
                try store.write { tx throws in for i in 0..<20 { try tx.put(key(i * 150), value(i)) } }
            } catch is StoreError {}
            if let report = try? store.check(), !report.isIntact { detected += 1 }
        }
        #expect(detected > 100, "check should notice most damage (\(detected) of 150)")
    }
}

@Suite("Failures during commit")
struct CommitFailureTests {
    let folder: StoreFolder
    init() throws { folder = try StoreFolder() }

    @Test func aFullDiskDuringCommitFailsCleanlyAndKeepsTheLastCommit() throws {
        let path = folder.file("db")
        var system = SystemCalls.live
        system.allocate = { fd, offset, length in offset + length > 3 << 20 ? ENOSPC : SystemCalls.live.allocate(fd, offset, length) }
        let store = try MappedStore(path: path, options: .init(system: system))
        try store.write { tx throws in for i in 0..<1000 { try tx.put(key(i), value(i)) } }
        do {
            try store.write { tx throws in for i in 0..<2000 { try tx.put(key(10_000 + i), value(i, length: 3000)) } }
            Issue.record("expected ENOSPC")
        } catch let error as StoreError {
            guard case .system(let underlying) = error.reason else { Issue.record("unexpected \(error)"); return }
            #expect(underlying.errno == ENOSPC)
            #expect(error.description.contains("Free disk space"))
        }
        try store.read { tx throws in
            #expect(try tx.info().entries == 1000)
            #expect(try tx.get(key(10_000)) == nil)
        }
        // Smaller commits still work, and the store is intact.
        try store.write { tx throws in try tx.put(bytes("after"), bytes("full disk")) }
        try expectIntact(store)
        let reopened = try MappedStore(path: path)
        #expect(try reopened.read { try $0.get(bytes("after")) } == bytes("full disk"))
    }

    /// A commit syncs its pages and meta page together (one sync): when that sync fails, the
    /// meta page may be on disk or not, so writes stop until the store is reopened, which
    /// finds the last whole commit.
    @Test func aFailedMetaSyncStopsWritesUntilReopen() throws {
        let path = folder.file("db")
        let failing = FailSwitch()
        var system = SystemCalls.live
        system.fdatasync = { fd in failing.isOn ? { currentErrnoSet(EIO); return -1 }() : SystemCalls.live.fdatasync(fd) }
        let store = try MappedStore(path: path, options: .init(system: system))
        try store.write { tx throws in try tx.put(bytes("a"), bytes("1")) }
        failing.isOn = true
        #expect(throws: StoreError.self) { try store.write { tx throws in try tx.put(bytes("b"), bytes("2")) } }
        failing.isOn = false
        try store.read { tx throws in #expect(try tx.get(bytes("b")) == nil) }
        do {
            try store.write { tx throws in try tx.put(bytes("c"), bytes("3")) }
            Issue.record("a write after a failed commit sync went through without a reopen")
        } catch let error as StoreError {
            guard case .needsReopen = error.reason else { Issue.record("unexpected \(error)"); return }
        }
        let reopened = try MappedStore(path: path, options: .init(system: system))
        try reopened.write { tx throws in try tx.put(bytes("c"), bytes("3")) }
        try reopened.read { tx throws in
            #expect(try tx.get(bytes("a")) == bytes("1"))
            #expect(try tx.get(bytes("c")) == bytes("3"))
        }
        try expectIntact(reopened)
    }

    /// Before the meta page is written (a commit too large to list its pages in it), a failed
    /// sync leaves the last commit in place and later writes go on.
    @Test func aFailedDataSyncOfALargeCommitFailsOnlyThatCommit() throws {
        let path = folder.file("db")
        let failing = FailSwitch()
        var system = SystemCalls.live
        system.fdatasync = { fd in failing.isOn ? { currentErrnoSet(EIO); return -1 }() : SystemCalls.live.fdatasync(fd) }
        system.fsync = { fd in failing.isOn ? { currentErrnoSet(EIO); return -1 }() : SystemCalls.live.fsync(fd) }
        let store = try MappedStore(path: path, options: .init(system: system))
        try store.write { tx throws in try tx.put(bytes("a"), bytes("1")) }
        failing.isOn = true
        #expect(throws: StoreError.self) {
            try store.write { tx throws in for i in 0..<20000 { try tx.put(key(i), value(i, length: 200)) } }
        }
        failing.isOn = false
        try store.read { tx throws in #expect(try tx.get(key(0)) == nil) }
        try store.write { tx throws in try tx.put(bytes("c"), bytes("3")) }
        try expectIntact(store)
    }

    @Test func finishedTransactionsAndUnknownTreesAreClearErrors() throws {
        let store = try MappedStore(path: folder.file("db"))
        var escaped: WriteTransaction?
        try store.write { tx throws in escaped = tx }
        #expect(throws: StoreError(path: store.path, reason: .transactionFinished)) { try escaped!.put(bytes("k"), bytes("v")) }
        #expect(throws: StoreError(path: store.path, reason: .treeNotFound("missing"))) {
            try store.write { tx throws in try tx.put(bytes("k"), bytes("v"), in: "missing") }
        }
        #expect(throws: StoreError.self) { try store.write { tx throws in try tx.createTree("") } }
    }
}

final class FailSwitch: @unchecked Sendable { var isOn = false }
func currentErrnoSet(_ code: Int32) { errno = code }
