/// What ``MappedStore/check()`` found.
public struct CheckReport: Sendable {
    /// Problems, each naming the page and what is wrong. Empty when the store is intact.
    public var problems: [String] = []
    /// The snapshot checked.
    public var txnID: UInt64 = 0
    /// Pages in the store (meta pages included).
    public var pageCount: UInt64 = 0
    /// Pages reachable from the trees (branch, leaf, overflow).
    public var treePages: UInt64 = 0
    /// Pages on the free list (reusable or pending) and the list's own run.
    public var freePages: UInt64 = 0
    /// Entries in all trees.
    public var entries: UInt64 = 0
    /// Named trees.
    public var trees: Int = 0

    public var isIntact: Bool { problems.isEmpty }
}

extension MappedStore {
    /// Verifies the whole store in a snapshot: every page's checksum, kind and number; key
    /// order inside pages and against the separators above them; equal depth of leaves; entry
    /// and page counts against the tree infos; and that every page is used exactly once (by a
    /// tree, the free list, or a meta page), so none is lost or shared.
    ///
    /// Cost: reads every page once. Runs beside readers and writers (it is a read transaction).
    public func check() throws -> CheckReport {
        try read { tx in
            var checker = Checker(source: tx.source, pageCount: tx.meta.pageCount)
            checker.report.txnID = tx.meta.txnID
            checker.report.pageCount = tx.meta.pageCount
            checker.claim(0, "meta page")
            checker.claim(1, "meta page")
            checker.checkTree(tx.meta.main, name: "main tree")
            checker.checkTree(tx.meta.catalog, name: "catalog")
            // Named trees: the catalog's values.
            if tx.meta.catalog.root != 0 {
                do {
                    var cursor = Cursor(source: tx.source, root: .page(try tx.source.page(tx.meta.catalog.root)), owner: tx)
                    var more = try cursor.first()
                    while more {
                        let name = String(decoding: try cursor.key(), as: UTF8.self)
                        let info = try cursor.withCurrent { _, value -> TreeInfo? in
                            value.count == TreeInfo.encodedSize ? TreeInfo.decode(value.baseAddress!) : nil
                        }
                        if let info {
                            checker.checkTree(info, name: "tree '\(name)'")
                        } else {
                            checker.problem("catalog entry '\(name)' is not a tree description")
                        }
                        checker.report.trees += 1
                        more = try cursor.next()
                    }
                } catch {
                    checker.problem("catalog: \(error)")
                }
            }
            // The free list.
            if tx.meta.freeListPage != 0 {
                for offset in 0..<UInt64(tx.meta.freeListPages) { checker.claim(tx.meta.freeListPage + offset, "free-list run") }
                checker.report.freePages += UInt64(tx.meta.freeListPages)
                do {
                    let list = try FreeList.decode(tx.source, first: tx.meta.freeListPage, length: Int(tx.meta.freeListPages))
                    // The older runs of the chain (the newest is the meta's).
                    for run in list.chain.dropLast() {
                        for offset in 0..<UInt64(run.length) { checker.claim(run.first + offset, "free-list run") }
                        checker.report.freePages += UInt64(run.length)
                    }
                    for number in list.reusable { checker.claim(number, "free page") }
                    for group in list.pending { for number in group.pages { checker.claim(number, "pending free page") } }
                    checker.report.freePages += UInt64(list.pageTotal)
                } catch {
                    checker.problem("free list: \(error)")
                }
            }
            for number in 0..<tx.meta.pageCount where checker.owner[number] == nil {
                checker.problem("page \(number) is neither in a tree nor free (lost)")
                if checker.report.problems.count > 1000 { break }
            }
            return checker.report
        }
    }
}

private struct Checker {
    let source: PageSource
    let pageCount: UInt64
    var report = CheckReport()
    var owner: [PageNumber: String] = [:]

    init(source: PageSource, pageCount: UInt64) {
        self.source = source
        self.pageCount = pageCount
    }

    mutating func problem(_ text: String) {
        if report.problems.count < 1000 { report.problems.append(text) }
    }

