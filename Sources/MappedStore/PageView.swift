import CMnemapShims
import MappedMemory
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where committed pages are read from: the read-only mapping of the data file, limited to
/// the pages a snapshot says exist. Every access is checked, so a damaged file gives
/// `.corruptPage`, never an out-of-bounds read.
struct PageSource {
    let base: UnsafeRawPointer
    /// Pages the snapshot has (its meta's page count).
    let pageCount: UInt64
    let verifyChecksums: Bool

    /// The error for a damaged page. The store's path is filled in where the error leaves the
    /// library (keeping the path out of this value keeps it free of reference counting on the read path).
    func corrupt(_ page: PageNumber, _ problem: String) -> StoreError {
        StoreError(path: "", reason: .corruptPage(page: page, problem: problem))
    }

    /// A branch or leaf page, validated.
    func page(_ number: PageNumber) throws(StoreError) -> PageView {
        guard number >= 2, number < pageCount else { throw corrupt(number, "link to page \(number) outside the \(pageCount) pages of the store") }
        let pointer = base + Int(number) * PageLayout.pageSize
        let kind = pointer.load(fromByteOffset: PageLayout.kindOffset, as: UInt8.self)
        guard kind == PageKind.leaf.rawValue || kind == PageKind.branch.rawValue else {
            throw corrupt(number, "expected a branch or leaf page, found kind \(kind)")
        }
        guard pointer.le64(PageLayout.numberOffset) == number else { throw corrupt(number, "the page says it is page \(pointer.le64(PageLayout.numberOffset))") }
        let count = Int(pointer.le16(PageLayout.countOffset))
        guard PageLayout.headerSize + count * PageLayout.slotSize <= PageLayout.pageSize else { throw corrupt(number, "entry count \(count) does not fit") }
        if verifyChecksums {
            guard checksumMatches(UnsafeRawBufferPointer(start: pointer, count: PageLayout.pageSize)) else { throw corrupt(number, "checksum mismatch") }
        }
        return PageView(base: pointer, number: number, isLeaf: kind == PageKind.leaf.rawValue, count: count)
    }

    /// The bytes of the overflow run at `number` holding a value of `length` bytes, validated.
    func overflow(_ number: PageNumber, length: Int) throws(StoreError) -> UnsafeRawBufferPointer {
        guard number >= 2, number < pageCount else { throw corrupt(number, "overflow link outside the store") }
        let pointer = base + Int(number) * PageLayout.pageSize
        guard pointer.load(fromByteOffset: PageLayout.kindOffset, as: UInt8.self) == PageKind.overflow.rawValue else { throw corrupt(number, "expected an overflow page") }
        guard pointer.le64(PageLayout.numberOffset) == number else { throw corrupt(number, "the page says it is page \(pointer.le64(PageLayout.numberOffset))") }
        let run = UInt64(pointer.le32(PageLayout.runOffset))
        guard run >= 1, number + run <= pageCount, Int(run) * PageLayout.pageSize - PageLayout.headerSize >= length else {
            throw corrupt(number, "overflow run of \(run) pages cannot hold \(length) bytes")
        }
        if verifyChecksums {
            guard checksumMatches(UnsafeRawBufferPointer(start: pointer, count: Int(run) * PageLayout.pageSize)) else { throw corrupt(number, "checksum mismatch") }
        }
        return UnsafeRawBufferPointer(start: pointer + PageLayout.headerSize, count: length)
    }

    /// The length in pages of the overflow run at `number`.
    func overflowRunLength(_ number: PageNumber) throws(StoreError) -> Int {
        guard number >= 2, number < pageCount else { throw corrupt(number, "overflow link outside the store") }
        let pointer = base + Int(number) * PageLayout.pageSize
        let run = UInt64(pointer.le32(PageLayout.runOffset))
        guard run >= 1, number + run <= pageCount else { throw corrupt(number, "overflow run length \(run)") }
        return Int(run)
    }
}

/// A value as stored in a leaf.
enum StoredValue {
    case inline(UnsafeRawBufferPointer)
    case overflow(page: PageNumber, length: Int)
}

/// A committed branch or leaf page, read in place.
struct PageView {
    let base: UnsafeRawPointer
    let number: PageNumber
    let isLeaf: Bool
    let count: Int

    private func corrupt(_ problem: String) -> StoreError {
        StoreError(path: "", reason: .corruptPage(page: number, problem: problem))
    }

    @inline(__always)
    private func entryOffset(_ index: Int, header: Int) throws(StoreError) -> Int {
        let offset = Int(base.le16(PageLayout.headerSize + index * PageLayout.slotSize))
        guard offset >= PageLayout.headerSize + count * PageLayout.slotSize, offset + header <= PageLayout.pageSize else {
            throw corrupt("entry \(index) at offset \(offset) is outside the page")
        }
        return offset
    }

