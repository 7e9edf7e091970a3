import Embeddings
import Foundation
import MnemapTestSupport
import Testing
import VectorIndex
@testable import Mnemap

/// A store in a fresh folder with the hashing embedder (64 dimensions: fast, no model needed).
func makeStore(_ folder: TemporaryFolder, name: String = "memory", options: MemoryStore.Options = MemoryStore.Options()) throws -> MemoryStore {
    try MemoryStore(path: folder.path(name), embedder: HashingEmbedder(dimension: 64), options: options)
}

@Suite struct MemoryStoreTests {
    @Test func addThenGetAndSearchSurvivesReopening() throws {
        let folder = try TemporaryFolder()
        var id: MemoryID
        do {
            let store = try makeStore(folder)
            let result = try store.add(NewMemory(text: "Alice prefers green tea in the morning", namespace: "user/alice", kind: .semantic, metadata: ["topic": "drinks"], importance: 0.8, source: "chat"))
            #expect(result.outcome == .added)
            id = result.memory.id
            try store.add(NewMemory(text: "Bob plays the cello on weekends", namespace: "user/bob"))
        }
        let store = try makeStore(folder)
        let memory = try #require(try store.get(id))
        #expect(memory.text == "Alice prefers green tea in the morning")
        #expect(memory.kind == .semantic && memory.importance == 0.8 && memory.source == "chat")
        #expect(memory.metadata["topic"] == .string("drinks"))
        let hits = try store.search(SearchRequest(query: "green tea", mode: .vector, limit: 2))
        #expect(hits.first?.memory.id == id)
        #expect(hits.first?.vectorScore != nil)
        try expectIntact(store)
    }

    @Test func exactDuplicatesAreDetectedPerNamespace() throws {
        let folder = try TemporaryFolder()
        let store = try makeStore(folder)
        let first = try store.add(NewMemory(text: "the deploy key is in the vault", namespace: "team/ops"))
        let again = try store.add(NewMemory(text: "the deploy key is in the vault", namespace: "team/ops"))
        #expect(again.outcome == .exactDuplicate)
        #expect(again.memory.id == first.memory.id)
        let elsewhere = try store.add(NewMemory(text: "the deploy key is in the vault", namespace: "team/dev"))
        #expect(elsewhere.outcome == .added)
        let forced = try store.add(NewMemory(text: "the deploy key is in the vault", namespace: "team/ops"), options: AddOptions(exactDuplicates: .add))
        #expect(forced.outcome == .added)
        #expect(try store.stats().memories == 3)
    }

    @Test func nearDuplicatesCanBeSkippedOrMerged() throws {
        let folder = try TemporaryFolder()
        let store = try makeStore(folder)
        let original = try store.add(NewMemory(text: "Alice likes green tea very much", namespace: "user/alice", metadata: ["a": 1]))
        let skipped = try store.add(NewMemory(text: "Alice likes green tea very much!", namespace: "user/alice"), options: AddOptions(nearDuplicates: .skip, nearDuplicateThreshold: 0.9))
        guard case .nearDuplicateSkipped = skipped.outcome else { Issue.record("\(skipped.outcome)"); return }
        let merged = try store.add(NewMemory(text: "alice likes green tea very much.", namespace: "user/alice", metadata: ["b": 2]), options: AddOptions(nearDuplicates: .update, nearDuplicateThreshold: 0.9))
        guard case .nearDuplicateUpdated = merged.outcome else { Issue.record("\(merged.outcome)"); return }
        #expect(merged.memory.id == original.memory.id)
        #expect(merged.memory.metadata == ["a": 1, "b": 2])
        #expect(try store.history(of: original.memory.id).map(\.text) == ["Alice likes green tea very much"])
        // A different namespace is never a near-duplicate.
        let other = try store.add(NewMemory(text: "Alice likes green tea very much!", namespace: "user/bob"), options: AddOptions(nearDuplicates: .skip, nearDuplicateThreshold: 0.9))
        #expect(other.outcome == .added)
        try expectIntact(store)
    }

