import MappedMemory

/// The one write transaction of the store (across all processes): reads see its own changes;
/// nothing is visible to others until it commits, and a commit is all or nothing.
///
/// Changes are copy-on-write: touched pages are decoded into nodes, changed in memory and
/// written to new pages at commit; no page a reader can see is ever overwritten.
public final class WriteTransaction: ReadTransaction {
    /// A tree being changed: its info and its root (a page, or a node when touched).
    struct TreeState {
        var info: TreeInfo
        var root: Node.Child?
        var changed = false
    }

    @exclusivity(unchecked) var main: TreeState
    @exclusivity(unchecked) var catalog: TreeState
    /// Named trees loaded (or created) by this transaction.
    @exclusivity(unchecked) var named: [String: TreeState] = [:]
    var dropped: Set<String> = []
    /// The rightmost leaf of each tree appended to ("" for the main tree), while it is a node.
    var rightmostLeaf: [String: Node] = [:]
    @exclusivity(unchecked) var freeList: FreeList
    /// Pages this transaction replaced or deleted: reusable once no snapshot needs them.
    @exclusivity(unchecked) var freed: [PageNumber] = []
    @exclusivity(unchecked) var pageCount: UInt64
    @exclusivity(unchecked) var dirty: [PageBuffer] = []
    let maxPages: UInt64

    init(store: MappedStore, base: Meta, source: PageSource, freeList: FreeList, maxPages: UInt64) {
        var next = base
        next.txnID += 1
        main = TreeState(info: base.main, root: base.main.root == 0 ? nil : .page(base.main.root))
        catalog = TreeState(info: base.catalog, root: base.catalog.root == 0 ? nil : .page(base.catalog.root))
        self.freeList = freeList
        self.pageCount = base.pageCount
        self.maxPages = maxPages
        super.init(store: store, meta: next, source: source)
    }

    // MARK: Trees

    /// The state of tree `name` (nil: main), loading it from the catalog on first use.
    func state(_ name: String?) throws -> TreeState? {
        guard let name else { return main }
        if let state = named[name] { return state }
        if dropped.contains(name) { return nil }
        guard let root = try rootRef(of: catalog) else { return nil }
        guard let info = try lookup(Array(name.utf8), from: root, { TreeInfo.decode($0.baseAddress!) }) else { return nil }
        let state = TreeState(info: info, root: info.root == 0 ? nil : .page(info.root))
        named[name] = state
        return state
    }

    func rootRef(of state: TreeState) throws -> NodeRef? {
        switch state.root {
        case nil: return nil
        case .page(let number): return .page(try source.page(number))
        case .node(let node): return .node(node)
        }
    }

    override func root(of name: String?) throws -> NodeRef? {
        guard let state = try state(name) else { throw StoreError(path: path, reason: .treeNotFound(name ?? "")) }
        return try rootRef(of: state)
    }

    override func currentInfo(_ name: String?) throws -> TreeInfo? {
        try state(name)?.info
    }

    override public func treeNames() throws -> [String] {
        try checkActive()
        var names = Set(try withPath { () throws -> [String] in
            var names: [String] = []
            guard let root = try rootRef(of: catalog) else { return names }
            var cursor = Cursor(source: source, root: root, owner: self)
            var more = try cursor.first()
            while more {
                names.append(String(decoding: try cursor.key(), as: UTF8.self))
                more = try cursor.next()
            }
            return names
        })
        names.formUnion(named.keys)
        names.subtract(dropped)
        return names.sorted()
    }

    /// Creates the named tree if it does not exist; returns whether it was created.
    /// - Throws: `.invalidTreeName` for an empty name or one longer than ``MappedStore/maxKeySize`` bytes.
    @discardableResult
    public func createTree(_ name: String) throws -> Bool {
        try checkActive()
        guard !name.isEmpty, name.utf8.count <= MappedStore.maxKeySize else { throw StoreError(path: path, reason: .invalidTreeName(name)) }
        if try withPath({ try state(name) }) != nil { return false }
        dropped.remove(name)
        named[name] = TreeState(info: TreeInfo(), root: nil, changed: true)
        return true
    }

    /// Deletes the named tree and all its entries; returns whether it existed. Its pages are freed.
    @discardableResult
    public func dropTree(_ name: String) throws -> Bool {
        try checkActive()
        return try withPath {
            guard let state = try state(name) else { return false }
            currentTree = .named(name)
            rightmostLeaf[name] = nil
            try freeAll(state.root)
            // The tree's pages are gone with it: they must not be subtracted from a tree created under the same name.
            freedCounts[.named(name)] = nil
            named[name] = nil
            dropped.insert(name)
            return true
        }
    }

