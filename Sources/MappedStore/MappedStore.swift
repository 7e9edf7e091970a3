import MappedMemory
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A crash-safe, multi-process, transactional key–value store on a memory-mapped file: a
/// copy-on-write B+tree in the family of LMDB and bbolt.
///
/// - Readers (`read`) run on snapshots without locks, in any number of threads and processes.
/// - One writer at a time across all processes (`write`); a commit is all or nothing, and
///   with ``Durability/full`` durable when `write` returns.
/// - Nothing committed is overwritten: a crash or power loss at any instant leaves the last
///   durable commit intact. See `docs/store-format.md` for the format and the commit protocol.
///
/// The store is the file at `path` plus a lock file at `path + "-lock"` (shared state of the
/// processes that have it open; safe to delete when none has).
///
/// ```swift
/// let store = try MappedStore(path: "agent.mnemap")
/// try store.write { tx in try tx.put(Array("k".utf8), Array("v".utf8)) }
/// let value = try store.read { tx in try tx.get(Array("k".utf8)) }
/// ```
public final class MappedStore: @unchecked Sendable {
    /// How commits reach the disk.
    public enum Durability: Sendable, Equatable {
        /// Each commit is synced before `write` returns: a returned commit survives power loss.
        /// One `fdatasync` per commit that wrote at most 244 runs and 4 MiB of pages (its meta page
        /// lists them, and opening checks they are whole); two for larger commits (pages, then meta).
        case full
        /// Commits are visible to every process at once and survive a crash of any process, but
        /// reach the disk together at the first commit after `interval` has passed since the last
        /// sync (group commit), or at ``sync()`` / close. Power loss may lose the commits since the
        /// last sync; it never damages the store.
        case batched(interval: Duration)
        /// Like `batched` without a time limit: the disk is synced by ``sync()``, at close, and
        /// when the pages that may not be reused until a sync (freed since the last durable commit)
        /// pass a quarter of the store, which bounds the file's growth.
        case noSync
    }

    /// Options for opening a store.
    public struct Options: Sendable {
        public var durability: Durability = .full
        /// Create the store when the file does not exist or is empty.
        public var create = true
        /// The largest the file may grow; address space for it is reserved when opening
        /// (it costs no memory). Commits that would pass it fail with `.mapFull`.
        public var maxSize: Int64 = 1 << 40
        /// Verify every page's checksum when reading it (costs a CRC32C per page touched).
        public var verifyChecksums = false
        /// The system-call seam (tests inject failures and record writes through it).
        public var system: SystemCalls = .live

        public init(durability: Durability = .full, create: Bool = true, maxSize: Int64 = 1 << 40, verifyChecksums: Bool = false, system: SystemCalls = .live) {
            self.durability = durability
            self.create = create
            self.maxSize = maxSize
            self.verifyChecksums = verifyChecksums
            self.system = system
        }
    }

    /// The longest key (and tree name), in bytes.
    public static let maxKeySize = 1024
    /// The largest value, in bytes.
    public static let maxValueSize = 1 << 30

    public let path: String
    public let options: Options
    private let dataBox: Box<SystemFile>
    var data: SystemFile { _read { yield dataBox.file } }
    let map: MappedFile
    let lockFile: LockFile
    private let writerGate = ThreadLock()
    /// The newest meta decoded by this process: read transactions skip the copy and checksum.
    private let metaCache = Mutex<Meta?>(nil)
    private var lastSync = ContinuousClock.now
    /// The free list as of the last commit of this process (txnID, list).
    private var freeListCache: (txnID: UInt64, list: FreeList)?
    /// The most pages a commit synced together with its meta page may write (opening reads
    /// them back to check them).
    static let maxSingleSyncPages = 1024

    /// The free list this handle wrote at its last commit (for tests).
    var cachedFreeList: FreeList? { freeListCache?.list }
    /// Set when a commit failed after writing its meta page: the process must reopen.
    private var failed = false
    private var fileSize: Int64

    /// Opens (or creates) the store at `path`.
    ///
    /// Cost: a few system calls, independent of the store's size: nothing is read but the two
    /// meta pages. The first process to open it also resets the lock file.
    /// - Throws: `.notAStore`, `.unsupportedVersion`, `.noValidMeta`, `.truncated` for files that
    ///   are not (intact) stores; `.system` for what the OS refused.
    public init(path: String, options: Options = Options()) throws {
        // The data file first: with `create: false` a missing store must leave no lock file behind.
        let data = try Self.openData(path: path, options: options)
        let lockFile: LockFile
        do {
            lockFile = try LockFile(path: path + "-lock", system: options.system)
        } catch {
            throw StoreError.wrap(error, path: path)
        }
        let fileSize = try Self.prepare(data.file, lockFile: lockFile, path: path, options: options)
        let map = try Self.mapData(path: path, fileSize: fileSize, options: options)
        self.path = path
        self.options = options
        self.lockFile = lockFile
        self.dataBox = data
        self.map = map
        self.fileSize = fileSize
    }

