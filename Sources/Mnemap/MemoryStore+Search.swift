import Embeddings
import Foundation
import MappedStore
import VectorIndex

/// How a search finds memories.
public enum SearchMode: String, Sendable, CaseIterable {
    /// Nearest neighbours of the query's embedding.
    case vector
    /// BM25 over the words of the texts.
    case text
    /// Both, fused by reciprocal rank (weights in ``SearchRequest``).
    case hybrid
}

/// A search: the query, the mode, filters and scoring.
public struct SearchRequest: Sendable {
    public var query: String
    /// The query's embedding when the caller has it (the store's embedder is not used then).
    public var vector: [Float]?
    public var mode: SearchMode
    /// Results to return, 1 to 1,000.
    public var limit: Int
    /// Only memories this filter matches are returned; the filter is applied inside the searches,
    /// so a selective filter still gives `limit` results when that many match.
    public var filter: MemoryFilter
    /// Return memories whose expiry time has passed (by default they are skipped).
    public var includeExpired: Bool
    /// Reciprocal-rank-fusion weights of the vector and the text ranking (hybrid mode).
    public var vectorWeight: Double
    public var textWeight: Double
    /// With a half-life, a memory's score is multiplied by 0.5^(age / halfLife) (age since creation).
    public var recencyHalfLife: TimeInterval?
    /// 0 to 1: the score is multiplied by (1 − w) + w · importance.
    public var importanceWeight: Double
    /// The instant "now" for recency and expiry.
    public var now: Date

    public init(
        query: String, vector: [Float]? = nil, mode: SearchMode = .hybrid, limit: Int = 10, filter: MemoryFilter = MemoryFilter(),
        includeExpired: Bool = false, vectorWeight: Double = 1, textWeight: Double = 1, recencyHalfLife: TimeInterval? = nil,
        importanceWeight: Double = 0, now: Date = Date()
    ) {
        self.query = query
        self.vector = vector
        self.mode = mode
        self.limit = limit
        self.filter = filter
        self.includeExpired = includeExpired
        self.vectorWeight = vectorWeight
        self.textWeight = textWeight
        self.recencyHalfLife = recencyHalfLife
        self.importanceWeight = importanceWeight
        self.now = now
    }
}

/// One search result and why it matched.
public struct SearchHit: Sendable {
    public var memory: Memory
    /// The final score (higher is better): the mode's relevance times the recency and importance factors.
    public var score: Double
    /// Cosine similarity to the query vector, when the vector search found it.
    public var vectorScore: Float?
    /// 1-based rank in the vector search.
    public var vectorRank: Int?
    /// BM25 score, when the text search found it.
    public var textScore: Double?
    /// 1-based rank in the text search.
    public var textRank: Int?
}

extension MemoryStore {
    /// The rank constant of reciprocal rank fusion (as in Cormack et al.).
    static let fusionConstant = 60.0

