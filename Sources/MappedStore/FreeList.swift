/// Pages no snapshot needs any more, and pages freed by recent transactions that some
/// reader may still see.
///
/// A page freed by transaction X belonged to the snapshots before X. It may be reused once
/// every reader's snapshot, and the durable meta on disk, is at X or later.
///
/// On disk the list is a chain of runs (`docs/store-format.md`): a *snapshot* of the whole
/// list, followed by up to ``maxDeltas`` *deltas*, each holding only what one commit changed
/// (the release threshold, the pages it took, the pages it freed). A commit writes a delta,
/// or a new snapshot when the deltas together would outgrow one, so the bytes written per
/// commit follow the size of the change, not of the list.
struct FreeList: Equatable {
    /// Pages that may be written now, in descending order: the lowest is last, so taking it is
    /// O(1), and reusing low pages first lets the end of the file fall free.
    var reusable: [PageNumber] = []
    /// The pages one transaction freed.
    struct Freed: Equatable {
        var txnID: UInt64
        var pages: [PageNumber]
    }

    /// Pages freed by each transaction, not yet reusable, in ascending transaction order (one
    /// group per transaction; change through ``addPending(_:txnID:)``). Commits add at the end and
    /// releases take from the front, so neither walks the list.
    private(set) var pending: [Freed] = []
    /// The pages in `pending`, counted as they come and go.
    private(set) var pendingPageCount = 0

    /// Adds pages freed by transaction `txnID` (usually the newest: then O(1)).
    mutating func addPending(_ pages: [PageNumber], txnID: UInt64) {
        pendingPageCount += pages.count
        if let last = pending.last, last.txnID >= txnID {
            // Not the newest (only when reading a list): merge into its place.
            var low = 0
            var high = pending.count
            while low < high {
                let middle = (low + high) >> 1
                if pending[middle].txnID < txnID { low = middle + 1 } else { high = middle }
            }
            if low < pending.count, pending[low].txnID == txnID { pending[low].pages += pages } else { pending.insert(Freed(txnID: txnID, pages: pages), at: low) }
        } else {
            pending.append(Freed(txnID: txnID, pages: pages))
        }
    }

    /// The pages transaction `txnID` freed (searched from the newest end).
    func pendingPages(of txnID: UInt64) -> [PageNumber] {
        for group in pending.reversed() {
            if group.txnID == txnID { return group.pages }
            if group.txnID < txnID { break }
        }
        return []
    }

    /// A run of free-list pages on disk.
    struct Run: Equatable {
        var first: PageNumber
        var length: Int
    }

    /// The runs of the chain this list was read from or written to, oldest (the snapshot) first.
    var chain: [Run] = []

    /// What this transaction did to the list, for its delta: the release threshold, and the
    /// reusable pages it took (allocated or trimmed away).
    var releasedUpTo: UInt64 = 0
    var removed: [PageNumber] = []

    /// The most deltas after a snapshot (bounds the work of reading the list).
    static let maxDeltas = 32

    /// Starts a write transaction's changes: releases the pages freed at or before `oldest`.
    mutating func begin(releasingUpTo oldest: UInt64) {
        releasedUpTo = oldest
        removed.removeAll()
        release(upTo: oldest)
    }

    /// Moves to `reusable` the pages freed by transactions at or before `oldest`.
    mutating func release(upTo oldest: UInt64) {
        var groups = 0
        var released: [PageNumber] = []
        while groups < pending.count, pending[groups].txnID <= oldest {
            released += pending[groups].pages
            groups += 1
        }
        guard groups > 0 else { return }
        pending.removeFirst(groups)
        pendingPageCount -= released.count
        guard !released.isEmpty else { return }
        released.sort(by: >)
        if released.count <= 64 {
            // A few pages: insert each where it belongs (a binary search and one move).
            for page in released {
                var low = 0
                var high = reusable.count
                while low < high {
                    let middle = (low + high) >> 1
                    if reusable[middle] > page { low = middle + 1 } else { high = middle }
                }
                reusable.insert(page, at: low)
            }
            checkInvariants()
            return
        }
        // Merge two descending lists.
        var merged: [PageNumber] = []
        merged.reserveCapacity(reusable.count + released.count)
        var i = 0
        var j = 0
        while i < reusable.count && j < released.count {
            if reusable[i] > released[j] { merged.append(reusable[i]); i += 1 } else { merged.append(released[j]); j += 1 }
        }
        merged += reusable[i...]
        merged += released[j...]
        reusable = merged
        checkInvariants()
    }

