import Foundation
import MnemapTestSupport
import Testing
@testable import Mnemap

/// Text search with a namespace filter gives what the unfiltered search gives, kept to the
/// namespace: the same memories, order and scores, whether the filter is selective enough for
/// the search to visit only the namespace's documents or not.
@Suite struct NamespaceTextSearchTests {
    @Test func namespaceFilteredTextSearchEqualsTheUnfilteredRankingKeptToTheNamespace() throws {
        let folder = try TemporaryFolder()
        let store = try makeStore(folder)
        var random = SplitMix64(state: 42)
        let vocabulary = (0..<150).map { "word\($0)x" }
        func text() -> String {
            (0..<Int.random(in: 4...18, using: &random)).map { _ in vocabulary[Int(150 * pow(Double.random(in: 0..<1, using: &random), 2.5))] }.joined(separator: " ")
        }
        // Mostly big namespaces; two small ones under "small" (far below 1/32 of the store).
        func namespace(_ number: Int) -> String {
            switch number % 100 {
            case 0: "small/a"
            case 1 where number % 200 == 1: "small/b/deep"
            default: "big/\(number % 7)"
            }
        }
        // Batches (into the postings), then single adds (pending text), then changes.
        var number = 0
        for _ in 0..<6 {
            let batch = (0..<500).map { _ -> NewMemory in
                defer { number += 1 }
                return NewMemory(text: text() + " n\(number)", namespace: namespace(number))
            }
            _ = try store.add(contentsOf: batch)
        }
        var small: [MemoryID] = []
        for _ in 0..<40 {
            let result = try store.add(NewMemory(text: text() + " n\(number)", namespace: number % 4 == 0 ? "small/a" : namespace(number)))
            if result.memory.namespace.hasPrefix("small") { small.append(result.memory.id) }
            number += 1
        }
        for id in small.prefix(4) { _ = try store.update(id, MemoryChanges(text: text() + " changed")) }
        for id in small.suffix(3) { #expect(try store.forget(id)) }

        // A store written before timeline entries held the text document number: the small
        // namespaces' entries lose it, and the search looks the numbers up instead.
        try store.store.write { tx in
            var old: [([UInt8], [UInt8])] = []
            try tx.scan(in: StoreLayout.timeline, prefix: Array("small/a".utf8) + [0]) { key, value in
                old.append((Array(key), Array(value.prefix(4))))
                return true
            }
            for (key, value) in old.prefix(old.count / 2) { try tx.put(key, value, in: StoreLayout.timeline) }
        }
        #expect(try store.check().problems == [])

        var compared = 0
        for round in 0..<40 {
            var words = (0..<Int.random(in: 1...3, using: &random)).map { _ in vocabulary[Int(40 * pow(Double.random(in: 0..<1, using: &random), 2))] }
            if round % 2 == 0 { words.append(vocabulary[Int.random(in: 40..<150, using: &random)]) }
            let query = words.joined(separator: " ")
            let limit = [1, 5, 10, 30][round % 4]
            let everything = try store.search(SearchRequest(query: query, mode: .text, limit: 1000))
            for prefix in ["small", "small/a", "small/b", "big/3"] {
                let found = try store.search(SearchRequest(query: query, mode: .text, limit: limit, filter: MemoryFilter(namespacePrefix: prefix)))
                let expected = Array(everything.filter { MemoryFilter.namespace($0.memory.namespace, matchesPrefix: prefix) }.prefix(limit))
                // The reference is complete unless the unfiltered search was cut at 1,000.
                guard everything.count < 1000 || expected.count == limit else { continue }
                #expect(found.map(\.memory.id) == expected.map(\.memory.id), "\(query), \(prefix), limit \(limit)")
                #expect(found.map(\.score) == expected.map(\.score), "\(query), \(prefix): scores")
                compared += 1
            }
        }
        #expect(compared > 120)
    }
}