    @Test func updateKeepsHistoryAndReindexes() throws {
        let folder = try TemporaryFolder()
        let store = try makeStore(folder)
        let id = try store.add(NewMemory(text: "the meeting is on monday", namespace: "team")).memory.id
        let updated = try store.update(id, MemoryChanges(text: "the meeting moved to thursday afternoon", importance: 0.9))
        #expect(updated.version == 1 && updated.importance == 0.9)
        #expect(updated.updatedAt >= updated.createdAt)
        #expect(try store.history(of: id).map(\.text) == ["the meeting is on monday"])
        let hits = try store.search(SearchRequest(query: "meeting moved to thursday afternoon", mode: .vector, limit: 1))
        #expect(hits.first?.memory.id == id)
        #expect(hits.first?.memory.text == "the meeting moved to thursday afternoon")
        #expect(throws: MemoryError.self) { try store.update(MemoryID.make(), MemoryChanges(importance: 0.1)) }
        #expect(throws: MemoryError.self) { try store.update(id, MemoryChanges(importance: 3)) }
        try expectIntact(store)
    }

    @Test func forgetRemovesEverywhereAndCompactReclaims() throws {
        let folder = try TemporaryFolder()
        let store = try makeStore(folder)
        let items = (0..<300).map { NewMemory(text: "note \($0) about subject \($0 % 10)", namespace: $0 < 200 ? "a/\($0 % 4)" : "b") }
        let ids = try store.add(contentsOf: items).map(\.memory.id)
        #expect(try store.forget(ids[0]))
        #expect(try !store.forget(ids[0]))
        #expect(try store.get(ids[0]) == nil)
        #expect(try store.forget(namespace: "a") == 199)
        #expect(throws: MemoryError.unknownNamespace("a")) { try store.forget(namespace: "a") }
        #expect(try store.timeline(namespace: "a", includingChildren: true).items.isEmpty)
        let hits = try store.search(SearchRequest(query: "note 5 about subject 5", mode: .vector, limit: 50))
        #expect(hits.allSatisfy { $0.memory.namespace == "b" })
        #expect(hits.count == 50)
        var stats = try store.stats()
        #expect(stats.memories == 100 && stats.unusedVectorSlots == 200)
        #expect(try store.compact() == 200)
        stats = try store.stats()
        #expect(stats.vectorSlots == 100 && stats.unusedVectorSlots == 0)
        let after = try store.search(SearchRequest(query: "note 250 about subject 0", mode: .vector, limit: 1))
        #expect(after.first?.memory.text == "note 250 about subject 0")
        try expectIntact(store)
        // Another handle (another process) follows the switch to the new index.
        let other = try makeStore(folder)
        #expect(try other.search(SearchRequest(query: "note 251 about subject 1", mode: .vector, limit: 1)).first?.memory.text == "note 251 about subject 1")
    }

    @Test func aSelectiveNamespaceFilterStillReturnsLimitResults() throws {
        let folder = try TemporaryFolder()
        let store = try makeStore(folder)
        var items = (0..<2000).map { NewMemory(text: "common memory number \($0)", namespace: "crowd") }
        items += (0..<12).map { NewMemory(text: "rare memory \($0) in a small namespace", namespace: "few/one") }
        try store.add(contentsOf: items)
        let hits = try store.search(SearchRequest(query: "common memory number 7", mode: .vector, limit: 10, filter: MemoryFilter(namespacePrefix: "few")))
        #expect(hits.count == 10)
        #expect(hits.allSatisfy { $0.memory.namespace == "few/one" })
        let none = try store.search(SearchRequest(query: "common memory", mode: .vector, limit: 10, filter: MemoryFilter(namespacePrefix: "fe")))
        #expect(none.isEmpty, "a namespace prefix matches whole path segments")
        let slash = try store.search(SearchRequest(query: "rare memory", mode: .vector, limit: 5, filter: MemoryFilter(namespacePrefix: "few/")))
        #expect(slash.count == 5, "a trailing slash names the same namespace")
    }

