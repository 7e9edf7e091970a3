#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A branch or leaf being changed by a write transaction (copy-on-write): decoded from its
/// committed page on first touch, changed in memory, and written to new pages at commit
/// (split when it outgrew one page). The committed page is never overwritten.
///
/// Entries live in one byte arena in their on-page form, found through an offset per entry, so
/// decoding a page is a copy per entry and no allocation per key or value (the cost of a write
/// transaction is mostly this decoding and the encoding at commit):
/// - leaf entry: `keyLength u16, flags u16, valueLength u32, key, value` where the value is the
///   bytes (also when too large to stay inline: moved to an overflow run at commit) or, with
///   ``PageLayout/overflowFlag``, the first page of its overflow run (8 bytes);
/// - branch entry: `keyLength u16, 14 bytes (the child page, written at commit), key`; the
///   children are in ``children``.
///
/// Changing an entry appends its new form to the arena and leaves the old bytes as garbage,
/// which is dropped when the arena has to grow.
///
/// A node belongs to one write transaction, used by one thread at a time, so its stored
/// properties skip the run-time exclusivity checks (measurable on the commit path).
final class Node {
    enum Child {
        case page(PageNumber)
        case node(Node)
    }

    let isLeaf: Bool
    /// Branch children, parallel to the keys: child i holds the keys from key i up to key i+1.
    @exclusivity(unchecked) var children: [Child] = []
    /// True while every insertion went right after the one before (one run of inserts, as at an
    /// append point), and nothing was removed or merged: ``pageRanges()`` then splits at the run.
    @exclusivity(unchecked) private(set) var insertsAreOneRun = true
    /// The index after the last inserted entry; nil before the first insertion.
    @exclusivity(unchecked) private(set) var insertRunEnd: Int?

    @exclusivity(unchecked) private var arena: UnsafeMutableRawPointer
    @exclusivity(unchecked) private var arenaCapacity: Int
    @exclusivity(unchecked) private var arenaUsed = 0
    /// Bytes of the arena no entry refers to any more.
    @exclusivity(unchecked) private var garbage = 0
    @exclusivity(unchecked) private var offsets: UnsafeMutablePointer<UInt32>
    @exclusivity(unchecked) private var offsetCapacity: Int
    @exclusivity(unchecked) private(set) var count = 0
    /// Page bytes of all entries, slots included (the sum of ``entrySize(_:)``), kept as entries change.
    @exclusivity(unchecked) private(set) var byteSize = 0

    private var entryHeader: Int { isLeaf ? PageLayout.leafEntryHeader : PageLayout.branchEntryHeader }

    init(isLeaf: Bool, arenaCapacity: Int = 256, entryCapacity: Int = 8) {
        self.isLeaf = isLeaf
        self.arenaCapacity = max(64, arenaCapacity)
        arena = UnsafeMutableRawPointer.allocate(byteCount: self.arenaCapacity, alignment: 8)
        offsetCapacity = max(4, entryCapacity)
        offsets = UnsafeMutablePointer<UInt32>.allocate(capacity: offsetCapacity)
    }

    /// A branch with `keys` and `children` (parallel).
    convenience init(branchKeys keys: [[UInt8]], children: [Child]) {
        precondition(keys.count == children.count)
        self.init(isLeaf: false, arenaCapacity: keys.reduce(0) { $0 + PageLayout.branchEntryHeader + $1.count }, entryCapacity: keys.count)
        for key in keys { key.withUnsafeBytes { appendEntry(key: $0, flags: 0, valueLength: 0, value: nil) } }
        self.children = children
    }

    deinit {
        arena.deallocate()
        offsets.deallocate()
    }

