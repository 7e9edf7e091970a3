import Foundation
import MappedStore

/// A document found by ``TextIndex/search(_:limit:in:accept:)``.
struct TextMatch: Sendable, Hashable {
    /// The document's 16-byte id.
    var id: [UInt8]
    /// Its BM25 score for the query: higher is better; comparable only within one search.
    var score: Double
}

/// A BM25 full-text index kept in four trees of a ``MappedStore``, so it commits and rolls back
/// with the transaction that changes the documents it indexes.
///
/// Documents are 16-byte ids with a text; the text is not stored (``remove(document:text:in:)``
/// is given it again). Terms are what ``TextTokenizer`` makes of the text. `docs/text-search.md`
/// describes the scoring and the key layout:
/// - `text.postings`: term + 0x00 + id → term frequency (UInt16 LE, saturating) + document length (UInt32 LE)
/// - `text.terms`: term → document frequency (UInt32 LE)
/// - `text.docs`: id → document length in terms (UInt32 LE)
/// - `text.stats`: `"totals"` → document count + total length (UInt64 LE each)
///
/// Write operations create the trees when missing; read operations treat missing trees as an
/// empty index. Errors are those of the store (``StoreError``) and ``MemoryError`` for bad arguments.
enum TextIndex {
    /// BM25's term-frequency saturation.
    static let k1 = 1.2
    /// BM25's document-length normalisation.
    static let b = 0.75
    /// The length of a document id, in bytes.
    static let idLength = 16

    enum Tree {
        static let postings = "text.postings"
        static let terms = "text.terms"
        static let docs = "text.docs"
        static let stats = "text.stats"
        static let all = [postings, terms, docs, stats]
    }

    private static let totalsKey = Array("totals".utf8)

    // MARK: Changing the index

    /// Indexes `text` as document `id`.
    ///
    /// Cost: tokenising the text, then for each distinct term one posting put and one document
    /// frequency update, plus three puts for the document and the totals.
    /// - Throws: `.invalidID` when `id` is not 16 bytes; `.invalidField` when the document is
    ///   already indexed (remove it with its old text first); store errors.
    static func add(document id: [UInt8], text: String, in tx: WriteTransaction) throws {
        try checkID(id)
        for tree in Tree.all { try tx.createTree(tree) }
        guard try !tx.contains(id, in: Tree.docs) else {
            throw MemoryError.invalidField("document \(hex(id)) is already in the text index; remove it with its old text before adding it again.")
        }
        let (frequencies, length) = termFrequencies(text)
        let lengthBytes = littleEndianBytes(length)
        for (term, frequency) in frequencies {
            try tx.put(postingKey(term, id), littleEndianBytes(UInt16(clamping: frequency)) + lengthBytes, in: Tree.postings)
            let documentFrequency = try storedUInt32(for: term, in: Tree.terms, tx) ?? 0
            try tx.put(term, littleEndianBytes(documentFrequency &+ 1), in: Tree.terms)
        }
        try tx.put(id, lengthBytes, in: Tree.docs)
        var totals = try self.totals(in: tx) ?? Totals()
        totals.documents += 1
        totals.length += UInt64(length)
        try tx.put(totalsKey, totals.encoded, in: Tree.stats)
    }

    /// Removes document `id`, which was added with `text`: exactly what ``add(document:text:in:)``
    /// added. Removing a document that is not indexed does nothing.
    ///
    /// `text` must be the text the document was added with: postings of terms it lacks would stay
    /// behind and still find the document.
    /// Cost: tokenising the text, then for each distinct term one posting delete and one document
    /// frequency update.
    /// - Throws: `.invalidID` when `id` is not 16 bytes; store errors.
    static func remove(document id: [UInt8], text: String, in tx: WriteTransaction) throws {
        try checkID(id)
        guard var totals = try totals(in: tx),
              let length = try storedUInt32(for: id, in: Tree.docs, tx) else { return }
        for (term, _) in termFrequencies(text).frequencies {
            guard try tx.delete(postingKey(term, id), in: Tree.postings) else { continue }
            let documentFrequency = try storedUInt32(for: term, in: Tree.terms, tx) ?? 0
            if documentFrequency > 1 {
                try tx.put(term, littleEndianBytes(documentFrequency - 1), in: Tree.terms)
            } else {
                try tx.delete(term, in: Tree.terms)
            }
        }
        try tx.delete(id, in: Tree.docs)
        totals.documents -= min(totals.documents, 1)
        totals.length -= min(totals.length, UInt64(length))
        try tx.put(totalsKey, totals.encoded, in: Tree.stats)
    }

    // MARK: Searching