    /// Searches memories by meaning, words or both.
    ///
    /// Cost: vector mode is an HNSW search (exact over the candidates when the filter keeps few);
    /// text mode scans the postings of the query's terms; hybrid does both. Reads run on a snapshot
    /// and never wait for writers.
    /// - Throws: `.invalidField` (limit out of range, vector mode without embedder or vector),
    ///   `.wrongDimension`.
    public func search(_ request: SearchRequest) throws -> [SearchHit] {
        guard (1...1000).contains(request.limit) else { throw MemoryError.invalidField("limit \(request.limit) is outside 1 to 1000; page with a filter on time instead.") }
        guard (0...1).contains(request.importanceWeight) else { throw MemoryError.invalidField("importanceWeight must be between 0 and 1.") }
        if let halfLife = request.recencyHalfLife, !(halfLife > 0) { throw MemoryError.invalidField("recencyHalfLife must be positive.") }
        var queryVector = request.vector
        if request.mode != .text, queryVector == nil {
            if embedder != nil {
                queryVector = try vectors(for: [(request.query, nil)])[0]
            } else if request.mode == .vector {
                throw MemoryError.invalidField("vector search needs a query vector or the \(manifest.embedder) embedder; or use text mode.")
            }
        }
        if let vector = queryVector, vector.count != manifest.dimension { throw MemoryError.wrongDimension(expected: manifest.dimension, got: vector.count) }
        let rescoring = request.recencyHalfLife != nil || request.importanceWeight > 0
        let candidates = request.mode == .hybrid || rescoring ? max(request.limit * 3, 30) : request.limit
        return try reading { tx, snapshot in
            let gate = Gate(store: self, tx: tx, snapshot: snapshot, filter: request.filter, includeExpired: request.includeExpired, now: request.now)
            var vectorHits: [(id: MemoryID, score: Float)] = []
            var textHits: [(id: MemoryID, score: Double)] = []
            // Read once for both searches.
            let namespaces = try request.filter.namespacePrefix.map { try NamespaceTimeline(prefix: $0, store: self, tx: tx) }
            if request.mode != .text, let vector = queryVector {
                vectorHits = try vectorSearch(vector, limit: candidates, gate: gate, namespaces: namespaces)
            }
            if request.mode != .vector {
                let within = try textDocuments(gate: gate, namespaces: namespaces)
                textHits = try TextIndex.search(request.query, limit: candidates, in: tx, within: within) { document in
                    gate.accepts(record: MemoryID(unchecked: document))
                }.map { (MemoryID(unchecked: $0.id), $0.score) }
            }
            var hits: [MemoryID: SearchHit] = [:]
            var order: [MemoryID] = []
            func hit(_ id: MemoryID) throws -> SearchHit? {
                if let existing = hits[id] { return existing }
                guard let stored = try load(id, in: tx) else { return nil }
                order.append(id)
                return SearchHit(memory: stored.memory, score: 0)
            }
            for (rank, item) in vectorHits.enumerated() {
                guard var entry = try hit(item.id) else { continue }
                entry.vectorScore = item.score
                entry.vectorRank = rank + 1
                entry.score += request.mode == .vector ? Double(item.score) : request.vectorWeight / (Self.fusionConstant + Double(rank + 1))
                hits[item.id] = entry
            }
            for (rank, item) in textHits.enumerated() {
                guard var entry = try hit(item.id) else { continue }
                entry.textScore = item.score
                entry.textRank = rank + 1
                entry.score += request.mode == .text ? item.score : request.textWeight / (Self.fusionConstant + Double(rank + 1))
                hits[item.id] = entry
            }
            var results = order.compactMap { hits[$0] }
            if rescoring {
                for index in results.indices {
                    let memory = results[index].memory
                    if let halfLife = request.recencyHalfLife {
                        let age = max(0, request.now.timeIntervalSince(memory.createdAt))
                        results[index].score *= pow(0.5, age / halfLife)
                    }
                    results[index].score *= (1 - request.importanceWeight) + request.importanceWeight * memory.importance
                }
            }
            // Stable: equal scores keep the engines' order, so a search asked for more results
            // begins with the results of the same search asked for fewer (pages do not overlap).
            results = results.enumerated().sorted { $0.element.score != $1.element.score ? $0.element.score > $1.element.score : $0.offset < $1.offset }.map(\.element)
            return Array(results.prefix(request.limit))
        }
    }

    /// The text documents of the namespaces under the filter's prefix, when they are few enough
    /// that visiting each beats walking the query terms' postings and turning others down (at most
    /// ``textCandidateLimit``, and at most 1/32 of the indexed documents); nil otherwise.
    private func textDocuments(gate: Gate, namespaces: NamespaceTimeline?) throws -> [UInt32]? {
        guard let namespaces else { return nil }
        let documents = try TextIndex.statistics(in: gate.tx).documents
        guard namespaces.total <= Self.textCandidateLimit, namespaces.total <= documents / 32 else { return nil }
        // The numbers the timeline entries hold; entries that predate them are looked up by id.
        let entries = try namespaces.entries()
        var numbers = entries.textNumbers
        if !entries.unnumberedIDs.isEmpty {
            numbers += try entries.unnumberedIDs.withUnsafeBytes { try TextIndex.documentNumbers(ofIDs: $0, in: gate.tx) }
        }
        numbers.sort()
        return numbers
    }

    /// The most memories a namespace filter may keep for text search to visit them one by one.
    static let textCandidateLimit = 50_000

