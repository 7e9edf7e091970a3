#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Paging advice to the kernel (`madvise`).
public enum PagingAdvice: Sendable, CaseIterable {
    /// The default read-ahead.
    case normal
    /// Expect random access: read ahead little (good for B-tree and graph lookups).
    case random
    /// Expect sequential access: read ahead aggressively, drop pages behind.
    case sequential
    /// Start reading the range in now, asynchronously.
    case willNeed
    /// The range is not needed: the mapping's pages are released. Shared mappings
    /// re-read the file on the next touch; **private copy-on-write changes in the range are discarded**.
    /// Only whole pages inside the range are affected.
    case dontNeed
    /// Back the range with transparent huge pages where the kernel supports it (Linux; ignored elsewhere).
    case hugePage
}

/// Which pages of a range are in memory.
public struct PageResidency: Sendable, Equatable {
    /// Whether each page overlapping the range is resident, in order.
    public var pages: [Bool]
    /// The page size used.
    public var pageSize: Int
    /// Pages in memory.
    public var residentPages: Int { pages.reduce(0) { $0 + ($1 ? 1 : 0) } }
    /// Pages overlapping the range.
    public var totalPages: Int { pages.count }
}

extension MappedFile {
    /// The page-aligned address range covering view range `range` (outward, or inward when `inward`),
    /// or nil when it covers no page.
    func pageSpan(_ operation: String, _ range: Range<Int>?, inward: Bool = false) throws(MappedMemoryError) -> (address: UnsafeMutableRawPointer, length: Int)? {
        let range = range ?? 0..<count
        try checkRange(operation, offset: range.lowerBound, count: range.count)
        guard let mapping, !range.isEmpty else { return nil }
        let page = Platform.pageSize
        let start = delta + range.lowerBound
        let end = delta + range.upperBound
        let alignedStart = inward ? (start + page - 1) / page * page : start / page * page
        let alignedEnd = inward ? end / page * page : min(mappingLength, (end + page - 1) / page * page)
        guard alignedEnd > alignedStart else { return nil }
        return (mapping + alignedStart, alignedEnd - alignedStart)
    }

    /// Gives the kernel `advice` about how `range` (the whole view when nil) will be used.
    ///
    /// Advice never changes the bytes of a shared mapping; see ``PagingAdvice/dontNeed`` for private ones.
    /// `.hugePage` is a no-op where unsupported. Cost: one `madvise`.
    public func advise(_ advice: PagingAdvice, range: Range<Int>? = nil) throws(MappedMemoryError) {
        let code: Int32
        switch advice {
        case .normal: code = Platform.adviceNormal
        case .random: code = Platform.adviceRandom
        case .sequential: code = Platform.adviceSequential
        case .willNeed: code = Platform.adviceWillNeed
        case .dontNeed: code = Platform.adviceDontNeed
        case .hugePage:
            guard let huge = Platform.adviceHugePage else { return }
            code = huge
        }
        guard let span = try pageSpan("madvise", range, inward: advice == .dontNeed) else { return }
        guard system.madvise(span.address, span.length, code) == 0 else {
            let code = currentErrno
            // Kernels without transparent huge pages reject the advice; it is only advice.
            if advice == .hugePage && code == EINVAL { return }
            throw .system("madvise", path: path, errno: code)
        }
    }

    /// Faults every page of `range` in now, so that later accesses do not wait for the disk.
    ///
    /// Uses `MADV_POPULATE_READ`/`WRITE` (Linux 5.14+) and otherwise reads one byte per page.
    /// `forWriting` also prepares the pages for stores (writable mappings only).
    /// Cost: reading the range from disk when it is not cached.
    /// - Throws: `.system` (e.g. `EFAULT`/`EIO` when the file is shorter than the mapping).
    public func prefault(range: Range<Int>? = nil, forWriting: Bool = false) throws(MappedMemoryError) {
        guard let span = try pageSpan("prefault", range) else { return }
        let populate = forWriting && mode.isWritable ? Platform.advicePopulateWrite : Platform.advicePopulateRead
        if let populate {
            if system.madvise(span.address, span.length, populate) == 0 { return }
            let code = currentErrno
            guard code == EINVAL else { throw .system("prefault", path: path, errno: code) }
        }
        let page = Platform.pageSize
        var sum: UInt8 = 0
        for pageOffset in stride(from: 0, to: span.length, by: page) {
            sum &+= span.address.load(fromByteOffset: pageOffset, as: UInt8.self)
        }
        withExtendedLifetime(sum) {}
    }