    /// The `limit` documents that best match `query` by BM25, best first; equal scores in id order.
    ///
    /// score(D) = Σ over the distinct query terms t in D of
    ///   idf(t) · tf·(k1 + 1) / (tf + k1·(1 − b + b·|D|/avgdl)),
    /// idf(t) = ln(1 + (N − df + 0.5)/(df + 0.5)), with ``k1`` = 1.2 and ``b`` = 0.75.
    ///
    /// `accept` filters documents before the top `limit` are taken: a filter that keeps few
    /// documents still gets up to `limit` of them. It is called in score order, and only until
    /// `limit` documents are accepted. A query without terms (empty, or only stop words) finds nothing.
    ///
    /// Cost: one prefix scan of the postings per distinct query term (the document length is in
    /// the posting), then O(n + limit·log n) for n matching documents.
    /// - Throws: store errors, `.engine` for a damaged index, and what `accept` throws.
    static func search(_ query: String, limit: Int, in tx: ReadTransaction, accept: (([UInt8]) throws -> Bool)? = nil) throws -> [TextMatch] {
        guard limit > 0, let totals = try totals(in: tx), totals.documents > 0 else { return [] }
        let terms = Set(TextTokenizer.terms(query)).sorted { $0.lexicographicallyPrecedes($1) }
        guard !terms.isEmpty else { return [] }
        let documentCount = Double(totals.documents)
        let averageLength = totals.length > 0 ? Double(totals.length) / documentCount : 1
        var scores: [DocumentKey: Double] = [:]
        for term in terms {
            guard let documentFrequency = try storedUInt32(for: term, in: Tree.terms, tx) else { continue }
            let df = Double(documentFrequency)
            let idf = log(1 + (documentCount - df + 0.5) / (df + 0.5))
            let prefix = term + [0]
            try tx.scan(in: Tree.postings, prefix: prefix) { key, value in
                guard key.count == prefix.count + idLength, value.count >= 6 else {
                    throw MemoryError.engine("the text index is damaged: a posting of term '\(String(decoding: term, as: UTF8.self))' has a \(key.count)-byte key and a \(value.count)-byte value; rebuild the index.")
                }
                let frequency = Double(loadUInt16(value, at: 0))
                let length = Double(loadUInt32(value, at: 2))
                let saturation = frequency * (k1 + 1) / (frequency + k1 * (1 - b + b * length / averageLength))
                scores[DocumentKey(key, at: prefix.count), default: 0] += idf * saturation
                return true
            }
        }
        return try best(scores, limit: limit, accept: accept)
    }

    /// The number of documents indexed and the sum of their lengths in terms.
    static func statistics(in tx: ReadTransaction) throws -> (documents: Int, totalLength: Int) {
        let totals = try totals(in: tx) ?? Totals()
        return (Int(clamping: totals.documents), Int(clamping: totals.length))
    }

    /// What is inconsistent in the index (empty when nothing): every document frequency must count
    /// its postings, every posting carry its document's length, and the totals sum the documents.
    /// Cost: reads the whole index; for tests and `check` tools.
    static func problems(in tx: ReadTransaction) throws -> [String] {
        guard try totals(in: tx) != nil else { return [] }
        var problems: [String] = []
        var lengths: [DocumentKey: UInt32] = [:]
        var totalLength: UInt64 = 0
        try tx.scan(in: Tree.docs) { key, value in
            guard key.count == idLength, value.count == 4 else {
                problems.append("a document entry has a \(key.count)-byte key and a \(value.count)-byte value")
                return true
            }
            let length = loadUInt32(value, at: 0)
            lengths[DocumentKey(key, at: 0)] = length
            totalLength += UInt64(length)
            return true
        }
        let totals = try self.totals(in: tx) ?? Totals()
        if totals.documents != UInt64(lengths.count) || totals.length != totalLength {
            problems.append("the totals say \(totals.documents) documents of \(totals.length) terms; the documents are \(lengths.count) of \(totalLength)")
        }
        var postingCounts: [[UInt8]: UInt32] = [:]
        try tx.scan(in: Tree.postings) { key, value in
            guard key.count > idLength + 1, key[key.count - idLength - 1] == 0, value.count == 6 else {
                problems.append("a posting has a \(key.count)-byte key and a \(value.count)-byte value")
                return true
            }
            let term = Array(key[0..<(key.count - idLength - 1)])
            postingCounts[term, default: 0] += 1
            let document = DocumentKey(key, at: key.count - idLength)
            if lengths[document] != loadUInt32(value, at: 2) {
                problems.append("the posting of '\(String(decoding: term, as: UTF8.self))' for \(hex(document.bytes)) has length \(loadUInt32(value, at: 2)); the document has \(lengths[document].map(String.init) ?? "no entry")")
            }
            return true
        }
        var documentFrequencies: [[UInt8]: UInt32] = [:]
        try tx.scan(in: Tree.terms) { key, value in
            documentFrequencies[Array(key)] = value.count == 4 ? loadUInt32(value, at: 0) : 0
            return true
        }
        for term in Set(postingCounts.keys).union(documentFrequencies.keys) where postingCounts[term] != documentFrequencies[term] {
            problems.append("term '\(String(decoding: term, as: UTF8.self))' has document frequency \(documentFrequencies[term].map(String.init) ?? "none") and \(postingCounts[term] ?? 0) postings")
        }
        return problems
    }

