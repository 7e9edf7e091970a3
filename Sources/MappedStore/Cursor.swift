/// A position in one tree of a transaction's snapshot: `first`, `last`, `seek` to the first
/// key >= a key, then `next` / `previous`. Each move returns whether the cursor is on an entry.
///
/// Valid only inside its transaction. In a write transaction, a put or delete invalidates
/// cursors made before it: make a new one.
public struct Cursor {
    let source: PageSource
    let root: NodeRef?
    /// The transaction's store path, for errors (not retained: a cursor lives inside its transaction).
    unowned(unsafe) let owner: ReadTransaction
    /// The path from the root: each node and the index taken in it.
    var stack: [(node: NodeRef, index: Int)] = []

    init(source: PageSource, root: NodeRef?, owner: ReadTransaction) {
        self.source = source
        self.root = root
        self.owner = owner
    }

    /// `error`, with the store's path when it has none.
    private func located(_ error: any Error) -> any Error {
        guard var error = error as? StoreError, error.path.isEmpty else { return error }
        error.path = owner.path
        return error
    }

    /// Whether the cursor is on an entry.
    public var isPositioned: Bool {
        guard let top = stack.last else { return false }
        return top.node.isLeaf && top.index >= 0 && top.index < top.node.count
    }

    private mutating func descend(toFirst: Bool) throws -> Bool {
        while let top = stack.last, !top.node.isLeaf {
            guard top.node.count > 0, stack.count <= 64 else { throw source.corrupt(0, "a branch without children, or a cycle") }
            let child = try top.node.child(at: top.index, source: source)
            stack.append((child, toFirst ? 0 : child.count - 1))
        }
        return isPositioned
    }

    /// Moves to the smallest key. Returns false for an empty tree.
    public mutating func first() throws -> Bool {
        do { return try firstUnlocated() } catch { throw located(error) }
    }

    mutating func firstUnlocated() throws -> Bool {
        stack.removeAll(keepingCapacity: true)
        guard let root else { return false }
        stack.append((root, 0))
        return try descend(toFirst: true) || (try nextUnlocated())
    }

    /// Moves to the largest key. Returns false for an empty tree.
    public mutating func last() throws -> Bool {
        do { return try lastUnlocated() } catch { throw located(error) }
    }

    mutating func lastUnlocated() throws -> Bool {
        stack.removeAll(keepingCapacity: true)
        guard let root else { return false }
        stack.append((root, root.count - 1))
        return try descend(toFirst: false) || (try previousUnlocated())
    }

    /// Moves to the first key >= `key`. Returns false when there is none.
    public mutating func seek(_ key: [UInt8]) throws -> Bool {
        do { return try seekUnlocated(key) } catch { throw located(error) }
    }

    mutating func seekUnlocated(_ key: [UInt8]) throws -> Bool {
        stack.removeAll(keepingCapacity: true)
        guard let root else { return false }
        var node = root
        try key.withUnsafeBytes { key in
            while !node.isLeaf {
                guard node.count > 0, stack.count < 64 else { throw source.corrupt(0, "a branch without children, or a cycle") }
                let index = try node.childIndex(for: key)
                stack.append((node, index))
                node = try node.child(at: index, source: source)
            }
            stack.append((node, try node.search(key).index))
        }
        if isPositioned { return true }
        // Past the end of this leaf: the next entry is the first of the next leaf.
        stack[stack.count - 1].index = node.count - 1
        return try nextUnlocated()
    }

    /// Moves to the next key. Returns false (and stays past the end) after the last one.
    public mutating func next() throws -> Bool {
        do { return try nextUnlocated() } catch { throw located(error) }
    }

    mutating func nextUnlocated() throws -> Bool {
        while let top = stack.last {
            if top.index + 1 < top.node.count {
                stack[stack.count - 1].index += 1
                if top.node.isLeaf { return true }
                if try descend(toFirst: true) { return true }
                continue
            }
            stack.removeLast()
        }
        return false
    }

    /// Moves to the previous key. Returns false before the first one.
    public mutating func previous() throws -> Bool {
        do { return try previousUnlocated() } catch { throw located(error) }
    }

    mutating func previousUnlocated() throws -> Bool {
        while let top = stack.last {
            if top.index - 1 >= 0 && top.index - 1 < top.node.count {
                stack[stack.count - 1].index -= 1
                if top.node.isLeaf { return true }
                if try descend(toFirst: false) { return true }
                continue
            }
            stack.removeLast()
        }
        return false
    }

    /// The current key (copied).
    public func key() throws -> [UInt8] {
        try withKey { Array($0) }
    }

    /// The current value (copied).
    public func value() throws -> [UInt8] {
        try withCurrent { _, value in Array(value) }
    }

    /// Calls `body` with the current key, in place.
    public func withKey<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        do { return try withKeyUnlocated(body) } catch { throw located(error) }
    }

    func withKeyUnlocated<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard isPositioned, let top = stack.last else { throw StoreError(path: owner.path, reason: .invalidArgument("the cursor is not on an entry; move it with first, last, seek or next first.")) }
        return try top.node.withKey(at: top.index, body)
    }

    /// Calls `body` with the current key and value, in place (zero-copy).
    public func withCurrent<R>(_ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> R) throws -> R {
        do { return try withCurrentUnlocated(body) } catch { throw located(error) }
    }

    func withCurrentUnlocated<R>(_ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard isPositioned, let top = stack.last else { throw StoreError(path: owner.path, reason: .invalidArgument("the cursor is not on an entry; move it with first, last, seek or next first.")) }
        return try top.node.withKey(at: top.index) { key in
            try top.node.withValue(at: top.index, source: source) { value in try body(key, value) }
        }
    }
}