    private static func openData(path: String, options: Options) throws -> Box<SystemFile> {
        do {
            return Box(try SystemFile(path: path, create: options.create, system: options.system))
        } catch {
            throw StoreError.wrap(error, path: path)
        }
    }

    /// Initialises an empty file, reads the durable meta, and (first opener) resets the lock file.
    /// Returns the file size.
    private static func prepare(_ data: borrowing SystemFile, lockFile: LockFile, path: String, options: Options) throws -> Int64 {
        var fileSize: Int64
        do {
            fileSize = try data.size()
        } catch {
            throw StoreError.wrap(error, path: path)
        }
        if fileSize == 0 {
            guard options.create, lockFile.isFirstOpener || !lockFile.isValid else { throw StoreError(path: path, reason: .notAStore) }
            try initialize(data, path: path)
            fileSize = Int64(2 * PageLayout.pageSize)
        }
        let (durable, durableSlot) = try readDurableMeta(data, path: path, fileSize: fileSize)
        if lockFile.isFirstOpener {
            // After a crash of every process (same boot), the lock file's newer state is in the page
            // cache and intact; after a reboot only the durable meta can be trusted.
            var visible = durable
            if lockFile.isValid, lockFile.isSameBoot, let copy = lockFile.metaCopy(lockFile.current),
               copy.txnID > durable.txnID, copy.pageCount * UInt64(PageLayout.pageSize) <= UInt64(fileSize) {
                visible = copy
            }
            lockFile.initialize(visible: visible, durable: durable.txnID, durableSlot: durableSlot)
        }
        guard lockFile.isValid else { throw StoreError(path: path + "-lock", reason: .notAStore) }
        do {
            try lockFile.finishOpening()
        } catch {
            throw StoreError.wrap(error, path: path)
        }
        return fileSize
    }

    /// Maps the data file read-only with address space reserved up to `maxSize` (halved while the
    /// system refuses that much), so that growth by any process needs no remap.
    private static func mapData(path: String, fileSize: Int64, options: Options) throws -> MappedFile {
        var size = max(options.maxSize, fileSize)
        while true {
            do {
                return try MappedFile(path: path, mode: .readOnly, length: Int(size), options: .pastEndOfFile, system: options.system)
            } catch {
                if error.errno == ENOMEM && size > fileSize * 2 + (1 << 30) {
                    size /= 2
                    continue
                }
                throw StoreError.wrap(error, path: path)
            }
        }
    }

    deinit {
        if options.durability != .full && !failed {
            try? sync()
        }
    }

    /// Writes an empty store: two meta pages for transaction 0, synced, and the folder synced.
    private static func initialize(_ data: borrowing SystemFile, path: String) throws {
        do {
            try data.grow(to: Int64(2 * PageLayout.pageSize))
            for slot in [PageNumber(0), 1] {
                let page = Meta.empty().page(slot: slot)
                try page.bytes.withUnsafeBytes { raw in try data.write(raw, at: Int64(slot) * Int64(PageLayout.pageSize)) }
            }
            try data.synchronize(.full)
            let folder = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
            try DirectorySync.synchronize(path: folder.isEmpty ? "/" : folder)
        } catch let error as MappedMemoryError {
            throw StoreError.wrap(error, path: path)
        }
    }

