import Foundation
import MappedStore

/// BM25 search over ``TextIndex``'s postings, document at a time with MaxScore pruning
/// (Turtle and Flood, 1995): the query terms' posting lists are walked together in document
/// order, and once `limit` documents are in hand, a document that could only match terms whose
/// score bounds add up to no more than the `limit`-th best score is not looked at. Those terms'
/// lists are not walked; they are only searched (a B+tree seek) for the documents the other
/// terms bring. A query with a rare term therefore reads that term's postings, not the millions
/// of postings of its common words.
///
/// The answer is exactly what scoring every posting gives: the same documents, the same scores
/// (each document's terms are summed in the same order), ties in document order.
struct TextSearch {
    /// One query term: its postings in document order (the stored blocks, then the pending
    /// documents), its inverse document frequency and the most any posting can add.
    struct TermPostings {
        /// Position of the term in the query's terms sorted by bytes (the order scores are summed in).
        let order: Int
        let term: [UInt8]
        let prefix: [UInt8]
        let idf: Double
        /// idf · (k1 + 1), a little more: no posting's contribution reaches it.
        let bound: Double
        var cursor: Cursor?
        var pending: [TextIndex.Posting]
        /// The decoded block (or the pending documents, after the blocks) and the place in it.
        var postings: [TextIndex.Posting] = []
        var position = 0
        var inStore: Bool
        /// The first document of the block in `postings` (when `inStore`).
        var blockStart: UInt32 = 0

        /// The current document, or `UInt32.max` past the end.
        var document: UInt32 { position < postings.count ? postings[position].document : .max }
        var current: TextIndex.Posting { postings[position] }

        init(order: Int, term: [UInt8], idf: Double, stored: Bool, pending: [TextIndex.Posting], tx: ReadTransaction) throws {
            self.order = order
            self.term = term
            self.prefix = term + [0]
            self.idf = idf
            self.bound = idf * (TextIndex.k1 + 1) * (1 + 1e-9)
            self.pending = pending
            self.inStore = stored
            if stored {
                var cursor = try tx.cursor(in: TextIndex.Tree.postings)
                if try cursor.seek(prefix), try load(&cursor) {
                    self.cursor = cursor
                    return
                }
            }
            leaveStore()
        }

        /// The first document of the block under `cursor` when it is one of this term's; else nil.
        private func blockStart(at cursor: Cursor) throws -> UInt32? {
            let prefix = self.prefix
            return try cursor.withKey { key in
                guard key.count == prefix.count + 4, key.starts(with: prefix) else { return nil }
                return UInt32(bigEndian: key.loadUnaligned(fromByteOffset: prefix.count, as: UInt32.self))
            }
        }

        /// Decodes the block under `cursor` when it is one of this term's (and not empty); false otherwise.
        private mutating func load(_ cursor: inout Cursor) throws -> Bool {
            guard cursor.isPositioned, let start = try blockStart(at: cursor) else { return false }
            let term = self.term
            // Decoded into the array of the block before (its storage is reused: no allocation
            // per block). On false the caller moves on to another block or the pending documents.
            var decoded = postings
            postings = []
            try cursor.withCurrent { _, value in
                try TextIndex.PostingBlock.decode(value, term: term, into: &decoded)
            }
            postings = decoded
            position = 0
            guard !decoded.isEmpty else { return false }
            blockStart = start
            return true
        }

        /// Goes on with the pending documents (numbered after every stored posting).
        private mutating func leaveStore() {
            inStore = false
            cursor = nil
            postings = pending
            pending = []
            position = 0
        }

        /// Moves to the next posting.
        mutating func next() throws {
            position += 1
            guard position >= postings.count, inStore, var cursor else { return }
            self.cursor = nil
            if try cursor.next(), try load(&cursor) {
                self.cursor = cursor
            } else {
                leaveStore()
            }
        }

        /// Moves to the first posting of a document at or after `target`: within the block in
        /// hand, or through one seek in the B+tree to the block that may hold it.
        mutating func advance(to target: UInt32) throws {
            if document >= target { return }
            if let last = postings.last, last.document >= target {
                position = firstIndex(atOrAfter: target)
                return
            }
            // Everything in hand is below `target`.
            if inStore, var cursor, target < .max {
                self.cursor = nil
                // When the target is within about two blocks' span of this one (as a namespace
                // filter's documents are), the next block or the one after holds it: a step to the
                // next key is cheaper than a seek. Far targets (MaxScore's) are sought.
                let span = UInt64((postings.last?.document ?? blockStart) - min(blockStart, postings.last?.document ?? blockStart))
                let near = UInt64(target) <= UInt64(postings.last?.document ?? 0) + 2 * span
                for _ in 0..<(near ? 2 : 0) {
                    guard try cursor.next(), try load(&cursor) else {
                        leaveStore()
                        position = firstIndex(atOrAfter: target)
                        return
                    }
                    if let last = postings.last, last.document >= target {
                        position = firstIndex(atOrAfter: target)
                        self.cursor = cursor
                        return
                    }
                }
                let inHand = blockStart
                let after = prefix + withUnsafeBytes(of: (target + 1).bigEndian) { Array($0) }
                let foundAfter = try cursor.seek(after)
                // The block starting at or before `target`, when it is a later one than in hand.
                let stepped = foundAfter ? try cursor.previous() : try cursor.last()
                if stepped, let start = try blockStart(at: cursor), start > inHand, try load(&cursor) {
                    position = firstIndex(atOrAfter: target)
                    if position < postings.count {
                        self.cursor = cursor
                        return
                    }
                }
                // Else the first block starting after `target`.
                let onNext = stepped ? try cursor.next() : (foundAfter ? try cursor.seek(after) : false)
                if onNext, try load(&cursor) {
                    self.cursor = cursor
                    return
                }
                leaveStore()
            } else if inStore {
                leaveStore()
            }
            position = firstIndex(atOrAfter: target)
        }