    func key(at index: Int) throws(StoreError) -> UnsafeRawBufferPointer {
        let header = isLeaf ? PageLayout.leafEntryHeader : PageLayout.branchEntryHeader
        let offset = try entryOffset(index, header: header)
        let length = Int(base.le16(offset))
        guard offset + header + length <= PageLayout.pageSize else { throw corrupt("key of entry \(index) runs past the page") }
        return UnsafeRawBufferPointer(start: base + offset + header, count: length)
    }

    /// The first index whose key is >= `key`, and whether it is equal: a binary search over the
    /// slots, comparing in place (every offset checked as in ``key(at:)``).
    func search(_ key: UnsafeRawBufferPointer) throws(StoreError) -> (index: Int, found: Bool) {
        let header = isLeaf ? PageLayout.leafEntryHeader : PageLayout.branchEntryHeader
        let slotsEnd = PageLayout.headerSize + count * PageLayout.slotSize
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) >> 1
            if high - low >= 3 {
                // Each probe reads a key elsewhere in the page, most often a cache miss. Start
                // loading both keys the next probe may read while this one waits for its own.
                let left = (low + middle) >> 1, right = (middle + 1 + high) >> 1
                prefetchEntry(left)
                prefetchEntry(right)
                if high - low >= 7 {
                    prefetchEntry((low + left) >> 1); prefetchEntry((left + 1 + middle) >> 1)
                    prefetchEntry((middle + 1 + right) >> 1); prefetchEntry((right + 1 + high) >> 1)
                }
            }
            let offset = Int(base.le16(PageLayout.headerSize + middle * PageLayout.slotSize))
            guard offset >= slotsEnd, offset + header <= PageLayout.pageSize else { throw corrupt("entry \(middle) at offset \(offset) is outside the page") }
            let length = Int(base.le16(offset))
            guard offset + header + length <= PageLayout.pageSize else { throw corrupt("key of entry \(middle) runs past the page") }
            let order = compareKeys(UnsafeRawBufferPointer(start: base + offset + header, count: length), key)
            if order < 0 { low = middle + 1 } else if order > 0 { high = middle } else { return (middle, true) }
        }
        return (low, false)
    }

    /// A hint to load the start of entry `index` (which must be below `count`) into the caches.
    /// Never faults: a damaged offset only prefetches another byte of this page.
    @inline(__always)
    private func prefetchEntry(_ index: Int) {
        let offset = Int(base.le16(PageLayout.headerSize + index * PageLayout.slotSize))
        mnemap_prefetch(base + (offset & (PageLayout.pageSize - 1)), 1)
    }

    func child(at index: Int) throws(StoreError) -> PageNumber {
        let offset = try entryOffset(index, header: PageLayout.branchEntryHeader)
        return base.le64(offset + 8)
    }

    func value(at index: Int) throws(StoreError) -> StoredValue {
        let offset = try entryOffset(index, header: PageLayout.leafEntryHeader)
        let keyLength = Int(base.le16(offset))
        let flags = base.le16(offset + 2)
        let valueLength = Int(base.le32(offset + 4))
        let start = offset + PageLayout.leafEntryHeader + keyLength
        if flags & PageLayout.overflowFlag != 0 {
            guard start + 8 <= PageLayout.pageSize else { throw corrupt("overflow link of entry \(index) runs past the page") }
            return .overflow(page: base.le64(start), length: valueLength)
        }
        guard start + valueLength <= PageLayout.pageSize else { throw corrupt("value of entry \(index) runs past the page") }
        return .inline(UnsafeRawBufferPointer(start: base + start, count: valueLength))
    }
}

/// Byte-wise key order (memcmp, then length). Keys of 8 bytes or more are first compared on
/// their first 8 bytes as big-endian integers, which decides most comparisons without a call.
@inline(__always)
func compareKeys(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let common = min(a.count, b.count)
    if common >= 8 {
        let x = UInt64(bigEndian: a.loadUnaligned(as: UInt64.self))
        let y = UInt64(bigEndian: b.loadUnaligned(as: UInt64.self))
        if x != y { return x < y ? -1 : 1 }
        if common > 8 {
            let result = memcmp(a.baseAddress! + 8, b.baseAddress! + 8, common - 8)
            if result != 0 { return Int(result) }
        }
    } else if common > 0 {
        let result = memcmp(a.baseAddress!, b.baseAddress!, common)
        if result != 0 { return Int(result) }
    }
    return a.count - b.count
}

func compareKeys(_ a: [UInt8], _ b: UnsafeRawBufferPointer) -> Int {
    a.withUnsafeBytes { compareKeys($0, b) }
}

func compareKeys(_ a: [UInt8], _ b: [UInt8]) -> Int {
    a.withUnsafeBytes { x in b.withUnsafeBytes { y in compareKeys(x, y) } }
}