    @Test func filtersApplyInsideTheSearch() throws {
        let folder = try TemporaryFolder()
        let store = try makeStore(folder)
        let base = Date(timeIntervalSince1970: 1_700_000_000)
        var items: [NewMemory] = []
        for index in 0..<600 {
            let tags: JSONValue = index % 10 == 0 ? ["rare"] : ["common"]
            let metadata: [String: JSONValue] = ["priority": .number(Double(index % 5)), "tags": tags]
            let bounded = index % 4 == 0
            items.append(NewMemory(
                text: "observation \(index) about the garden", namespace: "agent/\(index % 3)", kind: index % 2 == 0 ? .episodic : .semantic,
                metadata: metadata, validFrom: bounded ? base : nil, validUntil: bounded ? base.addingTimeInterval(100) : nil,
                createdAt: base.addingTimeInterval(Double(index))
            ))
        }
        try store.add(contentsOf: items)
        let metadata = try MetadataExpression(parsing: #"priority >= 4 and tags contains "rare""#)
        #expect(try store.search(SearchRequest(query: "garden", mode: .vector, limit: 20, filter: MemoryFilter(metadata: metadata))).isEmpty, "no memory has priority 4 and the rare tag")
        let rare = try store.search(SearchRequest(query: "garden", mode: .vector, limit: 100, filter: MemoryFilter(metadata: try MetadataExpression(parsing: #"tags contains "rare""#))))
        #expect(rare.count == 60)
        let filter = MemoryFilter(namespacePrefix: "agent/1", kinds: [.semantic], createdAfter: base.addingTimeInterval(100), createdBefore: base.addingTimeInterval(400))
        let hits = try store.search(SearchRequest(query: "observation about the garden", mode: .vector, limit: 1000, filter: filter))
        let expected = (100..<400).filter { $0 % 3 == 1 && $0 % 2 == 1 }
        #expect(hits.count == expected.count)
        #expect(Set(hits.map(\.memory.text)) == Set(expected.map { "observation \($0) about the garden" }))
        let valid = try store.search(SearchRequest(query: "garden", mode: .vector, limit: 1000, filter: MemoryFilter(validAt: base.addingTimeInterval(200))))
        #expect(valid.count == 450, "the 150 memories valid only during the first 100 s are left out")
    }

    @Test func textAndHybridSearchSayWhyTheyMatched() throws {
        let folder = try TemporaryFolder()
        let store = try makeStore(folder)
        try store.add(contentsOf: [
            NewMemory(text: "The invoice for ACME-4471 was paid on Friday", namespace: "work"),
            NewMemory(text: "Remember to water the ferns", namespace: "home"),
            NewMemory(text: "Invoices are archived in the finance drive", namespace: "work"),
            NewMemory(text: "The cat's vet appointment is on Tuesday", namespace: "home"),
        ])
        let text = try store.search(SearchRequest(query: "acme-4471 invoice", mode: .text, limit: 3))
        #expect(text.first?.memory.text == "The invoice for ACME-4471 was paid on Friday")
        #expect(text.first?.textRank == 1 && text.first?.vectorScore == nil)
        #expect(text.count == 2, "only memories that share a word with the query")
        let hybrid = try store.search(SearchRequest(query: "invoices paid", mode: .hybrid, limit: 4))
        #expect(hybrid.count == 4)
        #expect(hybrid.contains { $0.textScore != nil && $0.vectorScore != nil })
        #expect(hybrid.map(\.score) == hybrid.map(\.score).sorted(by: >))
        let filtered = try store.search(SearchRequest(query: "invoice", mode: .text, limit: 3, filter: MemoryFilter(namespacePrefix: "home")))
        #expect(filtered.isEmpty)
        // Forgetting removes the words too; updating replaces them.
        let id = text[0].memory.id
        try store.update(id, MemoryChanges(text: "The invoice for ACME-9000 is overdue"))
        #expect(try store.search(SearchRequest(query: "4471", mode: .text)).isEmpty)
        #expect(try store.search(SearchRequest(query: "acme-9000", mode: .text)).first?.memory.id == id)
        try store.forget(id)
        #expect(try store.search(SearchRequest(query: "acme-9000", mode: .text)).isEmpty)
        try expectIntact(store)
    }

    @Test func recencyAndImportanceReorderResults() throws {
        let folder = try TemporaryFolder()
        let store = try makeStore(folder)
        let now = Date()
        try store.add(NewMemory(text: "project status update alpha", namespace: "p", importance: 0.1, createdAt: now.addingTimeInterval(-30 * 86400)))
        try store.add(NewMemory(text: "project status update beta", namespace: "p", importance: 0.9, createdAt: now.addingTimeInterval(-60)))
        let recent = try store.search(SearchRequest(query: "project status update alpha", mode: .vector, limit: 2, recencyHalfLife: 86400, now: now))
        #expect(recent.first?.memory.text == "project status update beta")
        let important = try store.search(SearchRequest(query: "project status update alpha", mode: .vector, limit: 2, importanceWeight: 1, now: now))
        #expect(important.first?.memory.text == "project status update beta")
        let plain = try store.search(SearchRequest(query: "project status update alpha", mode: .vector, limit: 2, now: now))
        #expect(plain.first?.memory.text == "project status update alpha")
    }

    @Test func supersedingAFactKeepsTheOldOneForThePast() throws {
        let folder = try TemporaryFolder()
        let store = try makeStore(folder)
        let old = try store.add(NewMemory(text: "Alice lives in Paris", namespace: "user/alice", kind: .semantic)).memory
        let before = Date()
        Thread.sleep(forTimeInterval: 0.01)
        let new = try store.supersede(old.id, with: NewMemory(text: "Alice lives in Berlin", namespace: "user/alice", kind: .semantic))
        #expect(new.metadata["supersedes"] == .string(old.id.description))
        let current = try store.search(SearchRequest(query: "where does alice live", mode: .vector, limit: 5, filter: MemoryFilter(validAt: Date())))
        #expect(current.map(\.memory.text) == ["Alice lives in Berlin"])
        let past = try store.search(SearchRequest(query: "where does alice live", mode: .vector, limit: 5, filter: MemoryFilter(validAt: before)))
        #expect(past.map(\.memory.text) == ["Alice lives in Paris"])
        try expectIntact(store)
    }

    @Test func expiredMemoriesAreSkippedThenPurged() throws {
        let folder = try TemporaryFolder()
        let store = try makeStore(folder)
        let past = Date().addingTimeInterval(-60)
        try store.add(NewMemory(text: "temporary code 1234", namespace: "otp", expiresAt: past))
        try store.add(NewMemory(text: "temporary code 5678", namespace: "otp", expiresAt: Date().addingTimeInterval(3600)))
        let hits = try store.search(SearchRequest(query: "temporary code", mode: .vector, limit: 10))
        #expect(hits.map(\.memory.text) == ["temporary code 5678"])
        #expect(try store.search(SearchRequest(query: "temporary code", mode: .vector, limit: 10, includeExpired: true)).count == 2)
        #expect(try store.purgeExpired() == 1)
        #expect(try store.stats().memories == 1)
        try expectIntact(store)
    }

    @Test func timelinePagesInTimeOrder() throws {
        let folder = try TemporaryFolder()
        let store = try makeStore(folder)
        let base = Date(timeIntervalSince1970: 1_700_000_000)
        try store.add(contentsOf: (0..<25).map { NewMemory(text: "turn \($0)", namespace: "chat/\($0 % 2)", createdAt: base.addingTimeInterval(Double($0))) })
        var texts: [String] = []
        var next: String?
        repeat {
            let page = try store.timeline(namespace: "chat", includingChildren: true, after: next, limit: 10)
            texts += page.items.map(\.text)
            next = page.next
        } while next != nil
        #expect(texts == (0..<25).map { "turn \($0)" })
        let newest = try store.timeline(namespace: "chat/1", limit: 3, newestFirst: true)
        #expect(newest.items.map(\.text) == ["turn 23", "turn 21", "turn 19"])
        let second = try store.timeline(namespace: "chat/1", after: newest.next, limit: 3, newestFirst: true)
        #expect(second.items.map(\.text) == ["turn 17", "turn 15", "turn 13"])
        #expect(try store.timeline(namespace: "chat").items.isEmpty)
    }

    @Test func agentStateIsTransactional() throws {
        let folder = try TemporaryFolder()
        let store = try makeStore(folder)
        try store.setState(["step": 3, "goal": "book a flight"], for: "plan", in: "agent/1")
        #expect(try store.state("plan", in: "agent/1")?["step"] == .number(3))
        try store.updateState("counter", in: "agent/1") { value in .number((value?.numberValue ?? 0) + 1) }
        try store.updateState("counter", in: "agent/1") { value in .number((value?.numberValue ?? 0) + 1) }
        #expect(try store.state("counter", in: "agent/1") == .number(2))
        #expect(try store.stateEntries(in: "agent/1").items.map(\.key) == ["counter", "plan"])
        let page = try store.stateEntries(in: "agent/1", limit: 1)
        #expect(page.items.map(\.key) == ["counter"])
        #expect(try store.stateEntries(in: "agent/1", after: page.next, limit: 1).items.map(\.key) == ["plan"])
        #expect(try store.deleteState("plan", in: "agent/1"))
        #expect(try store.state("plan", in: "agent/1") == nil)
        #expect(try store.state("counter", in: "agent/2") == nil)
    }

    @Test func exportThenImportIsAnIdentity() throws {
        let folder = try TemporaryFolder()
        let store = try makeStore(folder)
        var items = (0..<40).map { NewMemory(text: "fact \($0)", namespace: "n/\($0 % 3)", kind: .semantic, metadata: ["i": .number(Double($0)), "tags": ["x", "y"]], importance: 0.25, source: "test") }
        items[3].validUntil = Date(timeIntervalSince1970: 2_000_000_000)
        items[4].expiresAt = Date().addingTimeInterval(9999)
        items.append(NewMemory(text: "fact 0", namespace: "n/0"))
        let ids = try store.add(contentsOf: items, options: AddOptions(exactDuplicates: .add)).map(\.memory.id)
        try store.update(ids[5], MemoryChanges(metadata: ["changed": true]))
        let file = folder.path("export.jsonl")
        #expect(try store.exportJSONLines(to: file) == 41)
        let copy = try makeStore(folder, name: "copy")
        let progress = try copy.importJSONLines(from: file)
        #expect(progress.added == 41 && progress.skipped == 0)
        for id in ids {
            #expect(try copy.get(id) == store.get(id))
        }
        let second = folder.path("export2.jsonl")
        try copy.exportJSONLines(to: second)
        #expect(FileManager.default.contents(atPath: file) == FileManager.default.contents(atPath: second))
        // Importing again resumes: nothing is added twice.
        #expect(try copy.importJSONLines(from: file).skipped == 41)
        try expectIntact(copy)
    }

    @Test func aBadImportLineIsNamedAndEarlierBatchesStay() throws {
        let folder = try TemporaryFolder()
        let store = try makeStore(folder)
        let file = folder.path("in.jsonl")
        var lines = (0..<10).map { #"{"text": "line \#($0)", "namespace": "imp"}"# }
        lines.insert(#"{"text": "bad", "namespace": "imp", "vector": [1, 2]}"#, at: 7)
        try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        do {
            try store.importJSONLines(from: file, batchSize: 5)
            Issue.record("imported a bad line")
        } catch let error as MemoryError {
            #expect(error.description.contains("line 8"))
            #expect(error.description.contains("64"))
        }
        #expect(try store.stats().memories == 7, "the batches before the bad line are in")
        lines.remove(at: 7)
        try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let progress = try store.importJSONLines(from: file, batchSize: 5)
        #expect(progress.added == 3 && progress.skipped == 7)
        for bad in [#"{"namespace": "x"}"#, #"{"text": "t", "namespace": "a//b"}"#, #"{"text": "t", "namespace": "a", "kind": "dream"}"#, "not json", #"{"text": "t", "namespace": "a", "colour": 1}"#] {
            try bad.write(toFile: file, atomically: true, encoding: .utf8)
            #expect(throws: MemoryError.self) { try store.importJSONLines(from: file) }
        }
    }

    @Test func openingChecksTheFolderAndTheEmbedder() throws {
        let folder = try TemporaryFolder()
        _ = try makeStore(folder)
        #expect(throws: MemoryError.self) { try MemoryStore(path: folder.path("memory"), embedder: HashingEmbedder(dimension: 32)) }
        #expect(throws: MemoryError.self) { try MemoryStore(path: folder.path("absent"), embedder: nil, options: MemoryStore.Options(create: false)) }
        try FileManager.default.createDirectory(atPath: folder.path("busy"), withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: folder.path("busy/notes.txt"), contents: Data("mine".utf8))
        #expect(throws: MemoryError.self) { try makeStore(folder, name: "busy") }
        #expect(FileManager.default.fileExists(atPath: folder.path("busy/notes.txt")), "never deletes a user's files")
        try "{".write(toFile: folder.path("memory/manifest.json"), atomically: true, encoding: .utf8)
        do {
            _ = try makeStore(folder)
            Issue.record("opened a damaged manifest")
        } catch let error as MemoryError {
            #expect(error.description.contains("manifest.json"))
        }
        // Without an embedder: vectors must be given, text search still works.
        let bare = try MemoryStore(path: folder.path("bare"), embedder: nil, dimension: 4)
        #expect(throws: MemoryError.self) { try bare.add(NewMemory(text: "no vector", namespace: "x")) }
        try bare.add(NewMemory(text: "with vector", namespace: "x", vector: [1, 0, 0, 0]))
        #expect(try bare.search(SearchRequest(query: "", vector: [1, 0, 0, 0], mode: .vector, limit: 1)).count == 1)
        #expect(throws: MemoryError.self) { try bare.search(SearchRequest(query: "with", mode: .vector)) }
    }

    @Test func invalidInputGetsClearErrors() throws {
        let folder = try TemporaryFolder()
        let store = try makeStore(folder)
        let cases: [(NewMemory, String)] = [
            (NewMemory(text: "  ", namespace: "a"), "empty"),
            (NewMemory(text: "t", namespace: ""), "namespace"),
            (NewMemory(text: "t", namespace: "a/"), "empty segment"),
            (NewMemory(text: "t", namespace: "a", importance: 1.5), "importance"),
            (NewMemory(text: "t", namespace: "a", vector: [1, 2, 3]), "64"),
        ]
        for (memory, message) in cases {
            do {
                try store.add(memory)
                Issue.record("accepted \(memory)")
            } catch let error as MemoryError {
                #expect(error.description.contains(message), "\(error)")
            }
        }
        #expect(throws: MemoryError.self) { try store.search(SearchRequest(query: "x", limit: 0)) }
        #expect(throws: MemoryError.self) { try store.timeline(namespace: "a", limit: 5000) }
        #expect(try store.stats().memories == 0)
    }

    @Test func anOrphanVectorFromACrashIsRetiredAndNeverReturned() throws {
        let folder = try TemporaryFolder()
        let store = try makeStore(folder)
        try store.add(NewMemory(text: "real memory", namespace: "n"))
        // A crash after the index commit and before the store commit leaves a vector no memory uses.
        do {
            let index = try VectorIndex(directory: folder.path("memory/vectors-1"), writable: true)
            try index.add(try HashingEmbedder(dimension: 64).embed("orphan vector"))
            try index.commit()
        }
        var hits = try store.search(SearchRequest(query: "orphan vector", mode: .vector, limit: 5))
        #expect(hits.map(\.memory.text) == ["real memory"])
        // The next write retires it.
        try store.add(NewMemory(text: "second memory", namespace: "n"))
        hits = try store.search(SearchRequest(query: "orphan vector", mode: .vector, limit: 5))
        #expect(Set(hits.map(\.memory.text)) == ["real memory", "second memory"])
        #expect(try store.stats().unusedVectorSlots == 1)
        try expectIntact(store)
    }
}

/// `check` finds nothing wrong (the problems are printed when it does).
func expectIntact(_ store: MemoryStore, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let problems = try store.check().problems
    #expect(problems == [], sourceLocation: sourceLocation)
}

@Suite struct DamagedMemoryStoreTests {
    @Test func aMissingVectorIndexIsAClearError() throws {
        let folder = try TemporaryFolder()
        do {
            let store = try makeStore(folder)
            try store.add(NewMemory(text: "something", namespace: "n"))
        }
        try FileManager.default.removeItem(atPath: folder.path("memory/vectors-1"))
        let store = try makeStore(folder)
        do {
            _ = try store.search(SearchRequest(query: "something", mode: .vector))
            Issue.record("searched without an index")
        } catch let error as MemoryError {
            #expect(error.description.contains("vectors-1"), "\(error)")
        }
        // The records are still readable.
        #expect(try store.timeline(namespace: "n").items.count == 1)
    }

    @Test func aDamagedStoreFileIsAClearError() throws {
        let folder = try TemporaryFolder()
        do {
            let store = try makeStore(folder)
            try store.add(contentsOf: (0..<50).map { NewMemory(text: "memory \($0)", namespace: "n") })
        }
        let path = folder.path("memory/store")
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.truncate(atOffset: 100)
        try handle.close()
        do {
            let store = try makeStore(folder)
            _ = try store.stats()
            Issue.record("opened a truncated store")
        } catch let error as MemoryError {
            #expect(error.description.contains("store"), "\(error)")
        }
    }

    @Test func aFlippedByteIsFoundByCheck() throws {
        let folder = try TemporaryFolder()
        do {
            let store = try makeStore(folder)
            try store.add(contentsOf: (0..<200).map { NewMemory(text: "memory number \($0) with some words", namespace: "n/\($0 % 5)") })
        }
        let path = folder.path("memory/store")
        var bytes = try #require(FileManager.default.contents(atPath: path))
        // A byte of every tree page (past the two meta pages): one of them is live.
        for page in 2..<(bytes.count / 4096) { bytes[page * 4096 + 3000] ^= 0xFF }
        try bytes.write(to: URL(fileURLWithPath: path))
        let store = try makeStore(folder)
        let report = try store.check()
        #expect(!report.isIntact)
        #expect(report.problems.contains { $0.contains("page") }, "\(report.problems)")
    }
}