    /// The vector search with the filter inside it: exact over the filter's candidates when a
    /// namespace prefix keeps few of them, HNSW with the filter as predicate otherwise (and exact
    /// over everything when the graph walk finds fewer than `limit`).
    private func vectorSearch(_ vector: [Float], limit: Int, gate: Gate, namespaces: NamespaceTimeline?) throws -> [(id: MemoryID, score: Float)] {
        let index = try gate.snapshot.index
        var results: [SearchResult]
        let accounted = Int(gate.snapshot.accounted)
        var explicit: [UInt32]?
        if let namespaces, namespaces.total <= max(20_000, accounted / 50) {
            explicit = try namespaces.entries().slots
        }
        if var slots = explicit {
            if gate.needsFacts(namespaceKnown: true) || !gate.snapshot.pending.isEmpty {
                slots = slots.filter { gate.accepts(slot: $0, namespaceKnown: true) }
            }
            results = try index.exactSearch(vector, k: limit, among: slots)
        } else {
            let filtered = gate.needsFacts(namespaceKnown: false) || !gate.snapshot.pending.isEmpty || index.count > accounted
            results = try index.search(vector, k: limit, filter: filtered ? .predicate { gate.accepts(slot: $0, namespaceKnown: false) } : nil)
            if filtered, results.count < limit {
                results = try index.exactSearch(vector, k: limit, filter: .predicate { gate.accepts(slot: $0, namespaceKnown: false) })
            }
        }
        return results.compactMap { result in
            guard let facts = gate.facts(result.id) else { return nil }
            return (facts.id, result.score)
        }
    }
}

/// Decides which memories a search may return, from the cheapest facts first.
struct Gate {
    let store: MemoryStore
    let tx: ReadTransaction
    let snapshot: Snapshot
    let filter: MemoryFilter
    let includeExpired: Bool
    let now: Date
    let nowMilliseconds: Int64
    /// Whether any memory may have expired by now.
    let expiryMatters: Bool

    init(store: MemoryStore, tx: ReadTransaction, snapshot: Snapshot, filter: MemoryFilter, includeExpired: Bool, now: Date) {
        self.store = store
        self.tx = tx
        self.snapshot = snapshot
        self.filter = filter
        self.includeExpired = includeExpired
        self.now = now
        let milliseconds = Timestamps.milliseconds(now)
        nowMilliseconds = milliseconds
        expiryMatters = !includeExpired && (snapshot.earliestExpiry.map { $0 <= milliseconds } ?? false)
    }

    /// Whether accepting a slot needs its facts (beyond being live).
    func needsFacts(namespaceKnown: Bool) -> Bool {
        expiryMatters || filter.kinds != nil || filter.createdAfter != nil || filter.createdBefore != nil || filter.validAt != nil
            || filter.metadata != nil || (!namespaceKnown && filter.namespacePrefix != nil)
    }

    func facts(_ slot: UInt32) -> RecordCodec.Facts? {
        ((try? tx.withValue(for: StoreLayout.slotKey(slot), in: StoreLayout.vectors, RecordCodec.decodeFacts)) ?? nil) ?? nil
    }

    /// Whether the vector in `slot` may be returned.
    func accepts(slot: UInt32, namespaceKnown: Bool) -> Bool {
        guard snapshot.isLive(slot) else { return false }
        guard needsFacts(namespaceKnown: namespaceKnown) else { return true }
        guard let facts = facts(slot) else { return false }
        if expiryMatters, let expiresAt = facts.expiresAt, expiresAt <= nowMilliseconds { return false }
        if !namespaceKnown, let prefix = filter.namespacePrefix, !MemoryFilter.namespace(facts.namespace, matchesPrefix: prefix) { return false }
        if let kinds = filter.kinds, !kinds.contains(facts.kind) { return false }
        if let after = filter.createdAfter, facts.createdAt < Timestamps.milliseconds(after) { return false }
        if let before = filter.createdBefore, facts.createdAt >= Timestamps.milliseconds(before) { return false }
        if let instant = filter.validAt {
            let at = Timestamps.milliseconds(instant)
            if let from = facts.validFrom, at < from { return false }
            if let until = facts.validUntil, at >= until { return false }
        }
        if filter.metadata != nil { return accepts(record: facts.id) }
        return true
    }

    /// Whether the memory `id` may be returned (reads its record; its text and metadata only
    /// when the filter has a metadata expression).
    func accepts(record id: MemoryID) -> Bool {
        let contentNeeded = filter.metadata != nil
        guard let stored = (try? tx.withValue(for: id.bytes, in: StoreLayout.memories, { try RecordCodec.decode($0, id: id, contentNeeded: contentNeeded) })) ?? nil else { return false }
        if !includeExpired, stored.memory.isExpired(at: now) { return false }
        return filter.matches(stored.memory)
    }
}
