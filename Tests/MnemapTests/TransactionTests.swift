import Foundation
import MnemapTestSupport
import Testing
@testable import Mnemap

/// `MemoryStore.write` and `read`: several changes to memories and state as one transaction.
@Suite struct TransactionTests {
    @Test func memoriesAndStateCommitTogether() throws {
        let folder = try TemporaryFolder()
        let store = try makeStore(folder)
        let texts = ["Alice prefers green tea", "Alice works at Globex"]
        let vectors = try store.embed(texts)
        let ids = try store.write { tx -> [MemoryID] in
            let results = try tx.add(zip(texts, vectors).map { NewMemory(text: $0, namespace: "graph/alice", kind: .semantic, vector: $1) })
            try tx.setState(["observations": .array(results.map { .string($0.memory.id.description) })], for: "Alice", in: "graph")
            // Reads inside the transaction see its own changes.
            #expect(try tx.memory(withText: "Alice works at Globex", in: "graph/alice")?.id == results[1].memory.id)
            #expect(try tx.state("Alice", in: "graph") != nil)
            return results.map(\.memory.id)
        }
        #expect(try store.get(ids[0])?.text == "Alice prefers green tea")
        #expect(try store.state("Alice", in: "graph")?["observations"]?.arrayValue?.count == 2)
        let hits = try store.search(SearchRequest(query: "green tea", mode: .text, limit: 1))
        #expect(hits.first?.memory.id == ids[0])
        try expectIntact(store)
    }

    #if os(Linux)
    @Test func aHandleThatWritesAndSearchesMapsItsVectorsOnce() throws {
        // Searches use the writer's index handle once the handle has written: two mappings of
        // the same file would count its pages twice in the resident set. A failed write lets
        // go of the writer lock, so the next write (and searches) go on.
        let folder = try TemporaryFolder()
        let store = try makeStore(folder)
        _ = try store.search(SearchRequest(query: "tea", limit: 1))
        try store.add(NewMemory(text: "green tea in the morning", namespace: "a"))
        _ = try store.search(SearchRequest(query: "tea", limit: 1))
        struct Refused: Error {}
        #expect(throws: Refused.self) { try store.write { _ in throw Refused() } }
        try store.add(NewMemory(text: "black tea at night", namespace: "a"))
        #expect(try store.search(SearchRequest(query: "tea", limit: 5)).count == 2)
        let maps = try String(contentsOfFile: "/proc/self/maps", encoding: .utf8)
        let vectorMappings = maps.split(separator: "\n").filter { $0.hasSuffix(folder.path("memory") + "/vectors-1/vectors") }
        #expect(vectorMappings.count == 1, "\(vectorMappings)")
    }
    #endif

    @Test func aThrowingBodyWritesNothing() throws {
        struct Refused: Error {}
        let folder = try TemporaryFolder()
        let store = try makeStore(folder)
        let kept = try store.add(NewMemory(text: "kept", namespace: "a"))
        let vector = try store.embed(["lost"])[0]
        #expect(throws: Refused.self) {
            try store.write { tx in
                try tx.add([NewMemory(text: "lost", namespace: "a", vector: vector)])
                try tx.setState("x", for: "k", in: "a")
                _ = try tx.forget(kept.memory.id)
                throw Refused()
            }
        }
        #expect(try store.get(kept.memory.id) != nil)
        #expect(try store.state("k", in: "a") == nil)
        #expect(try store.timeline(namespace: "a").items.map(\.text) == ["kept"])
        // The vector appended by the rolled-back transaction is retired by the next write.
        try store.add(NewMemory(text: "after", namespace: "a"))
        #expect(try store.search(SearchRequest(query: "lost", mode: .vector, limit: 5)).allSatisfy { $0.memory.text != "lost" })
        try expectIntact(store)
    }

    @Test func addsInATransactionNeedVectors() throws {
        let folder = try TemporaryFolder()
        let store = try makeStore(folder)
        #expect(throws: MemoryError.self) {
            try store.write { tx in try tx.add([NewMemory(text: "no vector", namespace: "a")]) }
        }
        #expect(throws: MemoryError.self) {
            try store.write { tx in try tx.add([NewMemory(text: "short vector", namespace: "a", vector: [1, 2])]) }
        }
        #expect(try store.stats().memories == 0)
    }

    @Test func exactDuplicatesAndForgettingWorkInsideATransaction() throws {
        let folder = try TemporaryFolder()
        let store = try makeStore(folder)
        let first = try store.add(NewMemory(text: "speaks Spanish", namespace: "graph/e/bob"))
        let vectors = try store.embed(["speaks Spanish", "likes chess"])
        let outcomes = try store.write { tx in
            try tx.add(zip(["speaks Spanish", "likes chess"], vectors).map { NewMemory(text: $0, namespace: "graph/e/bob", vector: $1) }).map(\.outcome)
        }
        #expect(outcomes == [.exactDuplicate, .added])
        let forgotten = try store.write { tx in
            try tx.memories(in: "graph/e/bob").items.map { try tx.forget($0.id) }
        }
        #expect(forgotten == [true, true])
        #expect(try store.get(first.memory.id) == nil)
        #expect(try store.namespaces().items.isEmpty)
        try expectIntact(store)
    }

    @Test func aReadSeesOneSnapshot() throws {
        let folder = try TemporaryFolder()
        let store = try makeStore(folder)
        try store.setState(1, for: "n", in: "a")
        try store.add(NewMemory(text: "one", namespace: "a"))
        let seen = try store.read { snapshot -> (JSONValue?, Int) in
            // A write committed meanwhile (from another thread) does not change what the snapshot sees.
            let done = DispatchSemaphore(value: 0)
            Thread {
                try? store.setState(2, for: "n", in: "a")
                done.signal()
            }.start()
            done.wait()
            return (try snapshot.state("n", in: "a"), try snapshot.memories(in: "a").items.count)
        }
        #expect(seen.0 == 1 && seen.1 == 1)
        #expect(try store.state("n", in: "a") == 2)
        #expect(try store.read { try $0.stateEntries(in: "a").items.map(\.key) } == ["n"])
    }
}