    /// Takes a run of `count` consecutive reusable pages, the lowest that exists.
    mutating func takeRun(_ count: Int) -> PageNumber? {
        guard count > 0, reusable.count >= count else { return nil }
        if count == 1 {
            let page = reusable.removeLast()
            removed.append(page)
            return page
        }
        // Scan from the low end (the array's end) for `count` consecutive numbers.
        var runEnd = reusable.count - 1
        for index in stride(from: reusable.count - 1, through: 0, by: -1) {
            if index < reusable.count - 1 && reusable[index] != reusable[index + 1] + 1 { runEnd = index }
            if runEnd - index + 1 == count {
                let first = reusable[runEnd]
                removed += reusable[index...runEnd]
                reusable.removeSubrange(index...runEnd)
                return first
            }
        }
        return nil
    }

    /// Pages at the end of the store that are reusable: the store can shrink by them.
    mutating func trimTail(pageCount: inout UInt64) {
        var trimmed = 0
        while trimmed < reusable.count, reusable[trimmed] == pageCount - 1 {
            trimmed += 1
            pageCount -= 1
        }
        if trimmed > 0 {
            removed += reusable[..<trimmed]
            reusable.removeFirst(trimmed)
        }
    }

    /// Pages freed after transaction `txnID` (still pinned by it).
    func pendingAfter(_ txnID: UInt64) -> Int {
        var count = 0
        for group in pending.reversed() {
            guard group.txnID > txnID else { break }
            count += group.pages.count
        }
        return count
    }

    var pageTotal: Int { reusable.count + pendingPageCount }

    /// Bytes of the snapshot encoding.
    var encodedSize: Int { 16 + reusable.count * 8 + pending.count * 16 + pendingPageCount * 8 }

    /// Pages needed to store the list as a snapshot (0 when empty).
    var runLength: Int {
        if reusable.isEmpty && pending.isEmpty { return 0 }
        return Self.pages(encodedSize)
    }

    static func pages(_ bodyBytes: Int) -> Int {
        (PageLayout.headerSize + bodyBytes + PageLayout.pageSize - 1) / PageLayout.pageSize
    }

    /// Delta runs are marked in the page header's flags byte.
    static let deltaFlag: UInt8 = 1
    static let deltaHeaderSize = 48

    /// Bytes of the delta of transaction `txnID`, with `extraRemoved` more taken pages.
    func deltaSize(txnID: UInt64, extraRemoved: Int = 0) -> Int {
        Self.deltaHeaderSize + (removed.count + extraRemoved + pendingPages(of: txnID).count) * 8
    }

    /// Whether runs of the chain are all that keeps free pages below them from being trimmed
    /// off the end of the store (a new snapshot, written low, lets the file shrink).
    func chainBlocksTrimming(pageCount: UInt64) -> Bool {
        var top = pageCount
        var moved = true
        while moved {
            moved = false
            for run in chain where run.first + UInt64(run.length) == top {
                top = run.first
                moved = true
            }
        }
        return top < pageCount && reusable.first == top - 1
    }

    /// Pages of the delta runs in the chain.
    var deltaPages: Int { chain.dropFirst().reduce(0) { $0 + $1.length } }

    /// Writes the whole list (a snapshot) into `page`, a run of ``runLength`` pages.
    func encode(into page: inout PageBuffer) {
        page.bytes.withUnsafeMutableBytes { raw in
            var offset = PageLayout.headerSize
            raw.put64(UInt64(reusable.count), at: offset)
            raw.put64(UInt64(pending.count), at: offset + 8)
            offset += 16
            for number in reusable {
                raw.put64(number, at: offset)
                offset += 8
            }
            for group in pending {
                raw.put64(group.txnID, at: offset)
                raw.put64(UInt64(group.pages.count), at: offset + 8)
                offset += 16
                for number in group.pages {
                    raw.put64(number, at: offset)
                    offset += 8
                }
            }
        }
    }