    /// The newest valid meta page on disk and its slot.
    private static func readDurableMeta(_ data: borrowing SystemFile, path: String, fileSize: Int64) throws -> (Meta, UInt64) {
        guard fileSize >= Int64(2 * PageLayout.pageSize) else { throw StoreError(path: path, reason: .notAStore) }
        var candidates: [(meta: Meta, slot: UInt64, written: [Meta.WrittenRun])] = []
        var failures: [Meta.DecodeFailure] = []
        for slot in [PageNumber(0), 1] {
            var page = [UInt8](repeating: 0, count: PageLayout.pageSize)
            do {
                _ = try page.withUnsafeMutableBytes { raw in try data.read(into: raw, at: Int64(slot) * Int64(PageLayout.pageSize)) }
            } catch let error as MappedMemoryError {
                throw StoreError.wrap(error, path: path)
            }
            switch page.withUnsafeBytes({ Meta.decode($0, slot: slot) }) {
            case .success(let meta):
                guard let written = page.withUnsafeBytes({ Meta.writtenRuns($0) }) else {
                    failures.append(.inconsistent("list of written pages"))
                    continue
                }
                candidates.append((meta, slot, written))
            case .failure(let failure):
                failures.append(failure)
            }
        }
        candidates.sort { $0.meta.txnID > $1.meta.txnID }
        // A meta written with its pages in one sync counts only if those pages are on disk whole:
        // power loss during that sync falls back to the commit before, which was durable.
        if candidates.count == 2, !candidates[0].written.isEmpty,
           try !writtenRunsAreWhole(data, candidates[0].written, pageCount: candidates[0].meta.pageCount, fileSize: fileSize, path: path) {
            candidates.removeFirst()
        }
        if let first = candidates.first {
            let best = (first.meta, first.slot)
            let needed = Int64(best.0.pageCount) * Int64(PageLayout.pageSize)
            guard needed <= fileSize else { throw StoreError(path: path, reason: .truncated(expectedBytes: needed, actualBytes: fileSize)) }
            return best
        }
        if failures.allSatisfy({ $0 == .badMagic }) { throw StoreError(path: path, reason: .notAStore) }
        for failure in failures {
            if case .badVersion(let version) = failure { throw StoreError(path: path, reason: .unsupportedVersion(version)) }
            if case .badPageSize(let size) = failure { throw StoreError(path: path, reason: .unsupportedPageSize(size)) }
        }
        throw StoreError(path: path, reason: .noValidMeta)
    }

    /// Whether every listed run is in the file with the header and checksum its commit wrote.
    private static func writtenRunsAreWhole(_ data: borrowing SystemFile, _ runs: [Meta.WrittenRun], pageCount: UInt64, fileSize: Int64, path: String) throws -> Bool {
        let filePages = UInt64(fileSize) / UInt64(PageLayout.pageSize)
        guard pageCount <= filePages else { return false }
        var buffer: [UInt8] = []
        for run in runs {
            guard run.first >= 2, run.length >= 1, run.first + UInt64(run.length) <= pageCount else { return false }
            buffer = [UInt8](repeating: 0, count: Int(run.length) * PageLayout.pageSize)
            let read: Int
            do {
                read = try buffer.withUnsafeMutableBytes { raw in try data.read(into: raw, at: Int64(run.first) * Int64(PageLayout.pageSize)) }
            } catch let error as MappedMemoryError {
                throw StoreError.wrap(error, path: path)
            }
            guard read == buffer.count else { return false }
            let whole = buffer.withUnsafeBytes { raw in
                raw.baseAddress!.le32(PageLayout.checksumOffset) == run.checksum
                    && raw.baseAddress!.le64(PageLayout.numberOffset) == run.first
                    && Int(raw.baseAddress!.le32(PageLayout.runOffset)) == Int(run.length)
                    && checksumMatches(raw)
            }
            guard whole else { return false }
        }
        return true
    }

    var maxPages: UInt64 { UInt64(map.count / PageLayout.pageSize) }

    func source(for meta: Meta) -> PageSource {
        PageSource(base: UnsafeRawPointer(map.unsafeBaseAddress!), pageCount: meta.pageCount, verifyChecksums: options.verifyChecksums)
    }

    // MARK: Transactions

    /// Runs `body` in a read transaction on the newest committed snapshot.
    ///
    /// Lock-free: registers the snapshot in a reader slot of the lock file (so its pages are not
    /// reused), reads pages in place. Long-running readers keep old pages alive: the file grows
    /// until they end (``stat()`` shows the oldest reader).
    /// - Throws: `.readersFull` when all reader slots are taken; what `body` throws.
    public func read<R>(_ body: (ReadTransaction) throws -> R) throws -> R {
        guard let slot = lockFile.claimSlot() else { throw StoreError(path: path, reason: .readersFull(slots: LockFile.slotCount)) }
        defer { lockFile.releaseSlot(slot) }
        var meta: Meta
        var attempts = 0
        while true {
            attempts += 1
            guard attempts < 10_000 else { throw StoreError(path: path + "-lock", reason: .invalidArgument("the lock file's copy of the newest commit is damaged; close every process using the store, delete the lock file, and reopen.")) }
            let txnID = lockFile.current
            lockFile.setSlotTxn(slot, txnID)
            guard lockFile.current == txnID else { continue }
            if let cached = metaCache.withLock({ $0 }), cached.txnID == txnID {
                meta = cached
                break
            }
            guard let copy = lockFile.metaCopy(txnID) else { continue }
            metaCache.withLock { $0 = copy }
            meta = copy
            break
        }
        guard meta.pageCount <= maxPages else { throw StoreError(path: path, reason: .mapFull(limit: Int64(map.count))) }
        let transaction = ReadTransaction(store: self, meta: meta, source: source(for: meta))
        defer { transaction.finished = true }
        return try body(transaction)
    }