    private func freeAll(_ child: Node.Child?) throws {
        switch child {
        case nil: return
        case .node(let node):
            if node.isLeaf {
                for index in 0..<node.count { try freeValue(in: node, at: index) }
            } else {
                for child in node.children { try freeAll(child) }
            }
        case .page(let number):
            let page = try source.page(number)
            free(number, isLeaf: page.isLeaf)
            for index in 0..<page.count {
                if page.isLeaf {
                    if case .overflow(let first, _) = try page.value(at: index) { try freeRun(first) }
                } else {
                    try freeAll(.page(try page.child(at: index)))
                }
            }
        }
    }

    private func freeRun(_ first: PageNumber) throws {
        let length = try source.overflowRunLength(first)
        for offset in 0..<UInt64(length) { freed.append(first + offset) }
        freedCounts[currentTree, default: FreedCounts()].overflow += UInt64(length)
    }

    private func free(_ number: PageNumber, isLeaf: Bool) {
        freed.append(number)
        if isLeaf { freedCounts[currentTree, default: FreedCounts()].leaf += 1 } else { freedCounts[currentTree, default: FreedCounts()].branch += 1 }
    }

    /// Frees the overflow run of the value at `index` of `leaf`, if it has one.
    private func freeValue(in leaf: Node, at index: Int) throws {
        if let first = leaf.overflowRun(at: index) { try freeRun(first) }
    }

    // MARK: Changing entries

    func check(key: UnsafeRawBufferPointer, value: Int?) throws(StoreError) {
        try checkActive()
        guard !key.isEmpty, key.count <= MappedStore.maxKeySize else {
            throw StoreError(path: path, reason: .keyTooLarge(size: key.count, limit: MappedStore.maxKeySize))
        }
        if let value, value > MappedStore.maxValueSize {
            throw StoreError(path: path, reason: .valueTooLarge(size: value, limit: MappedStore.maxValueSize))
        }
    }

    /// Turns `child` into a node (decoding its page and freeing it: it will be rewritten).
    private func materialize(_ child: Node.Child) throws -> Node {
        switch child {
        case .node(let node): return node
        case .page(let number):
            let page = try source.page(number)
            let node = try Node(page)
            free(number, isLeaf: page.isLeaf)
            return node
        }
    }

    /// The leaf that holds (or would hold) `key` in `state`, every node on the way made writable.
    private func writableLeaf(for key: UnsafeRawBufferPointer, in state: inout TreeState) throws -> Node {
        guard let root = state.root else {
            let leaf = Node(isLeaf: true)
            state.root = .node(leaf)
            state.info.depth = 1
            return leaf
        }
        var node = try materialize(root)
        state.root = .node(node)
        while !node.isLeaf {
            guard node.count > 0 else { throw source.corrupt(0, "a branch without children") }
            let index = node.childIndex(for: key)
            let child = try materialize(node.children[index])
            node.children[index] = .node(child)
            node = child
        }
        return node
    }

    private func update(_ name: String?, _ body: (inout TreeState) throws -> Void) throws {
        guard var state = try state(name) else { throw StoreError(path: path, reason: .treeNotFound(name ?? "")) }
        currentTree = name.map { .named($0) } ?? .main
        try body(&state)
        state.changed = true
        if let name { named[name] = state } else { main = state }
    }

    /// Stores `value` for `key` in tree `name` (the main tree when nil), replacing any value.
    ///
    /// Keys are 1 to ``MappedStore/maxKeySize`` bytes, ordered byte-wise; values up to
    /// ``MappedStore/maxValueSize`` bytes (large ones go to overflow pages).
    /// - Throws: `.keyTooLarge`, `.valueTooLarge`, `.treeNotFound`, `.transactionFinished`.
    public func put(_ key: [UInt8], _ value: [UInt8], in name: String? = nil) throws {
        try key.withUnsafeBytes { key in try value.withUnsafeBytes { value in try put(key, value, in: name) } }
    }

    /// Stores the bytes of `value` for the key whose bytes are `key`, read from any buffers (for
    /// example slices of larger ones, without making arrays of them); both are copied before this
    /// returns. Same rules, cost and errors as the array form.
    public func put(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, in name: String? = nil) throws {
        try check(key: key, value: value.count)
        try withPath {
            try update(name) { state in
                let leaf = try writableLeaf(for: key, in: &state)
                let (index, found) = leaf.search(key)
                if found {
                    try freeValue(in: leaf, at: index)
                    leaf.setValue(value, at: index)
                } else {
                    leaf.insert(key: key, value: value, at: index)
                    state.info.entries &+= 1
                }
            }
        }
    }