    /// Writes the delta of transaction `txnID` into `page`: a link to the previous run of the
    /// chain, then the release threshold, the pages taken, and the pages the transaction freed.
    func encodeDelta(txnID: UInt64, into page: inout PageBuffer) {
        let previous = chain.last!
        let added = pendingPages(of: txnID)
        precondition(PageLayout.headerSize + deltaSize(txnID: txnID) <= page.bytes.count, "free-list delta larger than its run")
        page.bytes.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: Self.deltaFlag, toByteOffset: PageLayout.flagsOffset, as: UInt8.self)
            var offset = PageLayout.headerSize
            raw.put64(previous.first, at: offset)
            raw.put32(UInt32(previous.length), at: offset + 8)
            raw.put32(UInt32(chain.count), at: offset + 12)
            raw.put64(releasedUpTo, at: offset + 16)
            raw.put64(txnID, at: offset + 24)
            raw.put64(UInt64(removed.count), at: offset + 32)
            raw.put64(UInt64(added.count), at: offset + 40)
            offset += Self.deltaHeaderSize
            for number in removed { raw.put64(number, at: offset); offset += 8 }
            for number in added { raw.put64(number, at: offset); offset += 8 }
        }
    }

    /// Decodes and validates the chain whose newest run is at `first` and `length` pages long.
    static func decode(_ source: PageSource, first: PageNumber, length: Int) throws(StoreError) -> FreeList {
        // Walk back to the snapshot, then replay the deltas forward.
        var runs: [Run] = []
        var run = Run(first: first, length: length)
        while true {
            guard runs.count <= maxDeltas else { throw source.corrupt(first, "free-list chain longer than \(maxDeltas + 1) runs") }
            let pointer = try checkedRun(source, run)
            runs.append(run)
            guard pointer.load(fromByteOffset: PageLayout.flagsOffset, as: UInt8.self) == deltaFlag else { break }
            guard run.length * PageLayout.pageSize >= PageLayout.headerSize + deltaHeaderSize else { throw source.corrupt(run.first, "free-list delta header") }
            let body = pointer + PageLayout.headerSize
            run = Run(first: body.le64(0), length: Int(body.le32(8)))
        }
        runs.reverse()
        var list = try decodeSnapshot(source, runs[0])
        for (position, delta) in runs.enumerated().dropFirst() {
            // Each delta names its place in the chain: a link that skips or loops is damage.
            let body = source.base + Int(delta.first) * PageLayout.pageSize + PageLayout.headerSize
            guard Int(body.le32(12)) == position else { throw source.corrupt(delta.first, "free-list delta \(body.le32(12)) found at place \(position) of its chain") }
            try list.apply(source, delta)
        }
        list.chain = runs
        let newest = runs[runs.count - 1].first
        if let highest = list.reusable.first, highest >= source.pageCount { throw source.corrupt(newest, "free list names page \(highest) outside the store") }
        for group in list.pending {
            for number in group.pages where number >= source.pageCount { throw source.corrupt(newest, "free list names page \(number) outside the store") }
        }
        list.checkInvariants()
        return list
    }

    /// The run's pages, after checking its header and checksum.
    private static func checkedRun(_ source: PageSource, _ run: Run) throws(StoreError) -> UnsafeRawPointer {
        guard run.first >= 2, run.length >= 1, run.first + UInt64(run.length) <= source.pageCount else {
            throw source.corrupt(run.first, "free list run of \(run.length) pages outside the store")
        }
        let pointer = source.base + Int(run.first) * PageLayout.pageSize
        guard pointer.load(fromByteOffset: PageLayout.kindOffset, as: UInt8.self) == PageKind.freeList.rawValue,
              pointer.le64(PageLayout.numberOffset) == run.first,
              Int(pointer.le32(PageLayout.runOffset)) == run.length else {
            throw source.corrupt(run.first, "expected a free-list run of \(run.length) pages")
        }
        guard checksumMatches(UnsafeRawBufferPointer(start: pointer, count: run.length * PageLayout.pageSize)) else {
            throw source.corrupt(run.first, "free list checksum mismatch")
        }
        return pointer
    }

    /// Replays the delta in `run` on this list.
    private mutating func apply(_ source: PageSource, _ run: Run) throws(StoreError) {
        let pointer = source.base + Int(run.first) * PageLayout.pageSize
        let bytes = run.length * PageLayout.pageSize
        let body = pointer + PageLayout.headerSize
        let upTo = body.le64(16)
        let txnID = body.le64(24)
        let removedCount = body.le64(32)
        let addedCount = body.le64(40)
        guard removedCount <= UInt64(bytes / 8), addedCount <= UInt64(bytes / 8),
              PageLayout.headerSize + Self.deltaHeaderSize + Int(removedCount + addedCount) * 8 <= bytes else {
            throw source.corrupt(run.first, "free-list delta counts")
        }
        release(upTo: upTo)
        var offset = PageLayout.headerSize + Self.deltaHeaderSize
        // An older run may name pages past the current end: pages a later commit trimmed away
        // (its delta removes them). The whole list is checked against the store at the end.
        func page() throws(StoreError) -> PageNumber {
            defer { offset += 8 }
            let number = pointer.le64(offset)
            guard number >= 2, number < UInt64(Int.max) / UInt64(PageLayout.pageSize) else { throw source.corrupt(run.first, "free list names page \(number)") }
            return number
        }
        if removedCount > 0 {
            var taken = Set<PageNumber>(minimumCapacity: Int(removedCount))
            for _ in 0..<removedCount { taken.insert(try page()) }
            let before = reusable.count
            reusable.removeAll { taken.contains($0) }
            guard before - reusable.count == taken.count else { throw source.corrupt(run.first, "free-list delta takes pages that were not free") }
        }
        if addedCount > 0 {
            var pages: [PageNumber] = []
            pages.reserveCapacity(Int(addedCount))
            for _ in 0..<addedCount { pages.append(try page()) }
            addPending(pages, txnID: txnID)
        }
    }

    /// Decodes and validates a snapshot run.
    private static func decodeSnapshot(_ source: PageSource, _ run: Run) throws(StoreError) -> FreeList {
        let first = run.first
        let pointer = source.base + Int(first) * PageLayout.pageSize
        let bytes = run.length * PageLayout.pageSize
        var list = FreeList()
        var offset = PageLayout.headerSize
        func next() throws(StoreError) -> UInt64 {
            guard offset + 8 <= bytes else { throw source.corrupt(first, "free list runs past its pages") }
            defer { offset += 8 }
            return pointer.le64(offset)
        }
        func page() throws(StoreError) -> PageNumber {
            let number = try next()
            guard number >= 2, number < UInt64(Int.max) / UInt64(PageLayout.pageSize) else { throw source.corrupt(first, "free list names page \(number)") }
            return number
        }
        let reusableCount = try next()
        let groups = try next()
        guard reusableCount <= UInt64(bytes / 8), groups <= UInt64(bytes / 16) else { throw source.corrupt(first, "free list counts") }
        list.reusable.reserveCapacity(Int(reusableCount))
        for _ in 0..<reusableCount { list.reusable.append(try page()) }
        for _ in 0..<groups {
            let txnID = try next()
            let count = try next()
            guard count <= UInt64(bytes / 8) else { throw source.corrupt(first, "free list group size") }
            var pages: [PageNumber] = []
            pages.reserveCapacity(Int(count))
            for _ in 0..<count { pages.append(try page()) }
            list.addPending(pages, txnID: txnID)
        }
        list.reusable.sort(by: >)
        return list
    }

    func checkInvariants() {
        #if DEBUG
        for index in 1..<max(1, reusable.count) { assert(reusable[index - 1] > reusable[index], "free list out of order or has duplicates") }
        assert(pendingPageCount == pending.reduce(0) { $0 + $1.pages.count }, "pending page count")
        for index in 1..<max(1, pending.count) { assert(pending[index - 1].txnID < pending[index].txnID, "pending groups out of order") }
        #endif
    }
}
