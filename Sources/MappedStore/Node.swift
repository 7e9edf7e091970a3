/// A branch or leaf being changed by a write transaction (copy-on-write): decoded from its
/// committed page on first touch, changed in memory, and written to new pages at commit
/// (split when it outgrew one page). The committed page is never overwritten.
final class Node {
    enum Value {
        /// Bytes kept in the node; stored inline or in a new overflow run at commit, by size.
        case bytes([UInt8])
        /// An unchanged value already in an overflow run.
        case overflow(page: PageNumber, length: Int)

        var length: Int {
            switch self {
            case .bytes(let bytes): bytes.count
            case .overflow(_, let length): length
            }
        }
    }

    enum Child {
        case page(PageNumber)
        case node(Node)
    }

    var isLeaf: Bool
    var keys: [[UInt8]]
    /// Leaf values, parallel to `keys`.
    var values: [Value]
    /// Branch children, parallel to `keys`: child i holds the keys from keys[i] up to keys[i+1].
    var children: [Child]
    /// True while every insertion went after the last key: the node then splits into full pages (bulk loads).
    var appendOnly = true

    init(isLeaf: Bool, keys: [[UInt8]] = [], values: [Value] = [], children: [Child] = []) {
        self.isLeaf = isLeaf
        self.keys = keys
        self.values = values
        self.children = children
    }

    /// Decodes a committed page.
    convenience init(_ page: PageView) throws(StoreError) {
        self.init(isLeaf: page.isLeaf)
        keys.reserveCapacity(page.count)
        for index in 0..<page.count {
            let key = Array(try page.key(at: index))
            // A damaged page must not become a node that breaks the tree's order.
            if let previous = keys.last, compareKeys(previous, key) >= 0 {
                throw StoreError(path: "", reason: .corruptPage(page: page.number, problem: "keys out of order at entry \(index)"))
            }
            guard !key.isEmpty, key.count <= MappedStore.maxKeySize else {
                throw StoreError(path: "", reason: .corruptPage(page: page.number, problem: "entry \(index) has a key of \(key.count) bytes"))
            }
            keys.append(key)
            if page.isLeaf {
                switch try page.value(at: index) {
                case .inline(let bytes):
                    guard PageLayout.leafEntryHeader + key.count + bytes.count <= PageLayout.maxInlineEntry else {
                        throw StoreError(path: "", reason: .corruptPage(page: page.number, problem: "entry \(index) is too large to be inline"))
                    }
                    values.append(.bytes(Array(bytes)))
                case .overflow(let first, let length):
                    guard length <= MappedStore.maxValueSize else {
                        throw StoreError(path: "", reason: .corruptPage(page: page.number, problem: "entry \(index) has a value of \(length) bytes"))
                    }
                    values.append(.overflow(page: first, length: length))
                }
            } else {
                children.append(.page(try page.child(at: index)))
            }
        }
    }

    var count: Int { keys.count }

    /// The index of the first key >= `key`, and whether it is equal.
    func search(_ key: [UInt8]) -> (index: Int, found: Bool) {
        var low = 0
        var high = keys.count
        while low < high {
            let middle = (low + high) / 2
            if compareKeys(keys[middle], key) < 0 { low = middle + 1 } else { high = middle }
        }
        return (low, low < keys.count && compareKeys(keys[low], key) == 0)
    }

    /// For a branch: the child whose range holds `key`.
    func childIndex(for key: [UInt8]) -> Int {
        let (index, found) = search(key)
        if found { return index }
        return max(0, index - 1)
    }

    // MARK: Sizes

    static func leafEntrySize(keyLength: Int, value: Value) -> Int {
        PageLayout.slotSize + PageLayout.leafEntryHeader + keyLength + (isInline(keyLength: keyLength, valueLength: value.length, value: value) ? value.length : 8)
    }

    static func isInline(keyLength: Int, valueLength: Int, value: Value) -> Bool {
        if case .overflow = value { return false }
        return PageLayout.leafEntryHeader + keyLength + valueLength <= PageLayout.maxInlineEntry
    }

    func entrySize(_ index: Int) -> Int {
        isLeaf
            ? Self.leafEntrySize(keyLength: keys[index].count, value: values[index])
            : PageLayout.slotSize + PageLayout.branchEntryHeader + keys[index].count
    }