    /// Stores `value` for `key`, which must be greater than every key in the tree: the sorted
    /// bulk-load path, which fills pages completely.
    /// - Throws: `.invalidArgument` when `key` is not the greatest.
    public func append(_ key: [UInt8], _ value: [UInt8], in name: String? = nil) throws {
        try key.withUnsafeBytes { key in try value.withUnsafeBytes { value in try append(key, value, in: name) } }
    }

    /// ``append(_:_:in:)`` with key and value bytes read from any buffers (copied before this returns).
    public func append(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, in name: String? = nil) throws {
        try check(key: key, value: value.count)
        // The rightmost leaf of a tree stays the same node until commit: appends go straight to it.
        if let leaf = rightmostLeaf[name ?? ""], leaf.count > 0 {
            guard compareKeys(key, leaf.keyBytes(at: leaf.count - 1)) > 0 else {
                throw StoreError(path: path, reason: .invalidArgument("append needs keys in ascending order; use put for others."))
            }
            leaf.insert(key: key, value: value, at: leaf.count)
            if let name { named[name]!.info.entries &+= 1 } else { main.info.entries &+= 1 }
            return
        }
        var cursor = try self.cursor(in: name)
        if try cursor.last(), try cursor.withKey({ compareKeys(key, $0) }) <= 0 {
            throw StoreError(path: path, reason: .invalidArgument("append needs keys in ascending order; use put for others."))
        }
        try put(key, value, in: name)
        // The key went to the rightmost leaf, now a node: remember it for the next append.
        try withPath {
            guard let state = try state(name), case .node(var node) = state.root else { return }
            while !node.isLeaf {
                guard let last = node.children.last, case .node(let child) = last else { return }
                node = child
            }
            rightmostLeaf[name ?? ""] = node
        }
    }

    /// Removes `key` from tree `name`; returns whether it was there.
    @discardableResult
    public func delete(_ key: [UInt8], in name: String? = nil) throws -> Bool {
        try key.withUnsafeBytes { try delete($0, in: name) }
    }

    /// ``delete(_:in:)`` with the key's bytes read from any buffer.
    @discardableResult
    public func delete(_ key: UnsafeRawBufferPointer, in name: String? = nil) throws -> Bool {
        try check(key: key, value: nil)
        guard try withValue(for: key, in: name, { _ in true }) != nil else { return false }
        try withPath {
            try update(name) { state in
                let leaf = try writableLeaf(for: key, in: &state)
                let (index, found) = leaf.search(key)
                guard found else { return }
                try freeValue(in: leaf, at: index)
                leaf.remove(at: index)
                state.info.entries &-= 1
            }
        }
        return true
    }

    // MARK: Commit

    /// Allocates a run of `count` pages: reused when the free list has one, else at the end.
    func allocate(_ count: Int) throws -> PageNumber {
        if let first = freeList.takeRun(count) { return first }
        let first = pageCount
        guard first + UInt64(count) <= maxPages else {
            throw StoreError(path: path, reason: .mapFull(limit: Int64(maxPages) * Int64(PageLayout.pageSize)))
        }
        pageCount += UInt64(count)
        return first
    }

    /// Merges underfilled and empty nodes into their neighbours, bottom-up, and removes empty ones.
    private func rebalance(_ node: Node) throws {
        guard !node.isLeaf else { return }
        for child in node.children { if case .node(let child) = child { try rebalance(child) } }
        var index = 0
        while index < node.children.count {
            guard case .node(let child) = node.children[index] else { index += 1; continue }
            if child.count == 0 {
                node.remove(at: index)
                continue
            }
            if child.isUnderfilled && node.children.count > 1 {
                let left = index > 0 ? index - 1 : index
                let leftNode = try materialize(node.children[left])
                let rightNode = try materialize(node.children[left + 1])
                if leftNode.byteSize + rightNode.byteSize <= PageLayout.pageSize - PageLayout.headerSize {
                    leftNode.append(contentsOf: rightNode)
                    node.children[left] = .node(leftNode)
                    node.remove(at: left + 1)
                    index = left + 1
                    continue
                }
                node.children[left] = .node(leftNode)
                node.children[left + 1] = .node(rightNode)
            }
            index += 1
        }
    }

