/// A node seen by a reader: a committed page read in place, or (in a write transaction) a
/// node changed in memory. Searches and cursors work on either.
enum NodeRef {
    case page(PageView)
    case node(Node)

    var isLeaf: Bool {
        switch self {
        case .page(let page): page.isLeaf
        case .node(let node): node.isLeaf
        }
    }

    var count: Int {
        switch self {
        case .page(let page): page.count
        case .node(let node): node.count
        }
    }

    /// Calls `body` with the key at `index`.
    @inline(__always)
    func withKey<R>(at index: Int, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        switch self {
        case .page(let page): return try body(try page.key(at: index))
        case .node(let node): return try body(node.keyBytes(at: index))
        }
    }

    func key(at index: Int) throws -> [UInt8] {
        try withKey(at: index) { Array($0) }
    }

    func child(at index: Int, source: PageSource) throws -> NodeRef {
        switch self {
        case .page(let page): return .page(try source.page(try page.child(at: index)))
        case .node(let node):
            switch node.children[index] {
            case .page(let number): return .page(try source.page(number))
            case .node(let child): return .node(child)
            }
        }
    }

    /// Calls `body` with the value at `index` (a leaf), read in place.
    func withValue<R>(at index: Int, source: PageSource, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        switch self {
        case .page(let page):
            switch try page.value(at: index) {
            case .inline(let bytes): return try body(bytes)
            case .overflow(let first, let length): return try body(try source.overflow(first, length: length))
            }
        case .node(let node):
            switch node.value(at: index) {
            case .inline(let bytes): return try body(bytes)
            case .overflow(let first, let length): return try body(try source.overflow(first, length: length))
            }
        }
    }

    /// The first index whose key is >= `key`, and whether it is equal (binary search).
    func search(_ key: UnsafeRawBufferPointer) throws -> (index: Int, found: Bool) {
        switch self {
        case .page(let page): return try page.search(key)
        case .node(let node): return node.search(key)
        }
    }

    /// For a branch: the child whose range holds `key`.
    func childIndex(for key: UnsafeRawBufferPointer) throws -> Int {
        let (index, found) = try search(key)
        return found ? index : max(0, index - 1)
    }
}
