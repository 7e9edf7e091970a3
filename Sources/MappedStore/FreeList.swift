/// Pages no snapshot needs any more, and pages freed by recent transactions that some
/// reader may still see.
///
/// A page freed by transaction X belonged to the snapshots before X. It may be reused once
/// every reader's snapshot, and the durable meta on disk, is at X or later. Stored at each
/// commit in a run of free-list pages: counts, the reusable pages, then (txnID, pages) groups.
struct FreeList: Equatable {
    /// Pages that may be written now, in descending order: the lowest is last, so taking it is
    /// O(1), and reusing low pages first lets the end of the file fall free.
    var reusable: [PageNumber] = []
    /// Pages freed by each transaction, not yet reusable.
    var pending: [UInt64: [PageNumber]] = [:]

    /// Moves to `reusable` the pages freed by transactions at or before `oldest`.
    mutating func release(upTo oldest: UInt64) {
        var released: [PageNumber] = []
        for (txnID, pages) in pending where txnID <= oldest {
            released += pages
            pending[txnID] = nil
        }
        guard !released.isEmpty else { return }
        reusable = (reusable + released).sorted(by: >)
        checkInvariants()
    }

    /// Takes a run of `count` consecutive reusable pages, the lowest that exists.
    mutating func takeRun(_ count: Int) -> PageNumber? {
        guard count > 0, reusable.count >= count else { return nil }
        if count == 1 { return reusable.removeLast() }
        // Scan from the low end (the array's end) for `count` consecutive numbers.
        var runEnd = reusable.count - 1
        for index in stride(from: reusable.count - 1, through: 0, by: -1) {
            if index < reusable.count - 1 && reusable[index] != reusable[index + 1] + 1 { runEnd = index }
            if runEnd - index + 1 == count {
                let first = reusable[runEnd]
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
        if trimmed > 0 { reusable.removeFirst(trimmed) }
    }

    /// Pages freed after transaction `txnID` (still pinned by it).
    func pendingAfter(_ txnID: UInt64) -> Int {
        pending.reduce(0) { $0 + ($1.key > txnID ? $1.value.count : 0) }
    }

    var pageTotal: Int { reusable.count + pending.values.reduce(0) { $0 + $1.count } }

    /// Bytes of the encoding.
    var encodedSize: Int { 16 + reusable.count * 8 + pending.count * 16 + pending.values.reduce(0) { $0 + $1.count * 8 } }

    /// Pages needed to store the list (0 when empty).
    var runLength: Int {
        if reusable.isEmpty && pending.isEmpty { return 0 }
        return (PageLayout.headerSize + encodedSize + PageLayout.pageSize - 1) / PageLayout.pageSize
    }

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
            for txnID in pending.keys.sorted() {
                let pages = pending[txnID]!
                raw.put64(txnID, at: offset)
                raw.put64(UInt64(pages.count), at: offset + 8)
                offset += 16
                for number in pages {
                    raw.put64(number, at: offset)
                    offset += 8
                }
            }
        }
    }

    /// Decodes and validates the run at `first` of `length` pages.
    static func decode(_ source: PageSource, first: PageNumber, length: Int) throws(StoreError) -> FreeList {
        guard first >= 2, length >= 1, first + UInt64(length) <= source.pageCount else {
            throw source.corrupt(first, "free list run of \(length) pages outside the store")
        }
        let pointer = source.base + Int(first) * PageLayout.pageSize
        let bytes = length * PageLayout.pageSize
        guard pointer.load(fromByteOffset: PageLayout.kindOffset, as: UInt8.self) == PageKind.freeList.rawValue,
              pointer.le64(PageLayout.numberOffset) == first,
              Int(pointer.le32(PageLayout.runOffset)) == length else {
            throw source.corrupt(first, "expected a free-list run of \(length) pages")
        }
        guard checksumMatches(UnsafeRawBufferPointer(start: pointer, count: bytes)) else {
            throw source.corrupt(first, "free list checksum mismatch")
        }
        var list = FreeList()
        var offset = PageLayout.headerSize
        func next() throws(StoreError) -> UInt64 {
            guard offset + 8 <= bytes else { throw source.corrupt(first, "free list runs past its pages") }
            defer { offset += 8 }
            return pointer.le64(offset)
        }
        func page() throws(StoreError) -> PageNumber {
            let number = try next()
            guard number >= 2, number < source.pageCount else { throw source.corrupt(first, "free list names page \(number) outside the store") }
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
            list.pending[txnID, default: []] += pages
        }
        list.reusable.sort(by: >)
        return list
    }

    func checkInvariants() {
        #if DEBUG
        for index in 1..<max(1, reusable.count) { assert(reusable[index - 1] > reusable[index], "free list out of order or has duplicates") }
        #endif
    }
}