    /// Writes `node` (and first its changed children) to new pages; returns the pages made, each
    /// with its first key, in order (none for an empty node).
    private func spill(_ node: Node, counts: inout TreeInfo) throws -> [(key: [UInt8], page: PageNumber)] {
        if node.isLeaf {
            for index in 0..<node.count where node.needsOverflow(at: index) {
                guard case .inline(let bytes) = node.value(at: index) else { continue }
                let run = (PageLayout.headerSize + bytes.count + PageLayout.pageSize - 1) / PageLayout.pageSize
                let first = try allocate(run)
                var buffer = PageBuffer(number: first, kind: .overflow, runLength: run, txnID: meta.txnID)
                buffer.bytes.withUnsafeMutableBytes { raw in
                    raw.baseAddress!.advanced(by: PageLayout.headerSize).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
                }
                buffer.seal()
                dirty.append(buffer)
                counts.overflowPages &+= UInt64(run)
                node.setOverflow(at: index, first: first, length: bytes.count)
            }
        } else {
            // Changed children are written first. A child written to one page keeps its
            // separator (still a lower bound of its keys; the first one may only go down), and the
            // branch is changed in place; when a child split or emptied, the branch is rebuilt.
            var split: [Int: [(key: [UInt8], page: PageNumber)]] = [:]
            for index in 0..<node.children.count {
                guard case .node(let childNode) = node.children[index] else { continue }
                let pieces = try spill(childNode, counts: &counts)
                if pieces.count == 1 {
                    node.children[index] = .page(pieces[0].page)
                    if index == 0, pieces[0].key.withUnsafeBytes({ compareKeys($0, node.keyBytes(at: 0)) }) < 0 { node.setKey(pieces[0].key, at: 0) }
                } else {
                    split[index] = pieces
                }
            }
            if !split.isEmpty {
                // The pieces after a split child's first are inserts into this branch: one run
                // when one child split, so the branch splits at it (see `Node.pageRanges`).
                if split.count == 1, let (index, pieces) = split.first {
                    node.noteInsertion(at: index + 1, count: pieces.count - 1)
                } else {
                    node.noteScatteredInsertions()
                }
                let rebuilt = Node(isLeaf: false, arenaCapacity: PageLayout.pageSize + 512, entryCapacity: node.count + 8)
                rebuilt.children.reserveCapacity(node.count + 8)
                for index in 0..<node.children.count {
                    if let pieces = split[index] {
                        for piece in pieces { piece.key.withUnsafeBytes { rebuilt.append(key: $0, child: .page(piece.page)) } }
                    } else {
                        rebuilt.append(key: node.keyBytes(at: index), child: node.children[index])
                    }
                }
                // The first separator is a lower bound of its subtree: keep the smaller one.
                if rebuilt.count > 0, node.count > 0, compareKeys(node.keyBytes(at: 0), rebuilt.keyBytes(at: 0)) < 0 { rebuilt.setKey(node.key(at: 0), at: 0) }
                node.take(rebuilt)
            }
        }
        node.checkInvariants()
        guard node.count > 0 else { return [] }
        var pieces: [(key: [UInt8], page: PageNumber)] = []
        for range in node.pageRanges() {
            let number = try allocate(1)
            var buffer = PageBuffer(number: number, kind: node.isLeaf ? .leaf : .branch, txnID: meta.txnID)
            node.encode(range, into: &buffer)
            buffer.seal()
            dirty.append(buffer)
            pieces.append((node.key(at: range.lowerBound), number))
            if node.isLeaf { counts.leafPages &+= 1 } else { counts.branchPages &+= 1 }
        }
        return pieces
    }

    /// Writes a changed tree; returns its new info.
    private func spillTree(_ state: TreeState) throws -> TreeInfo {
        var info = state.info
        guard case .node(var root) = state.root else { return info }
        try rebalance(root)
        // A root branch with one child is replaced by the child.
        while !root.isLeaf && root.count == 1 {
            info.depth &-= 1
            root = try materialize(root.children[0])
        }
        if root.count == 0 {
            info.root = 0
            info.depth = 0
            return info
        }
        var pieces = try spill(root, counts: &info)
        while pieces.count > 1 {
            let parent = Node(branchKeys: pieces.map(\.key), children: pieces.map { .page($0.page) })
            info.depth &+= 1
            pieces = try spill(parent, counts: &info)
        }
        info.root = pieces[0].page
        return info
    }

