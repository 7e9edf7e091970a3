import MappedMemory
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a journal is opened.
public struct JournalOptions: Sendable {
    /// Whether this process may append, pad, commit cursors and retire segments.
    public enum Access: Sendable, Equatable {
        case readWrite
        case readOnly
    }

    /// `.readWrite` (default) or `.readOnly`.
    public var access: Access = .readWrite
    /// Create the directory and the first segment when the journal does not exist (read-write only).
    public var create = true
    /// The size of each segment file, used when this call creates the journal; later segments
    /// copy the size of the one before. 64 KiB ... 256 MiB, a multiple of 4096.
    public var segmentSize = 64 << 20
    /// One index entry per this many records of a segment: seeking to an index or a time reads
    /// at most this many records after a binary search.
    public var indexStride = 64
    /// How long a claimed slot may stay unpublished before a reader (or a sync) pads it over,
    /// assuming its producer died. Longer than any pause of a live producer between claiming and
    /// publishing (a slow producer whose slot was padded claims again, so it only costs time).
    public var padTimeout: Duration = .seconds(2)
    /// Roll by time as well as by size: a segment takes no more records once its first record is
    /// this old (nil: roll by size only). With a day, each segment holds at most a day of records,
    /// which retention by age can then delete whole.
    public var rollInterval: Duration?
    /// Create the next segment and fault in the pages producers are about to write on a background
    /// queue (default), so that an append neither creates a file nor takes a page fault: the next
    /// segment when an append crosses the middle of the current one (and its first 16 MiB), and
    /// up to 16 MiB beyond the last append whenever less than 8 MiB is ready beyond it. When
    /// false, the append that crosses the middle creates the next segment itself, and every page
    /// is faulted in by the append that first writes to it.
    public var prepareAhead = true
    /// How long a tailer that has caught up polls the next record's commit word before it sleeps
    /// on the futex (once per call that waits). An active producer publishes within microseconds,
    /// while a sleep costs the producer a `FUTEX_WAKE` system call and the reader a wake-up.
    /// `.zero`: sleep at once.
    public var spinBeforeWaiting: Duration = .microseconds(20)
    /// The system-call seam; tests pass one that records or fails.
    public var system: SystemCalls = .live

    public init() {}
}

/// A persisted, memory-mapped log shared by producer and consumer processes.
///
/// A journal is a directory of segment files. Producers in any number of processes append
/// records without locks (an atomic add on the tail word in the mapped segment header claims
/// space; the record's commit word is published last with a release store). Readers
/// (``Tailer``) in any process see each complete record exactly once, in the one order of the
/// journal, and wait for new ones on a futex. Records are visible at once and durable after
/// ``sync(upTo:)``. See `docs/journal-format.md`.
///
/// A `Journal` is safe to use from many threads. It stays open (its shared lock held, its
/// segments mapped) until the value is released; there is nothing to close.
///
/// ```swift
/// let journal = try Journal(directory: "/var/lib/agent/events")
/// let index = try journal.append(Array("observation".utf8))
/// try journal.sync(upTo: index)                    // survives power loss from here on
/// let tailer = try journal.tailer(cursor: "planner")
/// while let record = try tailer.next(timeout: .seconds(1)) { ...; try tailer.commit() }
/// ```
public final class Journal: Sendable {
    /// The journal's directory.
    public let directory: String
    /// The options it was opened with.
    public let options: JournalOptions
    /// What recovery did when this value opened the journal (empty unless it was the first opener).
    public var recovery: RecoveryReport { recoveryReport.withLock { $0 } }
    let recoveryReport = Mutex<RecoveryReport>(RecoveryReport())
    let lock: JournalLock
    /// The segments mapped in this process, and the work done ahead of the producers.
    let table: SegmentTable
    /// The segment this process's producers claim in (the next one may already exist: it is
    /// created ahead, when the current one is half full).
    let appendTarget = Atomic<UInt32>(0)
    /// The segment `append` last claimed in (checked against `appendTarget` before use): saves the
    /// lookup in `segments` on every append.
    let appendCache = Mutex<Segment?>(nil)

    /// `options.padTimeout` in nanoseconds.
    let padTimeoutNanoseconds: Int64
    /// `options.spinBeforeWaiting` in nanoseconds.
    let spinNanoseconds: Int64

    var system: SystemCalls { options.system }
    var writable: Bool { options.access == .readWrite }

