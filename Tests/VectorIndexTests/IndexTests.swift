import Foundation
import Testing
import MnemapTestSupport
@testable import VectorIndex

@Suite("VectorIndex")
struct IndexTests {
    let folder: IndexFolder
    init() throws { folder = try IndexFolder() }

    @Test(arguments: [Metric.cosine, .innerProduct, .l2])
    func exactSearchEqualsAFloat64BruteForce(metric: Metric) throws {
        let vectors = randomVectors(1500, dimension: 70, seed: 1)
        let index = try VectorIndex.create(at: folder.folder("exact-\(metric)"), configuration: .init(dimension: 70, metric: metric, M: 8, efConstruction: 40))
        try index.add(contentsOf: vectors)
        let queries = randomVectors(10, dimension: 70, seed: 2)
        let batched = try index.exactSearch(queries, k: 10)
        for (query, batch) in zip(queries, batched) {
            #expect(try index.exactSearch(query, k: 10) == batch)
        }
        for query in queries {
            let found = try index.exactSearch(query, k: 10)
            let expected = bruteForce(query, vectors, k: 10, metric: metric)
            #expect(found.map { Int($0.id) } == expected.map(\.id))
            for (result, reference) in zip(found, expected) {
                #expect(abs(Double(result.score) - reference.score) < 1e-3 * max(1, abs(reference.score)))
            }
        }
    }

    @Test(arguments: [10, 6000])
    func exactSearchAmongIdsEqualsABruteForceOverThem(count: Int) throws {
        // 6,000 ids are searched on all cores; deleted, repeated and unknown ids are skipped.
        let vectors = randomVectors(8000, dimension: 24, seed: 3)
        let index = try VectorIndex.create(at: folder.folder("among-\(count)"), configuration: .init(dimension: 24, metric: .cosine, M: 8, efConstruction: 20))
        try index.add(contentsOf: vectors)
        try index.delete(7)
        var generator = SplitMix64(state: 4)
        let ids = (0..<count).map { _ in UInt32(generator.next() % 8000) } + [7, 7, 9_999_999]
        let query = randomVectors(1, dimension: 24, seed: 5)[0]
        let found = try index.exactSearch(query, k: 10, among: ids)
        let allowed = Set(ids.map(Int.init)).subtracting([7])
        let expected = bruteForce(query, vectors, k: vectors.count, metric: .cosine).filter { allowed.contains($0.id) }.prefix(10).map { $0.id }
        #expect(found.map { Int($0.id) } == Array(expected))
    }

    @Test(arguments: [100, 2000])
    func workDoneWhileLinkingSeesTheIdsAndTheBatchIsSearchable(count: Int) throws {
        // 100 vectors are linked after the work, on the calling thread; 2,000 by other threads
        // while it runs. Either way the ids are those a plain `add(contentsOf:)` gives, and the
        // graph finds the batch as well.
        let vectors = randomVectors(count, dimension: 16, seed: 11)
        let plain = try VectorIndex.create(at: folder.folder("plain-\(count)"), configuration: .init(dimension: 16, M: 8, efConstruction: 40))
        let overlapped = try VectorIndex.create(at: folder.folder("overlapped-\(count)"), configuration: .init(dimension: 16, M: 8, efConstruction: 40))
        try plain.add(contentsOf: Array(vectors[0..<10]))
        try overlapped.add(contentsOf: Array(vectors[0..<10]))
        let expectedIDs = try plain.add(contentsOf: Array(vectors[10...]))
        let (ids, seen) = try overlapped.add(contentsOf: Array(vectors[10...]), whileLinking: { ids in ids })
        #expect(ids == expectedIDs && seen == ids && ids.first == 10)
        #expect(overlapped.count == count)
        let queries = randomVectors(20, dimension: 16, seed: 12)
        let truth = try queries.map { try plain.exactSearch($0, k: 10).map { Int($0.id) } }
        #expect(recall(try overlapped.search(queries, k: 10), truth, k: 10) >= 0.9)
        #expect(overlapped.check().isIntact)

        // Work that fails: its error comes back, and the vectors are added and linked as by a plain add.
        struct Refused: Error {}
        #expect(throws: Refused.self) { _ = try overlapped.add(contentsOf: [vectors[0], vectors[1]], whileLinking: { _ in throw Refused() }) }
        #expect(overlapped.count == count + 2)
        #expect(try overlapped.search(vectors[0], k: 2).map(\.id).contains(UInt32(count)))
        #expect(overlapped.check().isIntact)
    }

    @Test func checkAcceptsLinksToUnpublishedNodesOnlyWhileAChangeIsInProgress() throws {
        // A writer killed mid-insert leaves reverse links to the node it never published; until
        // the next writer repairs them, `check` (run, say, by a reader after the crash) must not
        // call that damage. In an index that says it was committed, it is.
        let index = try VectorIndex.create(at: folder.folder("dangling"), configuration: .init(dimension: 8, M: 4, efConstruction: 20))
        try index.add(contentsOf: randomVectors(50, dimension: 8, seed: 13))
        try index.commit()
        try index.markDirty()
        let first = index.storage.neighbors(0, layer: 0, limit: 50)
        index.storage.setNeighbors(0, layer: 0, Array(first.prefix(index.configuration.M0 - 1)) + [50])
        #expect(index.check().isIntact, "\(index.check().problems)")
        index.storage.word(IndexStorage.dirtyOffset).store(0, ordering: .releasing)
        #expect(index.check().problems == ["node 0: layer 0 links to 50, past the 50 nodes"])
    }

    @Test func hnswRecallOnRealEmbeddings() throws {
        try #require(PyDocs.available, "needs ../shared/data/pydocs")
        let count = 4000
        let vectors = try PyDocs.floats("vectors.f32", limit: count)
        let queries = try PyDocs.floats("queries.f32", limit: 100)
        var recalls: [ElementType: Double] = [:]
        var truth: [[Int]] = []
        for type in ElementType.allCases {
            let index = try VectorIndex.create(at: folder.folder("pydocs-\(type)"), configuration: .init(dimension: 384, elementType: type, M: 16, efConstruction: 100))
            try index.add(contentsOf: vectors)
            if type == .float32 {
                // Exact search is checked against a Float64 brute force elsewhere; here it is the truth.
                truth = try queries.map { try index.exactSearch($0, k: 10).map { Int($0.id) } }
            }
            let found = try index.search(queries, k: 10)
            recalls[type] = recall(found, truth, k: 10)
        }
        print("recall@10 on \(count) pydocs vectors, efSearch 96: " + ElementType.allCases.map { "\($0) \(recalls[$0]!)" }.joined(separator: ", "))
        #expect(recalls[.float32]! >= 0.98, "Float32 recall@10 \(recalls[.float32]!)")
        #expect(recalls[.float16]! >= 0.98, "Float16 recall@10 \(recalls[.float16]!)")
        #expect(recalls[.int8]! >= 0.95, "Int8 recall@10 \(recalls[.int8]!)")
    }
}