        /// The index of the first posting in `postings` at or after `target` (binary search).
        private func firstIndex(atOrAfter target: UInt32) -> Int {
            var low = position
            var high = postings.count
            while low < high {
                let middle = (low + high) / 2
                if postings[middle].document < target { low = middle + 1 } else { high = middle }
            }
            return low
        }
    }

    /// A scored document.
    struct Scored {
        var document: UInt32
        var score: Double

        /// Higher score first; equal scores in document order.
        func ranksBefore(_ other: Scored) -> Bool {
            score > other.score || (score == other.score && document < other.document)
        }
    }

    let averageLength: Double
    /// The query's terms that have postings, by ascending ``TermPostings/bound``.
    var lists: [TermPostings]

    /// The best `limit` documents that `accept` takes (all, when nil), best first. `accept` gets a
    /// document number and returns its id when the document counts; it is called only for
    /// documents that would enter the best `limit` found so far, in document order.
    mutating func best(limit: Int, accept: ((UInt32) throws -> [UInt8]?)?) throws -> [(document: UInt32, score: Double, id: [UInt8]?)] {
        let count = lists.count
        guard count > 0, limit > 0 else { return [] }
        var scoring = Scoring(lists: lists, limit: limit, averageLength: averageLength)
        while scoring.firstEssential < count {
            var document = UInt32.max
            for index in scoring.firstEssential..<count { document = min(document, lists[index].document) }
            if document == .max { break }
            var partial = 0.0
            for index in scoring.firstEssential..<count where lists[index].document == document {
                partial += scoring.take(lists[index].current, idf: lists[index].idf, order: lists[index].order)
                try lists[index].next()
            }
            try scoring.finish(document, partial: partial, lists: &lists, accept: accept)
        }
        return scoring.best.sorted()
    }

    /// The best `limit` of the documents in `allowed` (document numbers, ascending) that `accept`
    /// takes, best first: the same answer as ``best(limit:accept:)`` with an `accept` that turns
    /// down every other document, found by visiting only the allowed documents. Each list is
    /// moved forward to the next allowed document (a search in the block in hand, or a seek),
    /// so the blocks read are those holding allowed documents, and allowed documents below
    /// every list's current posting are skipped by a binary search in `allowed`.
    mutating func best(limit: Int, within allowed: [UInt32], accept: ((UInt32) throws -> [UInt8]?)?) throws -> [(document: UInt32, score: Double, id: [UInt8]?)] {
        let count = lists.count
        guard count > 0, limit > 0, !allowed.isEmpty else { return [] }
        // As in `best(limit:accept:)`: once `limit` documents are in hand, the lists before
        // `firstEssential` cannot bring a document into the best on their own, so only the
        // others decide which allowed documents are looked at; the first ones are moved (a seek
        // as often as not) only to those, and their blocks elsewhere are never decoded.
        var scoring = Scoring(lists: lists, limit: limit, averageLength: averageLength)
        var next = 0
        while next < allowed.count && scoring.firstEssential < count {
            let document = allowed[next]
            var lowest = UInt32.max
            var matched = false
            var partial = 0.0
            for index in scoring.firstEssential..<count {
                try lists[index].advance(to: document)
                let at = lists[index].document
                lowest = min(lowest, at)
                if at == document {
                    partial += scoring.take(lists[index].current, idf: lists[index].idf, order: lists[index].order)
                    matched = true
                }
            }
            if lowest == .max && !matched { break }
            if matched {
                try scoring.finish(document, partial: partial, lists: &lists, accept: accept)
                next += 1
            } else {
                // No deciding list holds `document`: go on at the first allowed document one may hold.
                var low = next + 1
                var high = allowed.count
                while low < high {
                    let middle = (low + high) >> 1
                    if allowed[middle] < lowest { low = middle + 1 } else { high = middle }
                }
                next = low
            }
        }
        return scoring.best.sorted()
    }

    /// What both walks keep while scoring (MaxScore): the bounds, the current document's
    /// contributions by term, the best documents so far, and the first essential list.
    struct Scoring {
        /// boundsUpTo[i]: the most lists 0...i together can give a document.
        let boundsUpTo: [Double]
        let averageLength: Double
        var contributions: [Double]
        var present: [Bool]
        var best: BestDocuments
        /// Lists before this one cannot bring a document into the best on their own.
        var firstEssential = 0