    /// Opens (or creates) the journal in `directory`.
    ///
    /// Every opener holds a shared lock on `journal.lock` for as long as the value lives. The first
    /// opener (the one that gets the lock exclusively, i.e. no other process has the journal open)
    /// runs recovery: it scans the segments not yet known durable, pads slots claimed by dead
    /// producers, and seals a segment at the first record that was torn by a crash (see
    /// ``RecoveryReport``). Cost: one lock, one directory listing, and with recovery a scan of the
    /// unsynced tail of the journal.
    ///
    /// - Throws: `JournalError` with the path: `ENOENT` when the directory does not exist and
    ///   `create` is false or access is read-only; `.damagedSegmentHeader` for a segment that is
    ///   not valid; system errors from locking or mapping.
    public init(directory: String, options: JournalOptions = JournalOptions()) throws(JournalError) {
        self.directory = directory
        self.options = options
        padTimeoutNanoseconds = nanoseconds(options.padTimeout)
        spinNanoseconds = nanoseconds(options.spinBeforeWaiting)
        table = SegmentTable(directory: directory, writable: options.access == .readWrite, system: options.system, prepareAhead: options.prepareAhead)
        guard options.segmentSize >= SegmentFormat.minimumSegmentSize, options.segmentSize <= SegmentFormat.maximumSegmentSize, options.segmentSize % 4096 == 0 else {
            throw JournalError(operation: "open", path: directory, reason: .invalidArgument("segmentSize must be a multiple of 4096 between \(SegmentFormat.minimumSegmentSize) and \(SegmentFormat.maximumSegmentSize) bytes (got \(options.segmentSize))."))
        }
        guard options.indexStride >= 1, options.indexStride <= 1 << 20 else {
            throw JournalError(operation: "open", path: directory, reason: .invalidArgument("indexStride must be between 1 and 2^20 (got \(options.indexStride))."))
        }
        let writable = options.access == .readWrite
        if !Directory.isDirectory(directory) {
            guard writable && options.create else {
                throw JournalError(operation: "open", path: directory, reason: .system(.system("open", path: directory, errno: ENOENT)))
            }
            try Directory.make(directory)
        }
        let lock = try JournalLock(directory: directory, writable: writable, system: options.system)
        self.lock = lock
        let alone = try lock.lockForOpening()
        var numbers = try Directory.segmentNumbers(in: directory)
        var created = false
        if numbers.isEmpty {
            guard writable && options.create else { return }
            try Segment.create(directory: directory, number: 0, segmentSize: options.segmentSize, indexStride: options.indexStride, system: options.system)
            numbers = try Directory.segmentNumbers(in: directory)
            created = numbers == [0]
        }
        table.latest.store(numbers.last!, ordering: .relaxed)
        appendTarget.store(numbers.count >= 2 ? numbers[numbers.count - 2] : numbers.last!, ordering: .relaxed)
        if alone && created {
            lock.recordBoot()
            try lock.share()
        } else if alone {
            // Nobody else has the journal open, so nobody is creating a segment: a temporary file
            // left by a process that stopped while creating one is garbage.
            if writable { Directory.removeSegmentTemporaries(in: directory) }
            // Same boot as the last opener: the page cache kept every store, so nothing can be torn.
            let sameBoot = lock.lastBoot().map { $0 == BootIdentity.current } ?? false
            let report = try Recovery.run(self, numbers: numbers, afterReboot: !sameBoot)
            recoveryReport.withLock { $0 = report }
            lock.recordBoot()
            try lock.share()
        }
    }

    /// Waits for the work started in the background (a segment being created), so that no
    /// temporary file is left behind when the process ends after releasing the journal.
    deinit {
        table.drain()
    }

    // MARK: Segments

    func segmentPath(_ number: UInt32) -> String {
        directory + "/" + SegmentFormat.fileName(number)
    }

    /// Segment `number`, mapped once per process; nil when its file does not exist.
    func segment(_ number: UInt32) throws(JournalError) -> Segment? {
        try table.segment(number)
    }

    func raise(latestTo number: UInt32) {
        table.raise(latestTo: number)
    }

    /// Segment `number`, created (with the geometry of `previous`) when it does not exist yet.
    /// A creation already running in this process's background work is waited for first, up to
    /// `padTimeout` (at most a second).
    func segment(_ number: UInt32, creatingAfter previous: Segment) throws(JournalError) -> Segment {
        if let existing = try segment(number) { return existing }
        guard writable else { throw JournalError(operation: "append", path: directory, reason: .readOnly) }
        let patience = min(options.padTimeout, .seconds(1))
        table.awaitCreation(of: number, timeout: patience)
        if let existing = try segment(number) { return existing }

        if try Segment.create(directory: directory, number: number, segmentSize: previous.segmentSize, indexStride: previous.indexStride, system: system) {
            table.createdOnAppend.add(1, ordering: .relaxed)
        }
        guard let created = try segment(number) else {
            throw JournalError(operation: "create segment", path: segmentPath(number), reason: .system(.system("open", path: segmentPath(number), errno: ENOENT)))
        }
        return created
    }