    /// Runs `body` in the write transaction and commits what it did, or nothing if it throws.
    ///
    /// Waits for the writer lock (other threads and processes). The commit writes the changed
    /// pages to free or new space, syncs them, then writes and syncs the meta page
    /// (``Durability/full``); other processes see the commit once this returns.
    /// - Parameter timeout: how long to wait for another process's write transaction to end
    ///   (nil: as long as it takes).
    /// - Throws: what `body` throws (nothing is committed); `.timedOut` when the writer lock was
    ///   not free within `timeout`; `.mapFull`; `.system` (e.g. `ENOSPC`: the store keeps its last
    ///   committed state); `.needsReopen` after an earlier meta write failed.
    @discardableResult
    public func write<R>(timeout: Duration? = nil, _ body: (WriteTransaction) throws -> R) throws -> R {
        try writerGate.withLock {
            do {
                try lockFile.writerLock.lock(.exclusive, range: 1..<2, timeout: timeout)
            } catch let error as MappedMemoryError {
                if case .timedOut = error.reason { throw StoreError(path: path, reason: .timedOut) }
                throw StoreError.wrap(error, path: path)
            }
            defer { try? lockFile.writerLock.unlock(range: 1..<2) }
            guard !failed else { throw StoreError(path: path, reason: .needsReopen) }
            guard let base = lockFile.metaCopy(lockFile.current) else {
                throw StoreError(path: path + "-lock", reason: .invalidArgument("the lock file's copy of the newest commit is damaged; close every process using the store, delete the lock file, and reopen."))
            }
            let source = source(for: base)
            // The free list this process wrote at the last commit is reused when no other process committed since.
            var freeList: FreeList
            if let cached = freeListCache, cached.txnID == base.txnID {
                freeList = cached.list
            } else {
                freeList = try base.freeListPage == 0 ? FreeList() : FreeList.decode(source, first: base.freeListPage, length: Int(base.freeListPages))
            }
            freeListCache = nil
            let oldest = min(lockFile.oldestReader() ?? base.txnID, base.txnID, lockFile.durable)
            freeList.begin(releasingUpTo: oldest)
            // Moved, not copied: a second reference would make the first change copy the whole list.
            let transaction = WriteTransaction(store: self, base: base, source: source, freeList: consume freeList, maxPages: maxPages)
            defer { transaction.finished = true }
            let result = try body(transaction)
            let meta = try transaction.prepareCommit()
            transaction.finished = true
            // Without syncs, pages freed since the last durable commit cannot be reused; when they
            // would hold back more than a quarter of the store, sync now (bounded growth).
            let limit = max(1024, Int(meta.pageCount) / 4)
            let forceSync = options.durability != .full && transaction.freeList.pendingPageCount > limit
                && transaction.freeList.pendingAfter(lockFile.durable) > limit
            try commit(meta, pages: transaction.dirty, forceSync: forceSync)
            freeListCache = (meta.txnID, transaction.freeList)
            return result
        }
    }

    /// The most pages one write of a commit carries (64 KiB); see `commit`.
    static let maxPagesPerWrite = 16