    /// Decodes a committed page, validating every entry: the page is copied whole and its
    /// entries are used where they are.
    convenience init(_ page: PageView) throws(StoreError) {
        self.init(isLeaf: page.isLeaf, arenaCapacity: PageLayout.pageSize + 512, entryCapacity: page.count + 8)
        func corrupt(_ problem: String) -> StoreError { StoreError(path: "", reason: .corruptPage(page: page.number, problem: problem)) }
        arena.copyMemory(from: page.base, byteCount: PageLayout.pageSize)
        arenaUsed = PageLayout.pageSize
        let header = entryHeader
        let slotsEnd = PageLayout.headerSize + page.count * PageLayout.slotSize
        if !page.isLeaf { children.reserveCapacity(page.count + 8) }
        // The header and slots are not entries: they count as garbage.
        var live = 0
        var previous: UnsafeRawBufferPointer?
        for index in 0..<page.count {
            let offset = Int(page.base.le16(PageLayout.headerSize + index * PageLayout.slotSize))
            guard offset >= slotsEnd, offset + header <= PageLayout.pageSize else { throw corrupt("entry \(index) at offset \(offset) is outside the page") }
            let entry = arena + offset
            let keyLength = keyLength(entry)
            guard keyLength > 0, keyLength <= MappedStore.maxKeySize else { throw corrupt("entry \(index) has a key of \(keyLength) bytes") }
            var size = header + keyLength
            if page.isLeaf {
                let overflow = UInt16(littleEndian: entry.loadUnaligned(fromByteOffset: 2, as: UInt16.self)) & PageLayout.overflowFlag != 0
                let valueLength = Int(UInt32(littleEndian: entry.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
                if overflow {
                    guard valueLength <= MappedStore.maxValueSize else { throw corrupt("entry \(index) has a value of \(valueLength) bytes") }
                    size += 8
                } else {
                    guard size + valueLength <= PageLayout.maxInlineEntry else { throw corrupt("entry \(index) is too large to be inline") }
                    size += valueLength
                }
            } else {
                children.append(.page(UInt64(littleEndian: entry.loadUnaligned(fromByteOffset: 8, as: UInt64.self))))
            }
            guard offset + size <= PageLayout.pageSize else { throw corrupt("entry \(index) runs past the page") }
            // A damaged page must not become a node that breaks the tree's order.
            let key = UnsafeRawBufferPointer(start: entry + header, count: keyLength)
            if let previous, compareKeys(previous, key) >= 0 { throw corrupt("keys out of order at entry \(index)") }
            previous = key
            offsets[index] = UInt32(offset)
            live += size
        }
        count = page.count
        garbage = PageLayout.pageSize - live
        byteSize = live + count * PageLayout.slotSize
    }

    // MARK: Reading entries

    @inline(__always)
    private func entry(_ index: Int) -> UnsafeMutableRawPointer {
        assert(index >= 0 && index < count, "entry \(index) of \(count)")
        return arena + Int(offsets[index])
    }

    @inline(__always)
    private func keyLength(_ entry: UnsafeRawPointer) -> Int { Int(UInt16(littleEndian: entry.loadUnaligned(as: UInt16.self))) }

    /// The key at `index`, in place: valid until the node changes.
    @inline(__always)
    func keyBytes(at index: Int) -> UnsafeRawBufferPointer {
        let entry = entry(index)
        return UnsafeRawBufferPointer(start: entry + entryHeader, count: keyLength(entry))
    }

    func key(at index: Int) -> [UInt8] { Array(keyBytes(at: index)) }

    /// The value at `index` of a leaf: its bytes, or its overflow run.
    func value(at index: Int) -> StoredValue {
        let entry = entry(index)
        let keyLength = keyLength(entry)
        let valueLength = Int(UInt32(littleEndian: entry.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        let start = entry + PageLayout.leafEntryHeader + keyLength
        if UInt16(littleEndian: entry.loadUnaligned(fromByteOffset: 2, as: UInt16.self)) & PageLayout.overflowFlag != 0 {
            return .overflow(page: UInt64(littleEndian: start.loadUnaligned(as: UInt64.self)), length: valueLength)
        }
        return .inline(UnsafeRawBufferPointer(start: start, count: valueLength))
    }

    /// The overflow run of the value at `index` (nil when its bytes are in the node).
    func overflowRun(at index: Int) -> PageNumber? {
        if case .overflow(let first, _) = value(at: index) { return first }
        return nil
    }

    /// The index of the first key >= `key`, and whether it is equal.
    func search(_ key: UnsafeRawBufferPointer) -> (index: Int, found: Bool) {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) >> 1
            let order = compareKeys(keyBytes(at: middle), key)
            if order < 0 { low = middle + 1 } else if order > 0 { high = middle } else { return (middle, true) }
        }
        return (low, false)
    }

    func search(_ key: [UInt8]) -> (index: Int, found: Bool) {
        key.withUnsafeBytes { search($0) }
    }

    /// For a branch: the child whose range holds `key`.
    func childIndex(for key: UnsafeRawBufferPointer) -> Int {
        let (index, found) = search(key)
        if found { return index }
        return max(0, index - 1)
    }

    // MARK: Changing entries

    /// Makes room for `bytes` more arena bytes (dropping garbage when it copies anyway).
    private func reserveArena(_ bytes: Int) {
        guard arenaUsed + bytes > arenaCapacity else { return }
        let live = arenaUsed - garbage
        let capacity = max(arenaCapacity * 2, live + bytes + 256)
        let fresh = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        var used = 0
        for index in 0..<count {
            let entry = entry(index)
            let size = entrySize(entry)
            (fresh + used).copyMemory(from: entry, byteCount: size)
            offsets[index] = UInt32(used)
            used += size
        }
        arena.deallocate()
        arena = fresh
        arenaCapacity = capacity
        arenaUsed = used
        garbage = 0
    }

    /// The arena bytes of `entry`.
    private func entrySize(_ entry: UnsafeRawPointer) -> Int {
        guard isLeaf else { return PageLayout.branchEntryHeader + keyLength(entry) }
        let valueLength = UInt16(littleEndian: entry.loadUnaligned(fromByteOffset: 2, as: UInt16.self)) & PageLayout.overflowFlag != 0
            ? 8 : Int(UInt32(littleEndian: entry.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        return PageLayout.leafEntryHeader + keyLength(entry) + valueLength
    }

    private func reserveOffsets(_ extra: Int) {
        guard count + extra > offsetCapacity else { return }
        let capacity = max(offsetCapacity * 2, count + extra)
        let fresh = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
        fresh.update(from: offsets, count: count)
        offsets.deallocate()
        offsets = fresh
        offsetCapacity = capacity
    }

    /// Writes an entry at the end of the arena; returns its offset. `value` is nil for a branch.
    private func writeEntry(key: UnsafeRawBufferPointer, flags: UInt16, valueLength: Int, value: UnsafeRawBufferPointer?) -> UInt32 {
        let stored = flags & PageLayout.overflowFlag != 0 ? 8 : (value?.count ?? 0)
        let size = entryHeader + key.count + stored
        reserveArena(size)
        let entry = arena + arenaUsed
        entry.storeBytes(of: UInt16(key.count).littleEndian, as: UInt16.self)
        entry.storeBytes(of: flags.littleEndian, toByteOffset: 2, as: UInt16.self)
        entry.storeBytes(of: UInt32(valueLength).littleEndian, toByteOffset: 4, as: UInt32.self)
        if !isLeaf { entry.storeBytes(of: UInt64(0), toByteOffset: 8, as: UInt64.self) }
        if !key.isEmpty { (entry + entryHeader).copyMemory(from: key.baseAddress!, byteCount: key.count) }
        if let value, !value.isEmpty { (entry + entryHeader + key.count).copyMemory(from: value.baseAddress!, byteCount: value.count) }
        let offset = UInt32(arenaUsed)
        arenaUsed += size
        return offset
    }

    private func appendEntry(key: UnsafeRawBufferPointer, flags: UInt16, valueLength: Int, value: UnsafeRawBufferPointer?) {
        reserveOffsets(1)
        offsets[count] = writeEntry(key: key, flags: flags, valueLength: valueLength, value: value)
        count += 1
        byteSize += entrySize(count - 1)
    }

    private func appendOverflowEntry(key: UnsafeRawBufferPointer, first: PageNumber, length: Int) {
        withUnsafeBytes(of: first.littleEndian) { appendEntry(key: key, flags: PageLayout.overflowFlag, valueLength: length, value: $0) }
    }

    private func insertOffset(_ offset: UInt32, at index: Int) {
        reserveOffsets(1)
        if index < count { memmove(offsets + index + 1, offsets + index, (count - index) * MemoryLayout<UInt32>.stride) }
        offsets[index] = offset
        count += 1
    }

    /// Inserts a leaf entry at `index` (which keeps the keys in order).
    func insert(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, at index: Int) {
        assert(isLeaf)
        noteInsertion(at: index, count: 1)
        let offset = writeEntry(key: key, flags: 0, valueLength: value.count, value: value)
        insertOffset(offset, at: index)
        byteSize += entrySize(index)
    }

    /// Replaces the value at `index` of a leaf with `value`'s bytes.
    func setValue(_ value: UnsafeRawBufferPointer, at index: Int) {
        let old = entry(index)
        garbage += entrySize(old)
        byteSize -= entrySize(index)
        // The key is copied out first: growing the arena moves it.
        let key = self.key(at: index)
        offsets[index] = key.withUnsafeBytes { key in writeEntry(key: key, flags: 0, valueLength: value.count, value: value) }
        byteSize += entrySize(index)
    }

    /// Points the value at `index` of a leaf to the overflow run at `first` holding `length` bytes.
    func setOverflow(at index: Int, first: PageNumber, length: Int) {
        garbage += entrySize(entry(index))
        byteSize -= entrySize(index)
        let key = self.key(at: index)
        offsets[index] = key.withUnsafeBytes { key in
            withUnsafeBytes(of: first.littleEndian) { writeEntry(key: key, flags: PageLayout.overflowFlag, valueLength: length, value: $0) }
        }
        byteSize += entrySize(index)
    }

    /// Replaces the key at `index` of a branch (its first separator, a lower bound).
    func setKey(_ key: [UInt8], at index: Int) {
        assert(!isLeaf)
        garbage += entrySize(entry(index))
        byteSize -= entrySize(index)
        offsets[index] = key.withUnsafeBytes { writeEntry(key: $0, flags: 0, valueLength: 0, value: nil) }
        byteSize += entrySize(index)
    }

    /// Removes entry `index` (and, in a branch, its child).
    func remove(at index: Int) {
        garbage += entrySize(entry(index))
        byteSize -= entrySize(index)
        if index + 1 < count { memmove(offsets + index, offsets + index + 1, (count - index - 1) * MemoryLayout<UInt32>.stride) }
        count -= 1
        if !isLeaf { children.remove(at: index) }
        insertsAreOneRun = false
    }

    /// Appends every entry of `other` (whose keys are all greater) to this node.
    func append(contentsOf other: Node) {
        assert(isLeaf == other.isLeaf)
        reserveOffsets(other.count)
        reserveArena(other.arenaUsed - other.garbage)
        for index in 0..<other.count {
            let entry = other.entry(index)
            let size = other.entrySize(entry)
            (arena + arenaUsed).copyMemory(from: entry, byteCount: size)
            offsets[count] = UInt32(arenaUsed)
            arenaUsed += size
            count += 1
        }
        byteSize += other.byteSize
        children += other.children
        insertsAreOneRun = false
    }

    /// Records that `count` entries were inserted at `index`: they continue the run of inserts
    /// when they follow its last entry.
    func noteInsertion(at index: Int, count inserted: Int) {
        if let end = insertRunEnd, end != index { insertsAreOneRun = false }
        insertRunEnd = index + inserted
    }

    /// Records that the inserts were not one run (a branch whose children split in several places).
    func noteScatteredInsertions() { insertsAreOneRun = false }

    /// Appends a branch entry (its key greater than every key in the node).
    func append(key: UnsafeRawBufferPointer, child: Child) {
        assert(!isLeaf)
        appendEntry(key: key, flags: 0, valueLength: 0, value: nil)
        children.append(child)
    }

    /// Takes the entries of `other` (of the same kind), which is left empty.
    func take(_ other: Node) {
        assert(isLeaf == other.isLeaf)
        swap(&arena, &other.arena)
        swap(&arenaCapacity, &other.arenaCapacity)
        swap(&arenaUsed, &other.arenaUsed)
        swap(&garbage, &other.garbage)
        swap(&offsets, &other.offsets)
        swap(&offsetCapacity, &other.offsetCapacity)
        swap(&count, &other.count)
        swap(&byteSize, &other.byteSize)
        swap(&children, &other.children)
        other.count = 0
        other.byteSize = 0
        other.children = []
    }

    // MARK: Sizes

    static func leafEntrySize(keyLength: Int, valueLength: Int, overflow: Bool) -> Int {
        PageLayout.slotSize + PageLayout.leafEntryHeader + keyLength + (isInline(keyLength: keyLength, valueLength: valueLength, overflow: overflow) ? valueLength : 8)
    }

    static func isInline(keyLength: Int, valueLength: Int, overflow: Bool) -> Bool {
        !overflow && PageLayout.leafEntryHeader + keyLength + valueLength <= PageLayout.maxInlineEntry
    }

    /// Whether the value at `index` of a leaf is bytes too large to stay inline (it needs an overflow run).
    func needsOverflow(at index: Int) -> Bool {
        guard case .inline(let bytes) = value(at: index) else { return false }
        return !Self.isInline(keyLength: keyBytes(at: index).count, valueLength: bytes.count, overflow: false)
    }

    /// Page bytes of entry `index` (slot included).
    func entrySize(_ index: Int) -> Int {
        let entry = entry(index)
        guard isLeaf else { return PageLayout.slotSize + PageLayout.branchEntryHeader + keyLength(entry) }
        let overflow = UInt16(littleEndian: entry.loadUnaligned(fromByteOffset: 2, as: UInt16.self)) & PageLayout.overflowFlag != 0
        return Self.leafEntrySize(keyLength: keyLength(entry), valueLength: Int(UInt32(littleEndian: entry.loadUnaligned(fromByteOffset: 4, as: UInt32.self))), overflow: overflow)
    }

    /// Whether the node fills less than a quarter of a page (a candidate for merging).
    var isUnderfilled: Bool { byteSize < (PageLayout.pageSize - PageLayout.headerSize) / 4 }

    /// Splits the entries into ranges that each fit one page.
    ///
    /// - Inserts at the end only (bulk loads, and nodes that did not gain entries): full pages.
    /// - One run of inserts ending in the second half of the node (an append point in the middle
    ///   of a tree, such as the newest entry of one group of keys among many): full pages up to
    ///   the run's end, then the entries after it. The page that ends with the run takes the
    ///   next appends there; an even split would leave every page behind the point half empty.
    /// - Otherwise (inserts in several places, or in the first half): as few pages as fit,
    ///   evenly filled, so that random inserts do not split them again at once.
    func pageRanges() -> [Range<Int>] {
        let capacity = PageLayout.pageSize - PageLayout.headerSize
        let total = byteSize
        if total <= capacity { return [0..<count] }
        if insertsAreOneRun {
            let end = insertRunEnd ?? count
            if end == count { return filledRanges(0..<count, target: capacity) }
            var before = 0
            for index in 0..<end { before += entrySize(index) }
            if before >= capacity / 2 {
                return filledRanges(0..<end, target: capacity) + filledRanges(end..<count, target: capacity)
            }
        }
        let pages = (total + capacity - 1) / capacity
        return filledRanges(0..<count, target: (total + pages - 1) / pages)
    }

    /// `entries` cut into ranges of at most `target` bytes each (one entry at least).
    private func filledRanges(_ entries: Range<Int>, target: Int) -> [Range<Int>] {
        guard !entries.isEmpty else { return [] }
        var ranges: [Range<Int>] = []
        var start = entries.lowerBound
        var used = 0
        for index in entries {
            let size = entrySize(index)
            if used > 0 && used + size > target {
                ranges.append(start..<index)
                start = index
                used = 0
            }
            used += size
        }
        ranges.append(start..<entries.upperBound)
        return ranges
    }

    /// Encodes entries `range` into `page` (a fresh buffer of the right kind). Values too large to
    /// stay inline must already be in overflow runs (the transaction writes them first).
    func encode(_ range: Range<Int>, into page: inout PageBuffer) {
        page.bytes.withUnsafeMutableBytes { raw in
            raw.put16(UInt16(range.count), at: PageLayout.countOffset)
            let base = raw.baseAddress!
            var upper = PageLayout.pageSize
            for (slot, index) in range.enumerated() {
                let entry = entry(index)
                if isLeaf {
                    let size = entrySize(entry)
                    precondition(size <= PageLayout.maxInlineEntry || UInt16(littleEndian: entry.loadUnaligned(fromByteOffset: 2, as: UInt16.self)) & PageLayout.overflowFlag != 0,
                                 "large values are moved to overflow runs before encoding")
                    upper -= size
                    (base + upper).copyMemory(from: entry, byteCount: size)
                } else {
                    let size = PageLayout.branchEntryHeader + keyLength(entry)
                    upper -= size
                    (base + upper).copyMemory(from: entry, byteCount: size)
                    raw.put32(0, at: upper + 2)
                    raw.put16(0, at: upper + 6)
                    guard case .page(let child) = children[index] else { preconditionFailure("children are written before their parent") }
                    raw.put64(child, at: upper + 8)
                }
                raw.put16(UInt16(upper), at: PageLayout.headerSize + slot * PageLayout.slotSize)
            }
            assert(upper >= PageLayout.headerSize + range.count * PageLayout.slotSize, "page overflow")
        }
    }

    /// Debug check: keys strictly ascending, children parallel to keys.
    func checkInvariants() {
        #if DEBUG
        assert(isLeaf ? children.isEmpty : children.count == count)
        assert(byteSize == (0..<count).reduce(0) { $0 + entrySize($1) }, "byteSize \(byteSize) is not the sum of the entries")
        for index in 1..<max(1, count) {
            assert(compareKeys(keyBytes(at: index - 1), keyBytes(at: index)) < 0, "keys out of order at \(index) of \(count) in a \(isLeaf ? "leaf" : "branch")")
        }
        #endif
    }
}