    mutating func claim(_ number: PageNumber, _ use: String) {
        guard number < pageCount else { return problem("\(use) \(number) is outside the \(pageCount) pages") }
        if let previous = owner[number] {
            problem("page \(number) is used twice: as \(previous) and as \(use)")
        } else {
            owner[number] = use
        }
    }

    struct Counts { var entries: UInt64 = 0; var branch: UInt64 = 0; var leaf: UInt64 = 0; var overflow: UInt64 = 0; var leafDepths = Set<Int>() }

    mutating func checkTree(_ info: TreeInfo, name: String) {
        guard info.root != 0 else {
            if info.entries != 0 { problem("\(name) is empty but says it has \(info.entries) entries") }
            return
        }
        var counts = Counts()
        checkPage(info.root, depth: 1, lower: nil, upper: nil, name: name, counts: &counts)
        report.entries += counts.entries
        report.treePages += counts.branch + counts.leaf + counts.overflow
        if counts.entries != info.entries { problem("\(name) has \(counts.entries) entries but says \(info.entries)") }
        if counts.branch != info.branchPages || counts.leaf != info.leafPages || counts.overflow != info.overflowPages {
            problem("\(name) has \(counts.branch)/\(counts.leaf)/\(counts.overflow) branch/leaf/overflow pages but says \(info.branchPages)/\(info.leafPages)/\(info.overflowPages)")
        }
        if counts.leafDepths.count > 1 { problem("\(name) has leaves at different depths \(counts.leafDepths.sorted())") }
        if let depth = counts.leafDepths.first, depth != Int(info.depth) { problem("\(name) is \(depth) levels deep but says \(info.depth)") }
    }

    mutating func checkPage(_ number: PageNumber, depth: Int, lower: [UInt8]?, upper: [UInt8]?, name: String, counts: inout Counts) {
        guard depth <= 64 else { return problem("\(name): deeper than 64 levels at page \(number) (a cycle?)") }
        claim(number, "\(name) page")
        let page: PageView
        do {
            page = try source.page(number)
        } catch {
            return problem("\(name): \(error.reason)")
        }
        if !checksumMatches(UnsafeRawBufferPointer(start: page.base, count: PageLayout.pageSize)) {
            problem("\(name): page \(number) checksum mismatch")
        }
        if page.count == 0 { problem("\(name): page \(number) has no entries") }
        if page.isLeaf { counts.leaf += 1; counts.leafDepths.insert(depth) } else { counts.branch += 1 }
        var previous: [UInt8]?
        do {
            for index in 0..<page.count {
                let key = Array(try page.key(at: index))
                if let previous, compareKeys(previous, key) >= 0 { problem("\(name): page \(number) keys out of order at entry \(index)") }
                // The first key of a branch is only a lower bound; every leaf key must lie within the separators.
                if page.isLeaf || index > 0 {
                    if let lower, compareKeys(key, lower) < 0 { problem("\(name): page \(number) entry \(index) is below its separator") }
                    if let upper, compareKeys(key, upper) >= 0 { problem("\(name): page \(number) entry \(index) is not below the next separator") }
                }
                previous = key
                if page.isLeaf {
                    counts.entries += 1
                    if case .overflow(let first, let length) = try page.value(at: index) {
                        do {
                            let run = try source.overflowRunLength(first)
                            _ = try source.overflow(first, length: length)
                            let pointer = source.base + Int(first) * PageLayout.pageSize
                            if !checksumMatches(UnsafeRawBufferPointer(start: pointer, count: run * PageLayout.pageSize)) {
                                problem("\(name): overflow run at \(first) checksum mismatch")
                            }
                            for offset in 0..<UInt64(run) { claim(first + offset, "\(name) overflow page") }
                            counts.overflow += UInt64(run)
                        } catch {
                            problem("\(name): \(error.reason)")
                        }
                    }
                } else {
                    let childLower = index == 0 ? lower : key
                    let childUpper = index + 1 < page.count ? Array(try page.key(at: index + 1)) : upper
                    checkPage(try page.child(at: index), depth: depth + 1, lower: childLower, upper: childUpper, name: name, counts: &counts)
                }
            }
        } catch {
            problem("\(name): \(error.reason)")
        }
    }
}
