import Embeddings
import Foundation
import MnemapTestSupport
import Testing
@testable import Mnemap

/// Several agent processes on one store, and agents killed mid-write.
@Suite(.serialized) struct MemoryProcessTests {
    @Test func agentProcessesAddingAtOnceLoseNoWrite() throws {
        let folder = try TemporaryFolder()
        let store = try makeStore(folder)
        try store.add(NewMemory(text: "seed", namespace: "seed"))
        let writers = try (0..<3).map { agent in
            try ChildProcess("MnemapTestHelper", ["add", folder.path("memory"), "agent/\(agent)", "40", "agent\(agent)"])
        }
        let searcher = try ChildProcess("MnemapTestHelper", ["search", folder.path("memory"), "memory about topic 3"])
        var acknowledged: [MemoryID] = []
        for writer in writers {
            while let line = writer.readLine() {
                if line.hasPrefix("added ") { acknowledged.append(try MemoryID(String(line.dropFirst(6)))) }
            }
            #expect(writer.wait() == 0)
        }
        #expect(searcher.readLine()?.hasPrefix("hits ") == true)
        #expect(searcher.wait() == 0)
        #expect(acknowledged.count == 120)
        for id in acknowledged { #expect(try store.get(id) != nil) }
        for agent in 0..<3 {
            #expect(try store.timeline(namespace: "agent/\(agent)", limit: 100).items.count == 40)
        }
        #expect(try store.stats().memories == 121)
        try expectIntact(store)
    }

    @Test func killedWhileAddingLosesNothingCommitted() throws {
        let folder = try TemporaryFolder()
        _ = try makeStore(folder)
        var acknowledged: [MemoryID] = []
        for round in 0..<3 {
            let child = try ChildProcess("MnemapTestHelper", ["add", folder.path("memory"), "crash", "100000", "round\(round)"])
            var seen = 0
            while seen < 15 + round * 7, let line = child.readLine() {
                if line.hasPrefix("added ") {
                    acknowledged.append(try MemoryID(String(line.dropFirst(6))))
                    seen += 1
                }
            }
            child.kill()
            let store = try makeStore(folder)
            for id in acknowledged { #expect(try store.get(id) != nil, "acknowledged memory \(id) lost") }
            try expectIntact(store)
            // The store takes writes again at once (the dead writer's locks are gone).
            try store.add(NewMemory(text: "after crash \(round)", namespace: "crash"))
        }
        let store = try makeStore(folder)
        let hits = try store.search(SearchRequest(query: "round1 memory 3 about topic 3", mode: .vector, limit: 1))
        #expect(hits.first?.memory.namespace == "crash")
    }

    @Test func killedDuringBatchAddsLeavesWholeBatches() throws {
        let folder = try TemporaryFolder()
        _ = try makeStore(folder)
        let child = try ChildProcess("MnemapTestHelper", ["batches", folder.path("memory"), "bulk", "1000", "300", "bulk"])
        var batches = 0
        while batches < 3, let line = child.readLine() { if line.hasPrefix("batch ") { batches += 1 } }
        child.kill()
        let store = try makeStore(folder)
        let count = try store.stats().memories
        #expect(count % 300 == 0, "a batch is all or nothing")
        #expect(count >= 900)
        try expectIntact(store)
        try store.add(NewMemory(text: "after", namespace: "bulk"))
        try expectIntact(store)
    }

    @Test func killedDuringCompactionLosesNothing() throws {
        let folder = try TemporaryFolder()
        _ = try makeStore(folder)
        var kept: [MemoryID] = []
        for round in 0..<3 {
            let child = try ChildProcess("MnemapTestHelper", ["churn", folder.path("memory")])
            var compactions = 0
            while compactions < 2 + round, let line = child.readLine() {
                if line.hasPrefix("kept ") { kept.append(try MemoryID(String(line.dropFirst(5)))) }
                if line.hasPrefix("compacted ") { compactions += 1 }
            }
            // Let it get into the next compaction, then kill it.
            Thread.sleep(forTimeInterval: 0.005 * Double(round + 1))
            child.kill()
            let store = try makeStore(folder)
            for id in kept { #expect(try store.get(id) != nil, "kept memory \(id) lost") }
            try expectIntact(store)
            let hits = try store.search(SearchRequest(query: "churn 0 item 15", mode: .vector, limit: 1))
            #expect(hits.first?.memory.text == "churn 0 item 15")
        }
        let folders = try FileManager.default.contentsOfDirectory(atPath: folder.path("memory")).filter { $0.hasPrefix("vectors-") }
        #expect(folders.count <= 2, "at most one folder left by a crashed compaction: \(folders)")
    }
}
