import MappedMemory

/// A consistent snapshot of the store: every read sees the state of one commit, whatever
/// other threads and processes commit meanwhile (MVCC). Readers take no lock.
///
/// Valid only inside the `store.read { }` (or `store.write { }`) closure that received it;
/// pointers lent by `withValue` and `scan` are valid only inside their closures.
public class ReadTransaction {
    let store: MappedStore
    let meta: Meta
    let source: PageSource
    var finished = false

    init(store: MappedStore, meta: Meta, source: PageSource) {
        self.store = store
        self.meta = meta
        self.source = source
    }

    /// The transaction ID of the snapshot (of the commit being built, in a write transaction).
    public var txnID: UInt64 { meta.txnID }

    var path: String { store.path }

    func checkActive() throws(StoreError) {
        if finished { throw StoreError(path: path, reason: .transactionFinished) }
    }

    /// Runs `body`, giving errors from page decoding the store's path.
    func withPath<R>(_ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch var error as StoreError {
            if error.path.isEmpty { error.path = path }
            throw error
        }
    }

    // MARK: Trees

    /// The tree named `name` (the main tree when nil): its info, or nil when there is no such tree.
    func treeInfo(_ name: String?) throws -> TreeInfo? {
        guard let name else { return meta.main }
        guard let root = try rootRef(of: meta.catalog) else { return nil }
        return try lookup(Array(name.utf8), from: root) { TreeInfo.decode($0.baseAddress!) }
    }

    /// The root to read tree `name` from; nil when the tree is empty. Write transactions override it.
    func root(of name: String?) throws -> NodeRef? {
        guard let info = try treeInfo(name) else { throw StoreError(path: path, reason: .treeNotFound(name ?? "")) }
        return try rootRef(of: info)
    }

    func rootRef(of info: TreeInfo) throws -> NodeRef? {
        info.root == 0 ? nil : .page(try source.page(info.root))
    }

    /// Descends from `root` to the leaf holding `key`; calls `body` with its value if present.
    func lookup<R>(_ key: [UInt8], from root: NodeRef, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        guard let (leaf, index) = try key.withUnsafeBytes({ try locate($0, from: root) }) else { return nil }
        return try leaf.withValue(at: index, source: source, body)
    }

    /// The leaf and entry index holding `key`, or nil. Not generic, so that it is compiled
    /// specialised even when a caller in another module calls the generic `withValue`.
    final func locate(_ key: UnsafeRawBufferPointer, from root: NodeRef) throws -> (NodeRef, Int)? {
        var node = root
        var depth = 0
        while !node.isLeaf {
            guard node.count > 0, depth < 64 else { throw source.corrupt(0, "a branch without children, or a cycle") }
            node = try node.child(at: try node.childIndex(for: key), source: source)
            depth += 1
        }
        let (index, found) = try node.search(key)
        return found ? (node, index) : nil
    }

    /// Names of the named trees, in order.
    public func treeNames() throws -> [String] {
        try checkActive()
        return try withPath {
            var names: [String] = []
            guard let root = try rootRef(of: meta.catalog) else { return names }
            var cursor = Cursor(source: source, root: root, owner: self)
            var more = try cursor.first()
            while more {
                names.append(String(decoding: try cursor.key(), as: UTF8.self))
                more = try cursor.next()
            }
            return names
        }
    }

    /// Size and shape of tree `name` (the main tree when nil).
    /// - Throws: `.treeNotFound`.
    public func info(of name: String? = nil) throws -> TreeInfo {
        try checkActive()
        return try withPath {
            guard let info = try currentInfo(name) else { throw StoreError(path: path, reason: .treeNotFound(name ?? "")) }
            return info
        }
    }

    /// The info as this transaction sees it (write transactions override it).
    func currentInfo(_ name: String?) throws -> TreeInfo? {
        try treeInfo(name)
    }

    // MARK: Reading

    /// A copy of the value stored for `key` in tree `name` (the main tree when nil), or nil.
    ///
    /// Cost: one root-to-leaf descent (a binary search per level), reading pages in place.
    /// - Throws: `.treeNotFound`, `.corruptPage`.
    public func get(_ key: [UInt8], in name: String? = nil) throws -> [UInt8]? {
        try key.withUnsafeBytes { try get($0, in: name) }
    }

    /// A copy of the value stored for the key whose bytes are `key` (read from any buffer, for
    /// example a slice of a larger one, without making an array of them), or nil.
    ///
    /// Cost: one root-to-leaf descent, as for an array key. Throws: `.treeNotFound`, `.corruptPage`.
    public func get(_ key: UnsafeRawBufferPointer, in name: String? = nil) throws -> [UInt8]? {
        try checkActive()
        return try withPath { () throws -> [UInt8]? in
            guard let root = try root(of: name), let (leaf, index) = try locate(key, from: root) else { return nil }
            return try leaf.withValue(at: index, source: source) { Array($0) }
        }
    }