    /// Writes the pages of a prepared commit, makes them durable as the durability mode says, and publishes.
    private func commit(_ meta: Meta, pages: [PageBuffer], forceSync: Bool = false) throws {
        let needed = Int64(meta.pageCount) * Int64(PageLayout.pageSize)
        do {
            var grew = false
            if needed > fileSize {
                let step = max(Int64(1 << 20), fileSize / 8)
                let target = min(max(needed, fileSize + step), Int64(map.count))
                try data.grow(to: target)
                fileSize = target
                grew = true
            }
            // Pages with consecutive numbers go out in one vectored write, without being copied
            // together, of at most `maxPagesPerWrite` pages: the page cache keeps the pages of a
            // large write in one large folio, and Linux (ext4, 6.x) then pays for the whole folio
            // on every later 4 KiB write into it (a random page write into pages first written
            // 1 MiB at a time costs about 5 times one into pages written 64 KiB at a time).
            let sorted = pages.sorted(by: { $0.number < $1.number })
            var index = 0
            var buffers: [UnsafeRawBufferPointer] = []
            try withExtendedLifetime(sorted) { () throws(MappedMemoryError) in
                while index < sorted.count {
                    let first = sorted[index].number
                    var next = first
                    buffers.removeAll(keepingCapacity: true)
                    while index < sorted.count, sorted[index].number == next, buffers.count < Self.maxPagesPerWrite {
                        // The pages' arrays outlive the write: `sorted` is kept alive around the loop.
                        buffers.append(sorted[index].bytes.withUnsafeBytes { $0 })
                        next += UInt64(sorted[index].runLength)
                        index += 1
                    }
                    try data.write(buffers, at: Int64(first) * Int64(PageLayout.pageSize))
                }
            }
            switch options.durability {
            case _ where forceSync:
                try makeDurable(meta, grew: grew)
            case .full:
                // One sync for pages and meta together when every earlier commit is durable and
                // the meta page can list what this one wrote; two otherwise.
                // (Opening reads back what the list names: at most 4 MiB, so a huge value does not slow it.)
                if lockFile.durable == meta.txnID - 1, pages.count <= Meta.maxWrittenRuns,
                   pages.reduce(0, { $0 + $1.runLength }) <= Self.maxSingleSyncPages {
                    let written = pages.map { page in
                        Meta.WrittenRun(first: page.number, length: UInt32(page.runLength),
                                        checksum: page.bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) })
                    }
                    try makeDurable(meta, grew: grew, written: written)
                } else {
                    try makeDurable(meta, grew: grew)
                }
            case .batched(let interval):
                if ContinuousClock.now - lastSync >= interval { try makeDurable(meta, grew: grew) }
            case .noSync:
                break
            }
        } catch let error as MappedMemoryError {
            throw StoreError.wrap(error, path: path)
        }
        lockFile.publish(meta)
    }

    /// Makes `meta` durable in the meta slot not holding the durable meta. Without `written`:
    /// syncs the data, writes the meta, syncs it. With `written` (every run this commit wrote,
    /// all earlier commits durable): writes the meta listing them and syncs once; opening
    /// checks the listed runs and falls back to the other meta if one is not whole.
    private func makeDurable(_ meta: Meta, grew: Bool, written: [Meta.WrittenRun]? = nil) throws {
        if written == nil { try data.synchronize(grew ? .full : .data) }
        let slot = 1 - lockFile.durableSlot
        let page = meta.page(slot: slot, written: written ?? [])
        do {
            try page.bytes.withUnsafeBytes { raw in try data.write(raw, at: Int64(slot) * Int64(PageLayout.pageSize)) }
            try data.synchronize(written != nil && grew ? .full : .data)
        } catch {
            // The meta slot may hold anything now; only a reopen can tell what is durable.
            failed = true
            throw error
        }
        lockFile.durableSlot = slot
        lockFile.durable = meta.txnID
        lastSync = ContinuousClock.now
        // Free pages at the end were dropped from the page count; give the space back once the
        // meta that no longer needs it is durable (no snapshot and no fallback meta uses them).
        let needed = Int64(meta.pageCount) * Int64(PageLayout.pageSize)
        let slack = max(Int64(4 << 20), needed / 4)
        if fileSize > needed + 2 * slack {
            try data.truncate(to: needed + slack)
            fileSize = needed + slack
        }
    }

    /// Makes every commit so far durable (for ``Durability/batched(interval:)`` and ``Durability/noSync``;
    /// a no-op with ``Durability/full``). Survives power loss once it returns.
    public func sync() throws {
        try writerGate.withLock {
            do {
                try lockFile.writerLock.lock(.exclusive, range: 1..<2)
                defer { try? lockFile.writerLock.unlock(range: 1..<2) }
                let current = lockFile.current
                guard lockFile.durable < current, let meta = lockFile.metaCopy(current) else { return }
                try makeDurable(meta, grew: true)
            } catch let error as MappedMemoryError {
                throw StoreError.wrap(error, path: path)
            }
        }
    }
}

/// Holds a noncopyable value in a class, so that it can be shared by reference.
final class Box<Value: ~Copyable>: @unchecked Sendable {
    let file: Value
    init(_ value: consuming Value) { file = value }
}
