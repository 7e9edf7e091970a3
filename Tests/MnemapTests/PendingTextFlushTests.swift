import Foundation
import MappedStore
import MnemapTestSupport
import Testing
@testable import Mnemap

/// Single adds leave their text pending; a background transaction writes it into the postings
/// once 32 are pending, and nothing a search returns changes when it does.
@Suite struct PendingTextFlushTests {
    private func pending(_ store: MemoryStore) throws -> Int {
        try store.store.read { tx in try TextIndex.pendingCount(in: tx) }
    }

    @Test func singleAddsArePostedInTheBackgroundFromThirtyTwoPending() throws {
        let folder = try TemporaryFolder()
        let store = try makeStore(folder)
        for number in 0..<(PendingTextFlush.threshold - 1) {
            try store.add(NewMemory(text: "note \(number) about the deploy window", namespace: "team"))
        }
        store.pendingTextFlush.wait()
        #expect(try pending(store) == PendingTextFlush.threshold - 1, "below the threshold nothing is flushed")
        #expect(store.pendingTextFlush.flushes == 0)
        let before = try store.search(SearchRequest(query: "deploy note 7", mode: .text, limit: 40))
        try store.add(NewMemory(text: "note \(PendingTextFlush.threshold - 1) about the deploy window", namespace: "team"))
        store.pendingTextFlush.wait()
        #expect(try pending(store) == 0)
        #expect(store.pendingTextFlush.flushes == 1)
        let after = try store.search(SearchRequest(query: "deploy note 7", mode: .text, limit: 40))
        // The same documents with the same scores, plus the new one.
        #expect(after.count == before.count + 1)
        let scores = Dictionary(uniqueKeysWithValues: after.map { ($0.memory.id, $0.textScore) })
        #expect(before.allSatisfy { scores[$0.memory.id] != nil })
        #expect(try store.check().problems == [])
    }

    @Test func aFlushThatCannotGetTheWriterGivesUpAndALaterOneWritesThem() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("store")
        let store = try MappedStore(path: path, options: .init(durability: .noSync))
        let id = { (number: Int) in withUnsafeBytes(of: UInt64(number).bigEndian) { [UInt8](repeating: 1, count: 8) + Array($0) } }
        for number in 0..<40 {
            try store.write { tx throws in try TextIndex.add(document: id(number), text: "fact \(number) about tea", in: tx) }
        }
        #expect(try store.read { tx in try TextIndex.pendingCount(in: tx) } == 40)
        // Another handle holds the writer lock while the flush is tried.
        let other = try MappedStore(path: path)
        let held = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let holder = Thread {
            try? other.write { _ in
                held.signal()
                release.wait()
            }
        }
        holder.start()
        held.wait()
        let flush = PendingTextFlush()
        let started = ContinuousClock.now
        flush.schedule(store)
        flush.wait()
        #expect(ContinuousClock.now - started < .seconds(10), "the flush gave up instead of waiting for the writer")
        #expect(flush.flushes == 0)
        #expect(try store.read { tx in try TextIndex.pendingCount(in: tx) } == 40, "nothing was lost or half written")
        release.signal()
        flush.schedule(store)
        flush.wait()
        #expect(flush.flushes == 1)
        #expect(try store.read { tx in try TextIndex.pendingCount(in: tx) } == 0)
        #expect(try store.read { tx in try TextIndex.problems(in: tx) } == [])
        let found = try store.read { tx in try TextIndex.search("tea", limit: 100, in: tx) }
        #expect(found.count == 40)
    }
}