    /// Calls `body` with the value stored for `key`, in place (zero-copy); nil when absent.
    /// The pointer is valid only inside `body`.
    public func withValue<R>(for key: [UInt8], in name: String? = nil, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        try key.withUnsafeBytes { try withValue(for: $0, in: name, body) }
    }

    /// Calls `body` with the value stored for the key whose bytes are `key` (read from any
    /// buffer), in place (zero-copy); nil when absent. Neither pointer needs to outlive the call;
    /// the value's is valid only inside `body`.
    public func withValue<R>(for key: UnsafeRawBufferPointer, in name: String? = nil, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        try checkActive()
        return try withPath {
            guard let root = try root(of: name), let (leaf, index) = try locate(key, from: root) else { return nil }
            return try leaf.withValue(at: index, source: source, body)
        }
    }

    /// Calls `body` with the value stored for `key` as a `RawSpan` (zero-copy, bounds-checked);
    /// nil when absent. The span cannot escape `body`.
    public func withValueSpan<R>(for key: [UInt8], in name: String? = nil, _ body: (RawSpan) throws -> R) throws -> R? {
        try withValue(for: key, in: name) { raw in try body(RawSpan(_unsafeBytes: raw)) }
    }

    /// Whether `key` is present in tree `name`.
    public func contains(_ key: [UInt8], in name: String? = nil) throws -> Bool {
        try withValue(for: key, in: name) { _ in true } ?? false
    }

    /// A cursor over tree `name` (the main tree when nil), positioned nowhere: call `first`, `last` or `seek`.
    public func cursor(in name: String? = nil) throws -> Cursor {
        try checkActive()
        return try withPath { Cursor(source: source, root: try root(of: name), owner: self) }
    }

    /// Visits the entries of tree `name` in key order (descending when `reverse`), zero-copy:
    /// from `start` (inclusive) to `end` (exclusive), or those starting with `prefix`.
    /// `body` returns false to stop. Pointers are valid only inside `body`.
    public func scan(
        in name: String? = nil,
        from start: [UInt8]? = nil,
        to end: [UInt8]? = nil,
        prefix: [UInt8]? = nil,
        reverse: Bool = false,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        var cursor = try cursor(in: name)
        try withPath {
            let lower = [start, prefix].compactMap { $0 }.max { compareKeys($0, $1) < 0 }
            var upper = end
            if let prefix, let after = Self.successor(of: prefix), upper.map({ compareKeys(after, $0) < 0 }) ?? true { upper = after }
            var positioned: Bool
            if reverse {
                if let upper {
                    positioned = try cursor.seek(upper)
                    positioned = positioned ? try cursor.previous() : try cursor.last()
                } else {
                    positioned = try cursor.last()
                }
            } else {
                positioned = try lower.map { try cursor.seek($0) } ?? cursor.first()
            }
            // Walk each leaf's entries directly; the cursor moves only from leaf to leaf.
            let bounded = prefix != nil || (reverse ? lower != nil : upper != nil)
            while positioned, let top = cursor.stack.last {
                let leaf = top.node
                var index = top.index
                while index >= 0 && index < leaf.count {
                    let more = try leaf.withKey(at: index) { key -> Bool in
                        if bounded {
                            if let prefix, !key.starts(with: prefix) { return false }
                            if reverse { if let lower, compareKeys(lower, key) > 0 { return false } }
                            else if let upper, compareKeys(upper, key) <= 0 { return false }
                        }
                        return try leaf.withValue(at: index, source: source) { value in try body(key, value) }
                    }
                    guard more else { return }
                    index += reverse ? -1 : 1
                }
                cursor.stack[cursor.stack.count - 1].index = reverse ? 0 : leaf.count - 1
                positioned = reverse ? try cursor.previousUnlocated() : try cursor.nextUnlocated()
            }
        }
    }

    /// The smallest key greater than every key starting with `prefix`, or nil (all 0xFF).
    static func successor(of prefix: [UInt8]) -> [UInt8]? {
        var bytes = prefix
        while let last = bytes.last {
            if last < 0xFF {
                bytes[bytes.count - 1] = last + 1
                return bytes
            }
            bytes.removeLast()
        }
        return nil
    }
}

extension ReadTransaction {
    /// String conveniences: keys and values as UTF-8.
    public func get(_ key: String, in name: String? = nil) throws -> String? {
        try get(Array(key.utf8), in: name).map { String(decoding: $0, as: UTF8.self) }
    }
}
