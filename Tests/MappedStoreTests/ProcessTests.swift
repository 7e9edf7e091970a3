import Foundation
import MappedMemory
import Testing
import MnemapTestSupport
@testable import MappedStore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `MappedStoreTestHelper` child process.
final class StoreHelper {
    let child: ChildProcess
    init(_ arguments: String...) throws { child = try ChildProcess("MappedStoreTestHelper", arguments) }
    func readLine() -> String? { child.readLine() }
    @discardableResult func wait() -> Int32 { child.wait() }
    func kill() { child.kill() }
}

@Suite("MappedStore across processes")
struct ProcessTests {
    let folder: StoreFolder
    init() throws { folder = try StoreFolder() }

    @Test func writersKilledAtRandomMomentsNeverDamageTheStore() throws {
        let path = folder.file("db")
        var random = SplitMix64(state: 11)
        var lastTotal = 0
        for round in 0..<12 {
            let writers = try (0..<2).map { id in try StoreHelper("writer", path, String(id), "0", String(1 + round % 3)) }
            for writer in writers { #expect(writer.readLine() == "ready") }
            usleep(UInt32.random(in: 5_000...60_000, using: &random))
            for writer in writers { writer.kill() }
            // The store opens consistent, and the next writer proceeds.
            let verifier = try StoreHelper("verify", path)
            let line = verifier.readLine() ?? "nothing"
            #expect(verifier.wait() == 0, "round \(round): \(line)")
            let total = Int(line.split(separator: " ").last ?? "") ?? -1
            #expect(total >= lastTotal, "round \(round): committed entries were lost")
            lastTotal = total
        }
        let store = try MappedStore(path: path)
        try store.write { tx throws in try tx.put(Array("after".utf8), Array("crashes".utf8)) }
        try expectIntact(store)
        #expect(lastTotal > 0)
    }

    @Test func readersSeeOnlyCommittedSnapshotsWhileOthersWrite() throws {
        let path = folder.file("db")
        do {
            let store = try MappedStore(path: path)
            try store.write { tx throws in try tx.put(Array("total".utf8), withUnsafeBytes(of: UInt64(0)) { Array($0) }) }
        }
        let readers = try (0..<2).map { _ in try StoreHelper("reader", path, "1500") }
        let writers = try (0..<2).map { id in try StoreHelper("writer", path, String(id), "300", "3") }
        for helper in readers + writers { #expect(helper.readLine() == "ready") }
        for writer in writers {
            #expect(writer.readLine() == "done 300")
            #expect(writer.wait() == 0)
        }
        for reader in readers {
            let line = reader.readLine() ?? "nothing"
            #expect(reader.wait() == 0, "\(line)")
            #expect(line.hasPrefix("ok"))
        }
        let store = try MappedStore(path: path)
        let total = try store.read { tx throws in try tx.withValue(for: Array("total".utf8)) { $0.loadUnaligned(as: UInt64.self) } }
        #expect(total == 1800)
        try expectIntact(store)
    }

    @Test func aKilledReadersSlotIsReclaimedSoPagesAreReusedAgain() throws {
        let path = folder.file("db")
        let store = try MappedStore(path: path)
        try store.write { tx throws in try tx.put(Array("total".utf8), withUnsafeBytes(of: UInt64(0)) { Array($0) }) }
        let reader = try StoreHelper("reader", path, "60000")
        #expect(reader.readLine() == "ready")
        usleep(100_000)
        reader.kill()
        // The dead reader's slot no longer pins old snapshots.
        for i in 0..<30 { try store.write { tx throws in try tx.put(key(i % 5), value(i)) } }
        let readers = store.lockFile.readers()
        #expect(readers.allSatisfy { $0.pid == getpid() })
        let before = try store.read { $0.meta.pageCount }
        for i in 0..<100 { try store.write { tx throws in try tx.put(key(i % 5), value(i)) } }
        let after = try store.read { $0.meta.pageCount }
        #expect(after <= before + 4)
    }

    @Test func manyThreadsReadWhileOneWrites() async throws {
        let store = try MappedStore(path: folder.file("db"))
        try store.write { tx throws in for i in 0..<1000 { try tx.put(key(i), value(i, version: 0)) } }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<200 {
                        try store.read { tx throws in
                            // Every snapshot holds one version for all keys: commits are all or nothing.
                            let first = try tx.get(key(0))!
                            let version = first.split(separator: UInt8(ascii: ":"))[0]
                            for i in stride(from: 0, to: 1000, by: 97) {
                                let value = try tx.get(key(i))!
                                #expect(value.split(separator: UInt8(ascii: "."))[1].split(separator: UInt8(ascii: ":"))[0] == first.split(separator: UInt8(ascii: "."))[1].split(separator: UInt8(ascii: ":"))[0])
                            }
                            _ = version
                        }
                    }
                }
            }
            group.addTask {
                for round in 1...50 {
                    try store.write { tx throws in for i in 0..<1000 { try tx.put(key(i), value(i, version: round)) } }
                }
            }
            try await group.waitForAll()
        }
        try expectIntact(store)
    }
}