    /// The numbers of the segment files present now, ascending.
    public func segmentNumbers() throws(JournalError) -> [UInt32] {
        try Directory.segmentNumbers(in: directory)
    }

    /// The newest segment file, refreshing from the directory.
    func newestSegment() throws(JournalError) -> Segment? {
        var number = table.latest.load(ordering: .relaxed)
        // Follow segments created by other processes.
        while Directory.exists(segmentPath(number &+ 1)) { number &+= 1 }
        if let found = try segment(number) { return found }
        guard let last = try segmentNumbers().last else { return nil }
        return try segment(last)
    }

    /// The segment producers append to now: the newest one, or the one before it while that is
    /// not full (the newest is created ahead of need).
    func activeSegment() throws(JournalError) -> Segment? {
        guard let newest = try newestSegment() else { return nil }
        if newest.number > 0, let previous = try? segment(newest.number - 1), !previous.isFull {
            return previous
        }
        return newest
    }

    /// What the background work did in this process: segments it created ahead, segments appends
    /// had to create themselves (the background was late, or off), bytes of pages it faulted in.
    @_spi(Testing)
    public var preparation: (createdAhead: Int, createdOnAppend: Int, prefaultedBytes: Int) {
        (table.createdAhead.load(ordering: .relaxed), table.createdOnAppend.load(ordering: .relaxed), table.prefaultedBytes.load(ordering: .relaxed))
    }

    /// Waits until the background work requested so far is done.
    @_spi(Testing)
    public func waitForBackgroundWork() {
        table.drain()
    }

    /// Forgets mappings of segments that were removed (by retention here or elsewhere).
    func forget(_ number: UInt32) {
        table.forget(number)
    }

    func requireWritable(_ operation: String) throws(JournalError) {
        guard writable else { throw JournalError(operation: operation, path: directory, reason: .readOnly) }
    }
}

/// The lock every opener holds on `journal.lock`: shared while the journal is open, exclusive
/// while the first opener recovers. The file's bytes hold the boot identity of the last
/// recovery, which tells the next first opener whether the machine restarted in between.
final class JournalLock: Sendable {
    let lock: FileLock?
    let path: String

    /// The boot identity written by the last recovery, if any.
    func lastBoot() -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return String(decoding: buffer.prefix(count), as: UTF8.self)
    }

    /// Writes this boot's identity (best effort: without it the next opener recovers fully).
    func recordBoot() {
        guard let boot = BootIdentity.current else { return }
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let bytes = Array(boot.utf8)
        if bytes.withUnsafeBytes({ pwrite(fd, $0.baseAddress, $0.count, 0) }) == bytes.count {
            _ = ftruncate(fd, off_t(bytes.count))
        }
    }

    init(directory: String, writable: Bool, system: SystemCalls) throws(JournalError) {
        let path = directory + "/journal.lock"
        self.path = path
        if writable {
            lock = try mapped("open") { () throws(MappedMemoryError) in try FileLock(path: path, create: true, system: system) }
        } else if Directory.exists(path) {
            lock = try mapped("open") { () throws(MappedMemoryError) in try FileLock(path: path, create: false, system: system) }
        } else {
            lock = nil  // a read-only copy of a journal without its lock file
        }
    }

    /// Takes the lock: exclusively when nobody else has the journal open (returns true: recover
    /// now), else shared (waiting up to a minute for a recovering opener).
    func lockForOpening() throws(JournalError) -> Bool {
        return try mapped("open") { () throws(MappedMemoryError) in
            guard let exclusive = try lock?.tryLock(.exclusive) else { return false }
            if exclusive { return true }
            try lock?.lock(.shared, timeout: .seconds(60))
            return false
        }
    }

    /// Turns the exclusive lock into a shared one.
    func share() throws(JournalError) {
        try mapped("open") { () throws(MappedMemoryError) in try lock?.lock(.shared) }
    }
}

/// Which boot of the machine this is: Linux's random boot id. Two processes that see the same
/// value share one uninterrupted page cache. Nil where unknown (recovery then assumes a reboot).
enum BootIdentity {
    static let current: String? = {
        #if os(Linux)
        let fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return String(decoding: buffer.prefix(count).filter { $0 > 0x20 }, as: UTF8.self)
        #else
        return nil
        #endif
    }()
}
