import Foundation
import MappedStore

/// A document found by ``TextIndex/search(_:limit:in:accept:)``.
struct TextMatch: Sendable, Hashable {
    /// The document's 16-byte id.
    var id: [UInt8]
    /// Its BM25 score for the query: higher is better; comparable only within one search.
    var score: Double
}

/// A BM25 full-text index kept in five trees of a ``MappedStore``, so it commits and rolls back
/// with the transaction that changes the documents it indexes.
///
/// Documents are 16-byte ids with a text; the text is not stored (``remove(document:text:in:)``
/// is given it again). Terms are what ``TextTokenizer`` makes of the text. Each document gets a
/// number (increasing, never reused) and postings are kept in blocks of up to
/// ``blockCapacity`` documents per term, delta- and varint-coded: about 3 bytes per posting.
/// `docs/text-search.md` describes the scoring and the key layout:
/// - `text.postings`: term + 0x00 + first document number of the block (UInt32 BE) → block
///   (varint count, then per document: number delta, term frequency, document length, varints)
/// - `text.terms`: term → document frequency (UInt32 LE)
/// - `text.docs`: id → document number (UInt32 LE) + document length in terms (UInt32 LE)
/// - `text.ids`: document number (UInt32 BE) → id
/// - `text.stats`: `"totals"` → document count + total length + next document number (UInt64 LE each)
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
    /// Documents per posting block: small enough that adding or removing a document rewrites a
    /// few hundred bytes per term, large enough that the block keys cost little.
    static let blockCapacity = 128

    enum Tree {
        static let postings = "text.postings"
        static let terms = "text.terms"
        static let docs = "text.docs"
        static let ids = "text.ids"
        static let stats = "text.stats"
        /// Documents added one at a time and not yet in the postings: number -> terms (see ``pendingLimit``).
        static let pending = "text.pending"
        static let all = [postings, terms, docs, ids, stats, pending]
    }

    /// Single adds wait in ``Tree/pending`` (one put each, instead of a read and a write of a
    /// posting block and a frequency per term) until this many are pending; then they go into
    /// the postings together, as a batch does. Searches read the pending documents too.
    static let pendingLimit = 64

    private static let totalsKey = Array("totals".utf8)

    // MARK: Changing the index

    /// Indexes `text` as document `id`.
    ///
    /// Cost: tokenising the text, then for each distinct term a read and a write of the term's
    /// last posting block (a few hundred bytes) and one document frequency update, plus four
    /// puts for the document and the totals.
    /// - Throws: `.invalidID` when `id` is not 16 bytes; `.invalidField` when the document is
    ///   already indexed (remove it with its old text first); store errors.
    /// - Returns: the document's number.
    @discardableResult
    static func add(document id: [UInt8], text: String, in tx: WriteTransaction) throws -> UInt32 {
        try add(documents: [(id, text)], in: tx)[0]
    }

    /// Indexes documents, numbered in the order given: the same index as adding them one by one,
    /// written once per term instead of once per term and document.
    ///
    /// Cost: tokenising the texts (on all cores when there are many), then for each distinct term
    /// of the batch a read of its last posting block, a write per block filled (128 postings
    /// each) and one document frequency update, plus two puts per document. A batch of 1,000
    /// passages writes each common term's blocks once, not 1,000 times.
    /// - Throws: `.invalidID` when an id is not 16 bytes; `.invalidField` when a document is
    ///   already indexed or given twice; store errors. Nothing of the batch is indexed when it throws
    ///   (the transaction is the caller's: it rolls back).
    /// - Returns: the documents' numbers, in the order given.
    @discardableResult
    static func add(documents: [(id: [UInt8], text: String)], in tx: WriteTransaction) throws -> [UInt32] {
        guard !documents.isEmpty else { return [] }
        for tree in Tree.all { try tx.createTree(tree) }
        var given = Set<[UInt8]>()
        for (id, _) in documents {
            try checkID(id)
            guard given.insert(id).inserted, try !tx.contains(id, in: Tree.docs) else {
                throw MemoryError.invalidField("document \(hex(id)) is already in the text index; remove it with its old text before adding it again.")
            }
        }
        var totals = try self.totals(in: tx) ?? Totals()
        guard totals.next + UInt64(documents.count) < UInt64(UInt32.max) else {
            throw MemoryError.engine("the text index has numbered 4 billion documents; export and re-import the store to renumber them.")
        }
        let tokenised = documents.map(\.text).parallelMap(termFrequencies)
        let first = UInt32(truncatingIfNeeded: totals.next)
        let pendingCount = Int(try tx.info(of: Tree.pending).entries)
        if documents.count == 1 && pendingCount + 1 < pendingLimit {
            // One document: it waits with the others, in one entry.
            let (frequencies, length) = tokenised[0]
            try tx.put(bigEndianBytes(first), PendingDocument(number: first, length: length, frequencies: frequencies).encoded, in: Tree.pending)
        } else {
            // The pending documents (numbered before these) go first, so every term's postings stay in number order.
            var batch = try pendingDocuments(in: tx)
            for document in batch { try tx.delete(bigEndianBytes(document.number), in: Tree.pending) }
            for (offset, (frequencies, length)) in tokenised.enumerated() {
                batch.append(PendingDocument(number: first &+ UInt32(offset), length: length, frequencies: frequencies))
            }
            try writePostings(batch, in: tx)
        }
        for (offset, (id, _)) in documents.enumerated() {
            let number = first &+ UInt32(offset)
            let length = tokenised[offset].length
            try tx.put(id, littleEndianBytes(number) + littleEndianBytes(length), in: Tree.docs)
            try tx.append(bigEndianBytes(number), id, in: Tree.ids)
            totals.length += UInt64(length)
        }
        totals.documents += UInt64(documents.count)
        totals.next += UInt64(documents.count)
        try tx.put(totalsKey, totals.encoded, in: Tree.stats)
        return (0..<documents.count).map { first &+ UInt32($0) }
    }

    /// How many documents wait in ``Tree/pending`` (0 for an index without the tree).
    static func pendingCount(in tx: ReadTransaction) throws -> Int {
        do {
            return Int(try tx.info(of: Tree.pending).entries)
        } catch let error as StoreError where error.reason == .treeNotFound(Tree.pending) {
            return 0
        }
    }

    /// Moves every pending document into the postings (what the next batch, or the
    /// ``pendingLimit``-th single add, does anyway).
    static func flushPending(in tx: WriteTransaction) throws {
        guard try totals(in: tx) != nil, try tx.info(of: Tree.pending).entries > 0 else { return }
        let batch = try pendingDocuments(in: tx)
        for document in batch { try tx.delete(bigEndianBytes(document.number), in: Tree.pending) }
        try writePostings(batch, in: tx)
    }

    /// Adds the postings of `documents` (in number order, numbered after every posting written)
    /// and their terms' document frequencies.
    private static func writePostings(_ documents: [PendingDocument], in tx: WriteTransaction) throws {
        // Each term's new postings, in document order.
        var postings: [[UInt8]: [Posting]] = [:]
        for document in documents {
            for (term, frequency) in document.frequencies {
                postings[term, default: []].append(Posting(document: document.number, frequency: UInt32(clamping: frequency), length: document.length))
            }
        }
        // In key order: the puts walk the B+tree forward.
        for term in postings.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let new = postings[term]!
            let prefix = term + [0]
            var last: (key: [UInt8], block: PostingBlock)?
            try tx.scan(in: Tree.postings, prefix: prefix, reverse: true) { key, value in
                last = (Array(key), try PostingBlock(value, term: term))
                return false
            }
            var next = new[...]
            if case (let key, var block)? = last, block.entries.count < blockCapacity {
                let room = blockCapacity - block.entries.count
                block.entries.append(contentsOf: next.prefix(room))
                next = next.dropFirst(room)
                try tx.put(key, block.encoded, in: Tree.postings)
            }
            while !next.isEmpty {
                let block = PostingBlock(entries: Array(next.prefix(blockCapacity)))
                try tx.put(prefix + bigEndianBytes(block.entries[0].document), block.encoded, in: Tree.postings)
                next = next.dropFirst(blockCapacity)
            }
            let documentFrequency = try storedUInt32(for: term, in: Tree.terms, tx) ?? 0
            try tx.put(term, littleEndianBytes(documentFrequency &+ UInt32(new.count)), in: Tree.terms)
        }
    }

    /// A document waiting in ``Tree/pending``: its number, length, and distinct terms with their
    /// counts in byte order. Encoded as length (varint), term count (varint), then per term its
    /// length (varint), bytes and count (varint).
    struct PendingDocument: Equatable {
        var number: UInt32
        var length: UInt32
        var frequencies: [(term: [UInt8], count: Int)]

        static func == (a: Self, b: Self) -> Bool {
            a.number == b.number && a.length == b.length && a.frequencies.elementsEqual(b.frequencies) { $0.term == $1.term && $0.count == $1.count }
        }

        var encoded: [UInt8] {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(8 + frequencies.reduce(0) { $0 + $1.term.count + 3 })
            writeVarint(length, to: &bytes)
            writeVarint(UInt32(frequencies.count), to: &bytes)
            for (term, count) in frequencies {
                writeVarint(UInt32(term.count), to: &bytes)
                bytes += term
                writeVarint(UInt32(clamping: count), to: &bytes)
            }
            return bytes
        }

        init(number: UInt32, length: UInt32, frequencies: [(term: [UInt8], count: Int)]) {
            self.number = number
            self.length = length
            self.frequencies = frequencies
        }

        init(number: UInt32, _ raw: UnsafeRawBufferPointer) throws {
            self.number = number
            var offset = 0
            guard let length = readVarint(raw, &offset), let count = readVarint(raw, &offset), Int(count) <= raw.count else {
                throw damaged("pending document \(number) is cut short")
            }
            self.length = length
            var frequencies: [(term: [UInt8], count: Int)] = []
            frequencies.reserveCapacity(Int(count))
            for _ in 0..<count {
                guard let termLength = readVarint(raw, &offset), offset + Int(termLength) <= raw.count else { throw damaged("pending document \(number) is cut short") }
                let term = Array(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + Int(termLength))]))
                offset += Int(termLength)
                guard let frequency = readVarint(raw, &offset) else { throw damaged("pending document \(number) is cut short") }
                frequencies.append((term, Int(frequency)))
            }
            guard offset == raw.count else { throw damaged("pending document \(number) has \(raw.count - offset) bytes too many") }
            self.frequencies = frequencies
        }
    }

    /// The pending documents in number order (none in an index written before they existed).
    static func pendingDocuments(in tx: ReadTransaction) throws -> [PendingDocument] {
        var documents: [PendingDocument] = []
        do {
            try tx.scan(in: Tree.pending) { key, value in
                guard key.count == 4 else { throw damaged("a pending document has a \(key.count)-byte key") }
                documents.append(try PendingDocument(number: UInt32(bigEndian: key.loadUnaligned(as: UInt32.self)), value))
                return true
            }
        } catch let error as StoreError where error.reason == .treeNotFound(Tree.pending) {
            return []
        }
        return documents
    }

    /// Removes document `id`, which was added with `text`: exactly what ``add(document:text:in:)``
    /// added. Removing a document that is not indexed does nothing.
    ///
    /// `text` must be the text the document was added with: postings of terms it lacks would stay
    /// behind (they are never returned: the document's number is gone from `text.ids`).
    /// Cost: tokenising the text, then for each distinct term a read and a write of one posting
    /// block and one document frequency update.
    /// - Throws: `.invalidID` when `id` is not 16 bytes; store errors.
    static func remove(document id: [UInt8], text: String, in tx: WriteTransaction) throws {
        try checkID(id)
        guard var totals = try totals(in: tx),
              let entry = try tx.withValue(for: id, in: Tree.docs, { raw -> (UInt32, UInt32) in
                  guard raw.count == 8 else { throw damaged("a document entry has a \(raw.count)-byte value instead of 8") }
                  return (loadUInt32(raw, at: 0), loadUInt32(raw, at: 4))
              }) else { return }
        let (number, length) = entry
        let pendingKey = bigEndianBytes(number)
        let wasPending: Bool
        do {
            wasPending = try tx.delete(pendingKey, in: Tree.pending)
        } catch let error as StoreError where error.reason == .treeNotFound(Tree.pending) {
            wasPending = false  // an index written before pending documents existed
        }
        for (term, _) in wasPending ? [] : termFrequencies(text).frequencies {
            let prefix = term + [0]
            var found: (key: [UInt8], block: PostingBlock)?
            // The block holding `number` is the last one starting at or before it.
            try tx.scan(in: Tree.postings, to: prefix + bigEndianBytes(number &+ 1), prefix: prefix, reverse: true) { key, value in
                found = (Array(key), try PostingBlock(value, term: term))
                return false
            }
            guard case (let key, var block)? = found, let index = block.entries.firstIndex(where: { $0.document == number }) else { continue }
            block.entries.remove(at: index)
            if block.entries.isEmpty { try tx.delete(key, in: Tree.postings) } else { try tx.put(key, block.encoded, in: Tree.postings) }
            let documentFrequency = try storedUInt32(for: term, in: Tree.terms, tx) ?? 0
            if documentFrequency > 1 {
                try tx.put(term, littleEndianBytes(documentFrequency - 1), in: Tree.terms)
            } else {
                try tx.delete(term, in: Tree.terms)
            }
        }
        try tx.delete(id, in: Tree.docs)
        try tx.delete(bigEndianBytes(number), in: Tree.ids)
        totals.documents -= min(totals.documents, 1)
        totals.length -= min(totals.length, UInt64(length))
        try tx.put(totalsKey, totals.encoded, in: Tree.stats)
    }

    // MARK: Searching

    /// The `limit` documents that best match `query` by BM25, best first; equal scores in
    /// document order (the order they were added).
    ///
    /// score(D) = Σ over the distinct query terms t in D of
    ///   idf(t) · tf·(k1 + 1) / (tf + k1·(1 − b + b·|D|/avgdl)),
    /// idf(t) = ln(1 + (N − df + 0.5)/(df + 0.5)), with ``k1`` = 1.2 and ``b`` = 0.75.
    ///
    /// `accept` filters documents before the top `limit` are taken: a filter that keeps few
    /// documents still gets up to `limit` of them. It is called first on the best `limit`
    /// documents, in score order; only when it turns some down does a second pass call it on
    /// each document that would enter the best `limit` found so far. A query without terms
    /// (empty, or only stop words) finds nothing.
    ///
    /// Cost: the query terms' postings are walked together in document order with MaxScore
    /// pruning (``TextSearch``): once `limit` documents are found, the terms that cannot lift a
    /// document into them alone are only searched, block by block, for the documents the other
    /// terms bring. A query with a rare term costs about that term's postings; one of common
    /// words alone reads all their postings (O(n log limit) for n postings). One id lookup per
    /// document of the best `limit` (in a second pass, per document that enters the best so far).
    ///
    /// With `allowed` (ascending document numbers, from ``documentNumbers(ofIDs:in:)``), only those
    /// documents are candidates: each list moves from one allowed document to the next, so a
    /// filter that keeps few documents costs about their number, not the postings of the terms.
    /// The answer is what `accept` turning down every other document would give.
    /// - Throws: store errors, `.engine` for a damaged index, and what `accept` throws.
    static func search(_ query: String, limit: Int, in tx: ReadTransaction, within allowed: [UInt32]? = nil, accept: (([UInt8]) throws -> Bool)? = nil) throws -> [TextMatch] {
        guard limit > 0, let totals = try totals(in: tx), totals.documents > 0 else { return [] }
        let terms = Set(TextTokenizer.terms(query)).sorted { $0.lexicographicallyPrecedes($1) }
        guard !terms.isEmpty else { return [] }
        let documentCount = Double(totals.documents)
        let averageLength = totals.length > 0 ? Double(totals.length) / documentCount : 1
        // Pending documents count in every term's document frequency and are scored like postings.
        var pendingPostings: [[UInt8]: [Posting]] = [:]
        for document in try pendingDocuments(in: tx) {
            for (term, count) in document.frequencies where terms.contains(term) {
                pendingPostings[term, default: []].append(Posting(document: document.number, frequency: UInt32(clamping: count), length: document.length))
            }
        }
        // Each term with postings: its place in `terms`, idf, and whether the store holds any.
        var found: [(order: Int, term: [UInt8], idf: Double, stored: Bool)] = []
        for (order, term) in terms.enumerated() {
            let pending = pendingPostings[term]?.count ?? 0
            let stored = try storedUInt32(for: term, in: Tree.terms, tx)
            guard stored != nil || pending > 0 else { continue }
            let df = Double(stored ?? 0) + Double(pending)
            found.append((order, term, log(1 + (documentCount - df + 0.5) / (df + 0.5)), stored != nil))
        }
        // The lists are walked once per pass; a second pass is needed only when `accept` turns
        // down some of the best documents of the first.
        func postingLists() throws -> [TextSearch.TermPostings] {
            try found.map { term in
                try TextSearch.TermPostings(order: term.order, term: term.term, idf: term.idf, stored: term.stored, pending: pendingPostings[term.term] ?? [], tx: tx)
            }.sorted { $0.bound < $1.bound }
        }
        // A posting left behind by a removal with a different text names no document: skipped.
        func id(of document: UInt32) throws -> [UInt8]? { try tx.get(bigEndianBytes(document), in: Tree.ids) }
        var search = TextSearch(averageLength: averageLength, lists: try postingLists())
        let best = try allowed.map { try search.best(limit: limit, within: $0, accept: nil) } ?? search.best(limit: limit, accept: nil)
        var matches: [TextMatch] = []
        for found in best {
            guard let id = try id(of: found.document), try accept?(id) ?? true else { continue }
            matches.append(TextMatch(id: id, score: found.score))
        }
        // Complete when every best document was taken, or when fewer than `limit` documents match at all.
        if matches.count == best.count || best.count < limit { return matches }
        search = TextSearch(averageLength: averageLength, lists: try postingLists())
        let check = { (document: UInt32) throws -> [UInt8]? in
            guard let id = try id(of: document), try accept?(id) ?? true else { return nil }
            return id
        }
        return try (allowed.map { try search.best(limit: limit, within: $0, accept: check) } ?? search.best(limit: limit, accept: check))
            .map { TextMatch(id: $0.id!, score: $0.score) }
    }

    /// The numbers of the indexed documents among `ids` (16-byte ids back to back), ascending:
    /// what ``search(_:limit:in:within:accept:)`` takes to search only those documents.
    /// Cost: one lookup in `text.docs` per id, on all cores from 2,048 ids.
    static func documentNumbers(ofIDs ids: UnsafeRawBufferPointer, in tx: ReadTransaction) throws -> [UInt32] {
        let count = ids.count / idLength
        guard count > 0 else { return [] }
        do {
            guard try tx.info(of: Tree.docs).entries > 0 else { return [] }
        } catch let error as StoreError where error.reason == .treeNotFound(Tree.docs) {
            return []
        }
        func lookUp(_ range: Range<Int>) throws -> [UInt32] {
            var numbers: [UInt32] = []
            numbers.reserveCapacity(range.count)
            for index in range {
                let id = UnsafeRawBufferPointer(rebasing: ids[index * idLength ..< (index + 1) * idLength])
                if let number = try tx.withValue(for: id, in: Tree.docs, { $0.count >= 4 ? UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) : nil }) ?? nil {
                    numbers.append(number)
                }
            }
            return numbers
        }
        let chunks = count >= 2_048 ? min(ProcessInfo.processInfo.activeProcessorCount, 8) : 1
        var numbers: [UInt32]
        if chunks > 1 {
            // Readers of one snapshot may run on several threads; each chunk writes its own slot.
            var results = [Result<[UInt32], any Error>](repeating: .success([]), count: chunks)
            nonisolated(unsafe) let lookUpShared = lookUp
            results.withUnsafeMutableBufferPointer { slots in
                nonisolated(unsafe) let shared = slots
                DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                    shared[chunk] = Result { try lookUpShared((count * chunk / chunks) ..< (count * (chunk + 1) / chunks)) }
                }
            }
            numbers = try results.flatMap { try $0.get() }
        } else {
            numbers = try lookUp(0 ..< count)
        }
        numbers.sort()
        return numbers
    }

    /// The number of documents indexed and the sum of their lengths in terms.
    static func statistics(in tx: ReadTransaction) throws -> (documents: Int, totalLength: Int) {
        let totals = try totals(in: tx) ?? Totals()
        return (Int(clamping: totals.documents), Int(clamping: totals.length))
    }

    /// What is inconsistent in the index (empty when nothing): every document frequency must count
    /// its postings, every posting carry its document's length, numbers and ids must map both
    /// ways, and the totals sum the documents.
    /// Cost: reads the whole index; for tests and `check` tools.
    static func problems(in tx: ReadTransaction) throws -> [String] {
        guard try totals(in: tx) != nil else { return [] }
        var problems: [String] = []
        var lengths: [UInt32: UInt32] = [:]
        var numbers: [UInt32: [UInt8]] = [:]
        var totalLength: UInt64 = 0
        try tx.scan(in: Tree.docs) { key, value in
            guard key.count == idLength, value.count == 8 else {
                problems.append("a document entry has a \(key.count)-byte key and a \(value.count)-byte value")
                return true
            }
            let number = loadUInt32(value, at: 0)
            let length = loadUInt32(value, at: 4)
            lengths[number] = length
            numbers[number] = Array(key)
            totalLength += UInt64(length)
            return true
        }
        var idEntries = 0
        try tx.scan(in: Tree.ids) { key, value in
            idEntries += 1
            guard key.count == 4, value.count == idLength else {
                problems.append("an id entry has a \(key.count)-byte key and a \(value.count)-byte value")
                return true
            }
            let number = UInt32(bigEndian: key.loadUnaligned(as: UInt32.self))
            if numbers[number] != Array(value) { problems.append("document number \(number) names \(hex(Array(value))) but that document has another number") }
            return true
        }
        if idEntries != numbers.count { problems.append("\(idEntries) id entries for \(numbers.count) documents") }
        let totals = try self.totals(in: tx) ?? Totals()
        if totals.documents != UInt64(lengths.count) || totals.length != totalLength {
            problems.append("the totals say \(totals.documents) documents of \(totals.length) terms; the documents are \(lengths.count) of \(totalLength)")
        }
        if let highest = lengths.keys.max(), UInt64(highest) >= totals.next {
            problems.append("document number \(highest) is not below the next number \(totals.next)")
        }
        for document in try pendingDocuments(in: tx) {
            if lengths[document.number] != document.length {
                problems.append("pending document \(document.number) has length \(document.length); the document has \(lengths[document.number].map(String.init) ?? "no entry")")
            }
        }
        var postingCounts: [[UInt8]: UInt32] = [:]
        try tx.scan(in: Tree.postings) { key, value in
            guard key.count > 5, key[key.count - 5] == 0 else {
                problems.append("a posting block has a \(key.count)-byte key")
                return true
            }
            let term = Array(key[0..<(key.count - 5)])
            let start = UInt32(bigEndian: key.loadUnaligned(fromByteOffset: key.count - 4, as: UInt32.self))
            do {
                let block = try PostingBlock(value, term: term)
                if block.entries.isEmpty || block.entries.count > blockCapacity { problems.append("a block of '\(String(decoding: term, as: UTF8.self))' holds \(block.entries.count) postings") }
                if let first = block.entries.first, first.document < start { problems.append("a block of '\(String(decoding: term, as: UTF8.self))' starting at \(start) holds document \(first.document)") }
                for posting in block.entries {
                    postingCounts[term, default: 0] += 1
                    if lengths[posting.document] != posting.length {
                        problems.append("the posting of '\(String(decoding: term, as: UTF8.self))' for document \(posting.document) has length \(posting.length); the document has \(lengths[posting.document].map(String.init) ?? "no entry")")
                    }
                }
            } catch {
                problems.append("\(error)")
            }
            return problems.count < 100
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

    // MARK: Posting blocks

    /// One document's entry in a term's postings.
    struct Posting: Equatable {
        var document: UInt32
        var frequency: UInt32
        var length: UInt32
    }

    /// The postings of one term for a range of document numbers, in number order.
    struct PostingBlock {
        var entries: [Posting]

        init(entries: [Posting]) { self.entries = entries }

        init(_ raw: UnsafeRawBufferPointer, term: [UInt8]) throws {
            var entries: [Posting] = []
            try Self.decode(raw, term: term, into: &entries)
            self.entries = entries
        }

        /// Decodes an encoded block into `postings`, replacing what it held; its storage is
        /// reused, so a search that decodes block after block into one array allocates once.
        ///
        /// Cost: one pass over the bytes; most postings of a large list are three one-byte varints.
        static func decode(_ raw: UnsafeRawBufferPointer, term: [UInt8], into postings: inout [Posting]) throws {
            postings.removeAll(keepingCapacity: true)
            guard let base = raw.baseAddress else { throw damagedBlock(term) }
            let end = raw.count
            var offset = 0
            // Every posting takes three bytes at least: a count beyond that is damage, not a reason to allocate.
            guard let count = readVarint(base, end, &offset), Int(count) <= (end - offset) / 3 else { throw damagedBlock(term) }
            postings.reserveCapacity(Int(count))
            var document: UInt32 = 0
            for index in 0..<Int(count) {
                guard let delta = readVarint(base, end, &offset), let frequency = readVarint(base, end, &offset),
                      let length = readVarint(base, end, &offset) else { throw damagedBlock(term) }
                document = index == 0 ? delta : document &+ delta
                postings.append(Posting(document: document, frequency: frequency, length: length))
            }
            guard offset == end else { throw damagedBlock(term) }
        }

        var encoded: [UInt8] {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(1 + entries.count * 4)
            writeVarint(UInt32(entries.count), to: &bytes)
            var previous: UInt32 = 0
            for (index, posting) in entries.enumerated() {
                writeVarint(index == 0 ? posting.document : posting.document &- previous, to: &bytes)
                writeVarint(posting.frequency, to: &bytes)
                writeVarint(posting.length, to: &bytes)
                previous = posting.document
            }
            return bytes
        }

        private static func damagedBlock(_ term: [UInt8]) -> MemoryError {
            damaged("a posting block of term '\(String(decoding: term, as: UTF8.self))' does not decode")
        }
    }

    static func damaged(_ problem: String) -> MemoryError {
        MemoryError.engine("the text index is damaged: \(problem); run `mnemap check`, and export and re-import the store to rebuild it.")
    }

    // MARK: Encoding

    private struct Totals {
        var documents: UInt64 = 0
        var length: UInt64 = 0
        /// The number the next document gets.
        var next: UInt64 = 0

        var encoded: [UInt8] { littleEndianBytes(documents) + littleEndianBytes(length) + littleEndianBytes(next) }
    }

    /// The totals, or nil when the index has never been written (its trees do not exist).
    private static func totals(in tx: ReadTransaction) throws -> Totals? {
        do {
            return try tx.withValue(for: totalsKey, in: Tree.stats) { raw in
                guard raw.count == 24 else { throw damaged("the totals have \(raw.count) bytes instead of 24") }
                return Totals(documents: loadUInt64(raw, at: 0), length: loadUInt64(raw, at: 8), next: loadUInt64(raw, at: 16))
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

    private static func checkID(_ id: [UInt8]) throws {
        guard id.count == idLength else { throw MemoryError.invalidID("a document id has \(idLength) bytes, not \(id.count)") }
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}

private func bigEndianBytes(_ value: UInt32) -> [UInt8] {
    withUnsafeBytes(of: value.bigEndian) { Array($0) }
}

private func writeVarint(_ value: UInt32, to bytes: inout [UInt8]) {
    var value = value
    while value >= 0x80 {
        bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
        value >>= 7
    }
    bytes.append(UInt8(value))
}

/// A varint at `offset` of the `end` bytes at `base`; nil when it runs past them or past 32 bits.
@inline(__always)
private func readVarint(_ base: UnsafeRawPointer, _ end: Int, _ offset: inout Int) -> UInt32? {
    guard offset < end else { return nil }
    let first = base.load(fromByteOffset: offset, as: UInt8.self)
    if first < 0x80 {
        offset += 1
        return UInt32(first)
    }
    return readVarint(UnsafeRawBufferPointer(start: base, count: end), &offset)
}

private func readVarint(_ raw: UnsafeRawBufferPointer, _ offset: inout Int) -> UInt32? {
    var value: UInt32 = 0
    var shift: UInt32 = 0
    while offset < raw.count, shift < 35 {
        let byte = raw[offset]
        offset += 1
        value |= UInt32(byte & 0x7F) << shift
        if byte < 0x80 { return value }
        shift += 7
    }
    return nil
}

private func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
}

private func loadUInt32(_ raw: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
    UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
}

private func loadUInt64(_ raw: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
    UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
}
