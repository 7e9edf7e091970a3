#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The shape of a store and who is holding it back: ``MappedStore/stat()``.
public struct StoreStat: Sendable {
    /// The snapshot described.
    public var txnID: UInt64
    /// The newest transaction known durable on disk (lags `txnID` with batched durability).
    public var durableTxnID: UInt64
    public var pageSize: Int
    /// Pages in use (the file may be larger: it grows in steps).
    public var pageCount: UInt64
    public var fileSize: Int64
    /// Free pages that the next write may reuse.
    public var reusablePages: Int
    /// Freed pages that some reader (or the durable meta) may still see.
    public var pendingPages: Int
    /// Runs of the free list on disk: a snapshot and the deltas written since (at most 33).
    public var freeListRuns: Int
    public var main: TreeInfo
    public var trees: [String: TreeInfo]
    /// Live read transactions: process and snapshot.
    public var readers: [(pid: Int32, txnID: UInt64)]
    /// The oldest snapshot a reader holds, if any.
    public var oldestReader: UInt64?
    /// Freed pages that cannot be reused because of the oldest reader: a long-lived reader makes
    /// the file grow by these.
    public var pagesPinnedByOldestReader: Int
}

extension MappedStore {
    /// Sizes, free pages, trees and readers of the current snapshot.
    ///
    /// Cost: reads the free list and the catalog; does not walk the trees.
    public func stat() throws -> StoreStat {
        let readers = lockFile.readers()
        let durable = lockFile.durable
        let fileSize = (try? data.size()) ?? 0
        return try read { tx in
            let list = tx.meta.freeListPage == 0 ? FreeList() : try FreeList.decode(tx.source, first: tx.meta.freeListPage, length: Int(tx.meta.freeListPages))
            var trees: [String: TreeInfo] = [:]
            for name in try tx.treeNames() { trees[name] = try tx.info(of: name) }
            // Our own read transaction is one of the readers: leave it out.
            var others = readers
            if let mine = others.firstIndex(where: { $0.pid == getpid() && $0.txnID == tx.txnID }) { others.remove(at: mine) }
            let oldest = others.map(\.txnID).min()
            let pinned = oldest.map { oldest in list.pendingAfter(oldest) } ?? 0
            return StoreStat(
                txnID: tx.txnID,
                durableTxnID: durable,
                pageSize: PageLayout.pageSize,
                pageCount: tx.meta.pageCount,
                fileSize: fileSize,
                reusablePages: list.reusable.count,
                pendingPages: list.pendingPageCount,
                freeListRuns: list.chain.count,
                main: tx.meta.main,
                trees: trees,
                readers: others,
                oldestReader: oldest,
                pagesPinnedByOldestReader: pinned
            )
        }
    }
}