    // MARK: Ranking

    /// A document id held as two integers (no allocation), ordered like its bytes.
    private struct DocumentKey: Hashable, Comparable {
        var high: UInt64
        var low: UInt64

        init(_ raw: UnsafeRawBufferPointer, at offset: Int) {
            high = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            low = UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
        }

        var bytes: [UInt8] {
            withUnsafeBytes(of: (high.bigEndian, low.bigEndian)) { Array($0) }
        }

        static func < (lhs: DocumentKey, rhs: DocumentKey) -> Bool {
            (lhs.high, lhs.low) < (rhs.high, rhs.low)
        }
    }

    private struct Candidate {
        var key: DocumentKey
        var score: Double

        /// Higher score first; equal scores in id order.
        func ranksBefore(_ other: Candidate) -> Bool {
            score > other.score || (score == other.score && key < other.key)
        }
    }

    /// The best `limit` accepted candidates, best first: a heap of all candidates (built in O(n)),
    /// popped until `limit` are accepted, so `accept` runs only on the ones looked at.
    private static func best(_ scores: [DocumentKey: Double], limit: Int, accept: (([UInt8]) throws -> Bool)?) throws -> [TextMatch] {
        var heap = scores.map { Candidate(key: $0.key, score: $0.value) }
        for index in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(&heap, from: index, count: heap.count) }
        var matches: [TextMatch] = []
        var count = heap.count
        while count > 0 && matches.count < limit {
            let top = heap[0]
            count -= 1
            heap.swapAt(0, count)
            siftDown(&heap, from: 0, count: count)
            let id = top.key.bytes
            if try accept?(id) ?? true { matches.append(TextMatch(id: id, score: top.score)) }
        }
        return matches
    }

    /// Restores the heap order (best at the root) below `index` in `heap[0..<count]`.
    private static func siftDown(_ heap: inout [Candidate], from index: Int, count: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1
            guard left < count else { return }
            var best = left
            if left + 1 < count && heap[left + 1].ranksBefore(heap[left]) { best = left + 1 }
            guard heap[best].ranksBefore(heap[parent]) else { return }
            heap.swapAt(parent, best)
            parent = best
        }
    }

    // MARK: Encoding

    private struct Totals {
        var documents: UInt64 = 0
        var length: UInt64 = 0

        var encoded: [UInt8] { littleEndianBytes(documents) + littleEndianBytes(length) }
    }

    /// The totals, or nil when the index has never been written (its trees do not exist).
    private static func totals(in tx: ReadTransaction) throws -> Totals? {
        do {
            return try tx.withValue(for: totalsKey, in: Tree.stats) { raw in
                raw.count == 16 ? Totals(documents: loadUInt64(raw, at: 0), length: loadUInt64(raw, at: 8)) : Totals()
            } ?? Totals()
        } catch let error as StoreError where error.reason == .treeNotFound(Tree.stats) {
            return nil
        }
    }

    /// The distinct terms of `text` in byte order with their counts, and the number of terms.
    private static func termFrequencies(_ text: String) -> (frequencies: [(term: [UInt8], count: Int)], length: UInt32) {
        var counts: [[UInt8]: Int] = [:]
        var length = 0
        TextTokenizer.forEachTerm(in: text) { term in
            counts[term, default: 0] += 1
            length += 1
        }
        // In key order: the puts walk the B+tree forward.
        let frequencies = counts.map { (term: $0.key, count: $0.value) }.sorted { $0.term.lexicographicallyPrecedes($1.term) }
        return (frequencies, UInt32(clamping: length))
    }

    /// The UInt32 stored for `key` in `tree`, or nil.
    /// - Throws: `.engine` when the value is not 4 bytes (a damaged index).
    private static func storedUInt32(for key: [UInt8], in tree: String, _ tx: ReadTransaction) throws -> UInt32? {
        try tx.withValue(for: key, in: tree) { raw in
            guard raw.count == 4 else {
                throw MemoryError.engine("the text index is damaged: an entry of \(tree) has a \(raw.count)-byte value instead of 4; rebuild the index.")
            }
            return loadUInt32(raw, at: 0)
        }
    }

    private static func postingKey(_ term: [UInt8], _ id: [UInt8]) -> [UInt8] {
        var key = term
        key.reserveCapacity(term.count + 1 + id.count)
        key.append(0)
        key.append(contentsOf: id)
        return key
    }

    private static func checkID(_ id: [UInt8]) throws {
        guard id.count == idLength else { throw MemoryError.invalidID("a document id has \(idLength) bytes, not \(id.count)") }
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}

private func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
}

private func loadUInt16(_ raw: UnsafeRawBufferPointer, at offset: Int) -> UInt16 {
    UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
}

private func loadUInt32(_ raw: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
    UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
}

private func loadUInt64(_ raw: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
    UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
}
