import Foundation
import MnemapTestSupport
import Testing
@testable import Mnemap

/// Threads adding single memories at the same time share write transactions, and each still
/// gets exactly what adding alone would have given it.
@Suite struct GroupCommitTests {
    @Test func concurrentSingleAddsShareTransactionsAndAllLand() throws {
        let folder = try TemporaryFolder()
        let store = try makeStore(folder)
        let threads = 8
        let perThread = 40
        let results = ResultBox(count: threads * perThread)
        onThreads(threads) { thread in
            for i in 0..<perThread {
                let number = thread * perThread + i
                results.set(number, Result { try store.add(NewMemory(text: "note \(number) from agent \(thread)", namespace: "agents/\(thread)")) })
            }
        }
        var ids = Set<MemoryID>()
        for number in 0..<(threads * perThread) {
            let result = try #require(try results.get(number)?.get())
            #expect(result.outcome == .added)
            #expect(result.memory.text == "note \(number) from agent \(number / perThread)")
            ids.insert(result.memory.id)
        }
        #expect(ids.count == threads * perThread)
        #expect(try store.stats().memories == threads * perThread)
        for number in stride(from: 0, to: threads * perThread, by: 37) {
            let hits = try store.search(SearchRequest(query: "note \(number) from agent \(number / perThread)", mode: .text, limit: 1))
            #expect(hits.first?.memory.text == "note \(number) from agent \(number / perThread)")
        }
        #expect(store.groupCommit.grouped == threads * perThread)
        #expect(store.groupCommit.transactions < threads * perThread, "\(store.groupCommit.transactions) transactions for \(threads * perThread) adds")
        #expect(try store.check().problems == [])
    }

    @Test func concurrentAddsOfTheSameTextAddItOnce() throws {
        let folder = try TemporaryFolder()
        let store = try makeStore(folder)
        let results = ResultBox(count: 16)
        onThreads(16) { index in
            results.set(index, Result { try store.add(NewMemory(text: "the deploy key rotates on Fridays", namespace: "team")) })
        }
        let outcomes = try (0..<16).map { try #require(try results.get($0)?.get()).outcome }
        #expect(outcomes.filter { $0 == .added }.count == 1)
        #expect(outcomes.filter { $0 == .exactDuplicate }.count == 15)
        #expect(try store.stats().memories == 1)
    }

    @Test func aBadMemoryFailsAloneAndTheOthersLand() throws {
        let folder = try TemporaryFolder()
        let store = try makeStore(folder)
        let results = ResultBox(count: 12)
        onThreads(12) { index in
            // Every third is invalid (empty text): refused before it is queued.
            results.set(index, Result { try store.add(NewMemory(text: index % 3 == 0 ? "" : "memory \(index)", namespace: "n")) })
        }
        for index in 0..<12 {
            let result = try #require(results.get(index))
            if index % 3 == 0 {
                #expect(throws: MemoryError.self) { try result.get() }
            } else {
                #expect(try result.get().outcome == .added)
            }
        }
        #expect(try store.stats().memories == 8)
    }
}

/// Runs `body(i)` on `count` threads of their own (not a pool as wide as the cores: the adds
/// must overlap) and waits for all.
private func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        Thread.detachNewThread {
            body(index)
            group.leave()
        }
    }
    group.wait()
}

/// Results written by several threads.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<AddResult, any Error>?]
    init(count: Int) { results = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ result: Result<AddResult, any Error>) { lock.withLock { results[index] = result } }
    func get(_ index: Int) -> Result<AddResult, any Error>? { lock.withLock { results[index] } }
}
