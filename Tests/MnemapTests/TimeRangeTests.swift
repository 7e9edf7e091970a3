import Embeddings
import Foundation
import MnemapTestSupport
import Testing
@testable import Mnemap

/// Times outside what a store can hold are refused, and absurd times in queries match nothing:
/// neither traps (an HTTP client once crashed the server with createdAt 1e300).
@Suite struct TimeRangeTests {
    @Test func memoryTimesOutsideTheYears1To9999AreInvalidFields() throws {
        let folder = try TemporaryFolder()
        let store = try makeStore(folder)
        let far = Date(timeIntervalSince1970: 1e300)
        for memory in [
            NewMemory(text: "a", namespace: "n", createdAt: far), NewMemory(text: "b", namespace: "n", validFrom: Date(timeIntervalSince1970: -1e20)),
            NewMemory(text: "c", namespace: "n", expiresAt: far),
        ] {
            #expect(throws: MemoryError.self) { try store.add(memory) }
        }
        let id = try store.add(NewMemory(text: "fine", namespace: "n")).memory.id
        #expect(throws: MemoryError.self) { try store.update(id, MemoryChanges(validUntil: .some(far))) }
        #expect(try store.get(id)?.version == 0)
    }

    @Test func absurdTimesInFiltersMatchNothingInsteadOfTrapping() throws {
        let folder = try TemporaryFolder()
        let store = try makeStore(folder)
        try store.add(NewMemory(text: "the only memory", namespace: "n"))
        let later = MemoryFilter(createdAfter: Date(timeIntervalSince1970: 1e300))
        #expect(try store.search(SearchRequest(query: "memory", filter: later)).isEmpty)
        let earlier = MemoryFilter(createdBefore: Date(timeIntervalSince1970: -1e300), validAt: Date(timeIntervalSince1970: 1e300))
        #expect(try store.search(SearchRequest(query: "memory", mode: .vector, filter: earlier)).isEmpty)
        #expect(Timestamps.milliseconds(Date(timeIntervalSince1970: .infinity)) == .max)
        #expect(MemoryID.make(at: Date(timeIntervalSince1970: 1e300)).timestamp > Date(timeIntervalSince1970: 253_402_300_800))
    }
}