    /// Builds the new state: writes every changed tree, the catalog and the free list to new
    /// pages (in `dirty`) and returns the meta that points at them.
    func prepareCommit() throws -> Meta {
        try checkActive()
        return try withPath {
            for name in named.keys.sorted() where named[name]!.changed {
                currentTree = .named(name)
                var info = try spillTree(named[name]!)
                subtractFreed(.named(name), from: &info)
                named[name]!.info = info
                currentTree = .catalog
                try putCatalog(name, info)
            }
            currentTree = .catalog
            for name in dropped { _ = try deleteCatalog(name) }
            if catalog.changed {
                catalog.info = try spillTree(catalog)
                subtractFreed(.catalog, from: &catalog.info)
            }
            currentTree = .main
            if main.changed {
                main.info = try spillTree(main)
                subtractFreed(.main, from: &main.info)
            }
            // The free list: a delta on the chain of runs on disk, or a new snapshot when the
            // chain is long or its deltas would outgrow one (the chain's runs are then freed).
            let txnID = meta.txnID
            freeList.trimTail(pageCount: &pageCount)
            var snapshot = freeList.chain.isEmpty || freeList.chain.count > FreeList.maxDeltas || freeList.chainBlocksTrimming(pageCount: pageCount)
            if !snapshot {
                let delta = FreeList.pages(FreeList.deltaHeaderSize + (freeList.removed.count + freed.count + 4) * 8)
                snapshot = freeList.deltaPages + delta > max(1, freeList.runLength)
            }
            if snapshot {
                for run in freeList.chain { for offset in 0..<UInt64(run.length) { freed.append(run.first + offset) } }
            }
            if !freed.isEmpty { freeList.addPending(freed, txnID: txnID) }
            if snapshot {
                freeList.chain = []
                let needed = freeList.runLength
                if needed > 0 {
                    let first = try allocate(needed)
                    var buffer = PageBuffer(number: first, kind: .freeList, runLength: needed, txnID: txnID)
                    freeList.encode(into: &buffer)
                    buffer.seal()
                    dirty.append(buffer)
                    freeList.chain = [FreeList.Run(first: first, length: needed)]
                }
            } else {
                // The run's own pages may come from the list: leave room for their numbers.
                var needed = FreeList.pages(freeList.deltaSize(txnID: txnID, extraRemoved: 1))
                while FreeList.pages(freeList.deltaSize(txnID: txnID, extraRemoved: needed)) > needed { needed += 1 }
                let first = try allocate(needed)
                var buffer = PageBuffer(number: first, kind: .freeList, runLength: needed, txnID: txnID)
                freeList.encodeDelta(txnID: txnID, into: &buffer)
                buffer.seal()
                dirty.append(buffer)
                freeList.chain.append(FreeList.Run(first: first, length: needed))
            }
            let head = freeList.chain.last ?? FreeList.Run(first: 0, length: 0)
            return Meta(txnID: meta.txnID, pageCount: pageCount, freeListPage: head.first, freeListPages: UInt32(head.length), main: main.info, catalog: catalog.info)
        }
    }

    enum TreeID: Hashable { case main, catalog, named(String) }

    /// Pages freed per tree and kind, subtracted from the trees' counts at commit.
    struct FreedCounts { var branch: UInt64 = 0; var leaf: UInt64 = 0; var overflow: UInt64 = 0 }
    var freedCounts: [TreeID: FreedCounts] = [:]
    /// The tree whose pages are being freed now.
    var currentTree: TreeID = .main

    private func subtractFreed(_ tree: TreeID, from info: inout TreeInfo) {
        if let counts = freedCounts[tree] {
            info.branchPages &-= counts.branch
            info.leafPages &-= counts.leaf
            info.overflowPages &-= counts.overflow
            freedCounts[tree] = nil
        }
        if info.root == 0 { info = TreeInfo() }
    }

    private func putCatalog(_ name: String, _ info: TreeInfo) throws {
        var state = catalog
        try Array(name.utf8).withUnsafeBytes { key in
            let leaf = try writableLeaf(for: key, in: &state)
            let (index, found) = leaf.search(key)
            let encoded = info.encoded
            try encoded.withUnsafeBytes { encoded in
                if found {
                    leaf.setValue(encoded, at: index)
                } else {
                    leaf.insert(key: key, value: encoded, at: index)
                    state.info.entries &+= 1
                }
            }
        }
        state.changed = true
        catalog = state
    }

    private func deleteCatalog(_ name: String) throws -> Bool {
        var state = catalog
        let name = Array(name.utf8)
        guard let root = try rootRef(of: state), try lookup(name, from: root, { _ in true }) != nil else { return false }
        let (leaf, index, found) = try name.withUnsafeBytes { key in
            let leaf = try writableLeaf(for: key, in: &state)
            let (index, found) = leaf.search(key)
            return (leaf, index, found)
        }
        guard found else { return false }
        leaf.remove(at: index)
        state.info.entries &-= 1
        state.changed = true
        catalog = state
        return true
    }
}