        init(lists: [TermPostings], limit: Int, averageLength: Double) {
            var bounds: [Double] = []
            var sum = 0.0
            for list in lists {
                sum += list.bound
                bounds.append(sum)
            }
            boundsUpTo = bounds
            self.averageLength = averageLength
            let termCount = (lists.map(\.order).max() ?? 0) + 1
            contributions = [Double](repeating: 0, count: termCount)
            present = [Bool](repeating: false, count: termCount)
            best = BestDocuments(limit: limit)
        }

        /// Notes what `list`'s current posting adds to the current document; returns it. (The
        /// list's fields are passed, not the list: a copy of it would retain its arrays.)
        @inline(__always)
        mutating func take(_ posting: TextIndex.Posting, idf: Double, order: Int) -> Double {
            let value = TextSearch.contribution(posting, idf, averageLength: averageLength)
            contributions[order] = value
            present[order] = true
            return value
        }

        /// Completes the score of `document` (`partial` from the essential lists) from the other
        /// lists, largest bound first, stopping as soon as it cannot enter the best; offers it;
        /// then clears the contributions for the next document.
        mutating func finish(_ document: UInt32, partial: Double, lists: inout [TermPostings], accept: ((UInt32) throws -> [UInt8]?)?) throws {
            var partial = partial
            var possible = true
            var index = firstEssential - 1
            while index >= 0 {
                if partial + boundsUpTo[index] <= best.threshold {
                    possible = false
                    break
                }
                try lists[index].advance(to: document)
                if lists[index].document == document { partial += take(lists[index].current, idf: lists[index].idf, order: lists[index].order) }
                index -= 1
            }
            if possible {
                // The exact score, summed in term order (as scoring every posting would).
                var score = 0.0
                for order in 0..<present.count where present[order] { score += contributions[order] }
                if try best.offer(document, score: score, accept: accept), best.isFull {
                    while firstEssential < boundsUpTo.count && boundsUpTo[firstEssential] <= best.threshold { firstEssential += 1 }
                }
            }
            for order in 0..<present.count { present[order] = false }
        }
    }

    /// What one posting adds to its document's BM25 score (computed the same way everywhere, so
    /// that every path gives the same scores to the bit).
    @inline(__always)
    static func contribution(_ posting: TextIndex.Posting, _ idf: Double, averageLength: Double) -> Double {
        let frequency = Double(posting.frequency)
        let saturation = frequency * (TextIndex.k1 + 1) / (frequency + TextIndex.k1 * (1 - TextIndex.b + TextIndex.b * Double(posting.length) / averageLength))
        return idf * saturation
    }

    /// The best `limit` documents found so far, the worst of them at the root of a heap.
    struct BestDocuments {
        let limit: Int
        private var heap: [(entry: Scored, id: [UInt8]?)] = []
        /// The score a document must beat to enter once `limit` are in hand (-infinity before).
        private(set) var threshold = -Double.infinity

        init(limit: Int) {
            self.limit = limit
            heap.reserveCapacity(limit)
        }

        var isFull: Bool { heap.count == limit }

        /// Offers `document` (found in document order): it enters when it would rank among the
        /// best and `accept` (when given) returns its id. Returns whether it entered.
        mutating func offer(_ document: UInt32, score: Double, accept: ((UInt32) throws -> [UInt8]?)?) throws -> Bool {
            guard heap.count < limit || score > threshold else { return false }
            var id: [UInt8]? = nil
            if let accept {
                id = try accept(document)
                guard id != nil else { return false }
            }
            let entry = Scored(document: document, score: score)
            if heap.count < limit {
                heap.append((entry, id))
                siftUp(from: heap.count - 1)
            } else {
                heap[0] = (entry, id)
                siftDown(from: 0)
            }
            if heap.count == limit { threshold = heap[0].entry.score }
            return true
        }

        /// The documents, best first.
        func sorted() -> [(document: UInt32, score: Double, id: [UInt8]?)] {
            heap.sorted { $0.entry.ranksBefore($1.entry) }.map { ($0.entry.document, $0.entry.score, $0.id) }
        }

        /// Whether `a` is worse than `b` (the heap keeps the worst at the root).
        private static func worse(_ a: Scored, _ b: Scored) -> Bool { b.ranksBefore(a) }

        private mutating func siftUp(from index: Int) {
            var child = index
            while child > 0 {
                let parent = (child - 1) / 2
                guard Self.worse(heap[child].entry, heap[parent].entry) else { return }
                heap.swapAt(child, parent)
                child = parent
            }
        }

        private mutating func siftDown(from index: Int) {
            var parent = index
            while true {
                let left = 2 * parent + 1
                guard left < heap.count else { return }
                var worst = left
                if left + 1 < heap.count && Self.worse(heap[left + 1].entry, heap[left].entry) { worst = left + 1 }
                guard Self.worse(heap[worst].entry, heap[parent].entry) else { return }
                heap.swapAt(parent, worst)
                parent = worst
            }
        }
    }
}