    /// Locks the pages of `range` in RAM (`mlock`): they are faulted in now and never swapped or evicted
    /// until ``unlock(range:)`` or the mapping is destroyed.
    ///
    /// - Throws: `ENOMEM`/`EPERM` when the locked-memory limit (`ulimit -l`) is too low.
    public func lock(range: Range<Int>? = nil) throws(MappedMemoryError) {
        guard let span = try pageSpan("mlock", range) else { return }
        guard system.mlock(span.address, span.length) == 0 else { throw .system("mlock", path: path, errno: currentErrno) }
    }

    /// Unlocks pages locked by ``lock(range:)``.
    public func unlock(range: Range<Int>? = nil) throws(MappedMemoryError) {
        guard let span = try pageSpan("munlock", range) else { return }
        guard system.munlock(span.address, span.length) == 0 else { throw .system("munlock", path: path, errno: currentErrno) }
    }

    /// Which pages of `range` are resident in memory (`mincore`), for every page overlapping it.
    ///
    /// For shared file mappings this is the page cache: pages read by any process count.
    /// Cost: one `mincore`, one byte per page; touches no page.
    public func residency(range: Range<Int>? = nil) throws(MappedMemoryError) -> PageResidency {
        guard let span = try pageSpan("mincore", range) else { return PageResidency(pages: [], pageSize: Platform.pageSize) }
        let pageCount = span.length / Platform.pageSize
        var vector = [UInt8](repeating: 0, count: pageCount)
        let result = vector.withUnsafeMutableBufferPointer { system.mincore(span.address, span.length, $0.baseAddress!) }
        guard result == 0 else { throw .system("mincore", path: path, errno: currentErrno) }
        return PageResidency(pages: vector.map { $0 & 1 != 0 }, pageSize: Platform.pageSize)
    }

    /// Resident pages of `range` (see ``residency(range:)``).
    public func residentPageCount(range: Range<Int>? = nil) throws(MappedMemoryError) -> Int {
        try residency(range: range).residentPages
    }

    /// Drops `range` from the page cache, like `vmtouch -e`: writes the file's dirty pages back
    /// first (dirty pages cannot be dropped), releases this mapping's pages, then asks the kernel to
    /// drop the file's cached pages (`POSIX_FADV_DONTNEED`). Pages that other processes map or lock stay.
    ///
    /// Cost: a `fdatasync` of the file, then two system calls.
    public func evict(range: Range<Int>? = nil) throws(MappedMemoryError) {
        guard let span = try pageSpan("evict", range) else { return }
        if descriptor >= 0 && mode != .privateCopyOnWrite {
            let synced = system.retryingInterrupts { system.fdatasync(descriptor) }
            guard synced == 0 else { throw .system("fdatasync", path: path, errno: currentErrno) }
        }
        // MADV_DONTNEED would discard a private mapping's own changes: leave those pages alone.
        if mode != .privateCopyOnWrite {
            guard system.madvise(span.address, span.length, Platform.adviceDontNeed) == 0 else {
                throw .system("madvise", path: path, errno: currentErrno)
            }
        }
        guard descriptor >= 0 else { return }
        let fileStart = alignedOffset + Int64(span.address - mapping!)
        let result = system.fadviseDontNeed(descriptor, fileStart, Int64(span.length))
        guard result == 0 else { throw .system("fadvise", path: path, errno: result) }
    }
}