    /// Bytes this node needs after the page header.
    var byteSize: Int { (0..<count).reduce(0) { $0 + entrySize($1) } }

    /// Whether the node fills less than a quarter of a page (a candidate for merging).
    var isUnderfilled: Bool { byteSize < (PageLayout.pageSize - PageLayout.headerSize) / 4 }

    /// Splits the entries into ranges that each fit one page: full pages for append-only
    /// nodes (bulk loads), evenly filled pages otherwise (so random inserts do not split again at once).
    func pageRanges() -> [Range<Int>] {
        let capacity = PageLayout.pageSize - PageLayout.headerSize
        let sizes = (0..<count).map(entrySize)
        let total = sizes.reduce(0, +)
        if total <= capacity { return [0..<count] }
        // Append-only: full pages. Otherwise: as few pages as fit, evenly filled.
        let pages = (total + capacity - 1) / capacity
        let target = appendOnly ? capacity : (total + pages - 1) / pages
        var ranges: [Range<Int>] = []
        var start = 0
        var used = 0
        for index in 0..<count {
            if used > 0 && used + sizes[index] > target {
                ranges.append(start..<index)
                start = index
                used = 0
            }
            used += sizes[index]
        }
        ranges.append(start..<count)
        return ranges
    }

    /// Encodes entries `range` into `page` (a fresh buffer of the right kind). Values too large to
    /// stay inline must already be `.overflow` (the transaction writes their runs first).
    func encode(_ range: Range<Int>, into page: inout PageBuffer) {
        page.bytes.withUnsafeMutableBytes { raw in
            raw.put16(UInt16(range.count), at: PageLayout.countOffset)
            var upper = PageLayout.pageSize
            for (slot, index) in range.enumerated() {
                let key = keys[index]
                if isLeaf {
                    let value = values[index]
                    let inline = Self.isInline(keyLength: key.count, valueLength: value.length, value: value)
                    let size = PageLayout.leafEntryHeader + key.count + (inline ? value.length : 8)
                    upper -= size
                    raw.put16(UInt16(key.count), at: upper)
                    raw.put16(inline ? 0 : PageLayout.overflowFlag, at: upper + 2)
                    raw.put32(UInt32(value.length), at: upper + 4)
                    key.withUnsafeBytes { raw.baseAddress!.advanced(by: upper + PageLayout.leafEntryHeader).copyMemory(from: $0.baseAddress!, byteCount: key.count) }
                    let valueStart = upper + PageLayout.leafEntryHeader + key.count
                    switch value {
                    case .bytes(let bytes):
                        precondition(inline, "large values are moved to overflow runs before encoding")
                        bytes.withUnsafeBytes { if !$0.isEmpty { raw.baseAddress!.advanced(by: valueStart).copyMemory(from: $0.baseAddress!, byteCount: bytes.count) } }
                    case .overflow(let first, _):
                        raw.put64(first, at: valueStart)
                    }
                } else {
                    upper -= PageLayout.branchEntryHeader + key.count
                    raw.put16(UInt16(key.count), at: upper)
                    guard case .page(let child) = children[index] else { preconditionFailure("children are written before their parent") }
                    raw.put64(child, at: upper + 8)
                    key.withUnsafeBytes { if !$0.isEmpty { raw.baseAddress!.advanced(by: upper + PageLayout.branchEntryHeader).copyMemory(from: $0.baseAddress!, byteCount: key.count) } }
                }
                raw.put16(UInt16(upper), at: PageLayout.headerSize + slot * PageLayout.slotSize)
            }
            assert(upper >= PageLayout.headerSize + range.count * PageLayout.slotSize, "page overflow")
        }
    }

    /// Debug check: keys strictly ascending, parallel arrays agree.
    func checkInvariants() {
        #if DEBUG
        assert(isLeaf ? values.count == keys.count && children.isEmpty : children.count == keys.count && values.isEmpty)
        for index in 1..<max(1, keys.count) {
            assert(compareKeys(keys[index - 1], keys[index]) < 0, "keys out of order at \(index) of \(keys.count) in a \(isLeaf ? "leaf" : "branch"): \(keys.map { String(decoding: $0, as: UTF8.self) })")
        }
        #endif
    }
}
